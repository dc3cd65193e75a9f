// ManualClock (sleepers wake only when time passes their deadline, cancellation ends a sleep) and
// the wall clocks components stamp objects with.
import SkiffClient
import SkiffWire
import Testing

@Suite struct ManualClockTests {
    @Test func sleepersWakeOnlyOnceTheirDeadlinePasses() async throws {
        let clock = ManualClock()
        let woken = Locked<[Int]>([])
        let sleepers = [3, 1, 2].map { seconds in
            Task {
                try await clock.sleep(until: clock.now.advanced(by: .seconds(seconds)))
                woken.withLock { $0.append(seconds) }
            }
        }
        try await withDeadline { try await clock.waitForSleepers(3) }

        clock.advance(by: .milliseconds(999))
        #expect(clock.sleeperCount == 3)

        clock.advance(by: .milliseconds(1))
        try await waitUntil { woken.value == [1] }
        #expect(clock.sleeperCount == 2)

        clock.advance(by: .seconds(5))
        try await waitUntil { woken.value.count == 3 }
        #expect(woken.value.sorted() == [1, 2, 3])
        #expect(clock.sleeperCount == 0)
        for sleeper in sleepers { try await sleeper.value }
    }

    @Test func aPastDeadlineReturnsAtOnce() async throws {
        let clock = ManualClock()
        clock.advance(by: .seconds(10))
        try await clock.sleep(until: ManualClock.Instant(offset: .seconds(4)))
        #expect(clock.now == ManualClock.Instant(offset: .seconds(10)))
    }

    @Test func cancellingASleeperEndsItsSleepWithCancellationError() async throws {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(60)) }
        try await withDeadline { try await clock.waitForSleepers(1) }

        sleeper.cancel()
        let result = await sleeper.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(clock.sleeperCount == 0)
    }

    @Test func worksBehindAnyClock() async throws {
        let manual = ManualClock()
        let clock: any Clock<Duration> = manual
        let sleeper = Task { try await clock.sleep(for: .seconds(2)) }
        try await withDeadline { try await manual.waitForSleepers(1) }
        manual.advance(by: .seconds(2))
        try await withDeadline { try await sleeper.value }
    }
}

@Suite struct WallClockTests {
    @Test func fixedClockSaysWhatItWasSetTo() {
        let clock = FixedWallClock(Time(seconds: 1_700_000_000))
        #expect(clock.now() == Time(seconds: 1_700_000_000))

        clock.advance(by: .milliseconds(1500))
        #expect(clock.now() == Time(seconds: 1_700_000_001, nanos: 500_000_000))
        clock.advance(by: .milliseconds(600))
        #expect(clock.now() == Time(seconds: 1_700_000_002, nanos: 100_000_000))

        clock.set(Time(seconds: 5, nanos: 123_456_789))
        #expect(clock.nowMicro() == MicroTime(seconds: 5, nanos: 123_456_000))
    }

    @Test func systemClockIsAfterThisCodeWasWritten() {
        let now = SystemWallClock().now()
        #expect(now > Time(seconds: 1_767_225_600))  // 2026-01-01
        #expect((0..<1_000_000_000).contains(now.nanos))
    }
}
