/// The two kinds of time a component reads. Timers (work-queue delays, backoff, resync) run on an
/// injected Swift `Clock` (`any Clock<Duration>`: `ContinuousClock` in production, `ManualClock` in
/// tests). Timestamps written into objects (creationTimestamp, lastTransitionTime) come from a
/// `WallClock`, so tests can pin them.
///
/// Concurrency: every type here is Sendable and safe from any task.
/// Must never: use wall time for a deadline (it can step), or a monotonic clock for a timestamp.
import SkiffBus
import SkiffWire
import Synchronization

/// Where components read the time they write into API objects.
public protocol WallClock: Sendable {
    func now() -> Time
}

extension WallClock {
    /// The same instant with microsecond precision, as a Lease's renewTime is written.
    public func nowMicro() -> MicroTime {
        let time = now()
        return MicroTime(seconds: time.seconds, nanos: time.nanos / 1000 * 1000)
    }
}

/// The system's real-time clock.
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Time {
        let nanoseconds = WallTime.unixNanoseconds()
        return Time(seconds: nanoseconds / 1_000_000_000, nanos: Int32(nanoseconds % 1_000_000_000))
    }
}

/// A wall clock that says what the test told it to.
public final class FixedWallClock: WallClock {
    private let time: Mutex<Time>

    public init(_ time: Time) { self.time = Mutex(time) }

    public func now() -> Time { time.withLock { $0 } }
    public func set(_ newTime: Time) { time.withLock { $0 = newTime } }
    /// Moves the time forward by whole nanoseconds of `duration`.
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "a wall clock in a test only moves forward")
        let (seconds, attoseconds) = duration.components
        time.withLock { time in
            let nanos = Int64(time.nanos) + attoseconds / 1_000_000_000
            time = Time(seconds: time.seconds + seconds + nanos / 1_000_000_000, nanos: Int32(nanos % 1_000_000_000))
        }
    }
}

/// An injected clock seen as durations since the moment it was wrapped, so that types holding an
/// `any Clock<Duration>` can compare and store deadlines without knowing the clock's Instant type.
public struct Timeline: Sendable {
    /// Time elapsed on the clock since the timeline was made.
    public let elapsed: @Sendable () -> Duration
    /// Suspends until `elapsed()` reaches the given value; throws CancellationError if cancelled.
    public let sleepUntil: @Sendable (Duration) async throws -> Void

    public init<C: Clock<Duration>>(_ clock: C) {
        let start = clock.now
        elapsed = { start.duration(to: clock.now) }
        sleepUntil = { try await clock.sleep(until: start.advanced(by: $0), tolerance: nil) }
    }

    public func sleep(for duration: Duration) async throws {
        try await sleepUntil(elapsed() + duration)
    }
}
