// The work queue's contract as scenarios: dedup while queued, FIFO, a key never processed twice at
// once (re-added at done), delays and per-key backoff honoured on a ManualClock, shutdown and drain.
import SkiffClient
import Testing

@Suite struct WorkQueueTests {
    @Test func addingAQueuedKeyAgainDoesNothing() async throws {
        let queue = WorkQueue<String>()
        queue.add("a")
        queue.add("b")
        queue.add("a")
        #expect(queue.len == 2)
        #expect(await queue.get() == "a")
        #expect(await queue.get() == "b")
        #expect(queue.len == 0)
    }

    @Test func distinctKeysComeOutInTheOrderAdded() async throws {
        let queue = WorkQueue<String>()
        for key in ["c", "a", "d", "b"] { queue.add(key) }
        var order: [String] = []
        for _ in 0..<4 { order.append(await queue.get()!) }
        #expect(order == ["c", "a", "d", "b"])
    }

    @Test func aKeyAddedWhileProcessingWaitsForDone() async throws {
        let queue = WorkQueue<String>()
        queue.add("a")
        #expect(await queue.get() == "a")

        queue.add("a")
        #expect(queue.len == 0)  // not handed to anyone while it is processing
        let second = Task { await queue.get() }

        queue.done("a")
        #expect(try await withDeadline { await second.value } == "a")
        queue.done("a")
        #expect(queue.len == 0)
    }

    @Test func doneWithoutANewAddDropsTheKey() async throws {
        let queue = WorkQueue<String>()
        queue.add("a")
        #expect(await queue.get() == "a")
        queue.done("a")
        queue.shutDown()
        #expect(await queue.get() == nil)
    }

    @Test func concurrentWorkersNeverHoldTheSameKey() async throws {
        let queue = WorkQueue<Int>()
        let holding = Locked<Set<Int>>([])
        let doubleHolds = Locked(0)
        let processed = Locked<[Int: Int]>([:])

        try await withDeadline {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        while let key = await queue.get() {
                            if !holding.withLock({ $0.insert(key).inserted }) { doubleHolds.withLock { $0 += 1 } }
                            await Task.yield()
                            processed.withLock { $0[key, default: 0] += 1 }
                            holding.withLock { _ = $0.remove(key) }
                            queue.done(key)
                        }
                    }
                }
                for round in 0..<200 {
                    queue.add(round % 5)
                    if round % 3 == 0 { await Task.yield() }
                }
                await queue.shutDownWithDrain()
            }
        }
        #expect(doubleHolds.value == 0)
        #expect(processed.withLock { $0.keys.sorted() } == [0, 1, 2, 3, 4])
    }

    @Test func addAfterWaitsOnTheClock() async throws {
        let clock = ManualClock()
        let queue = WorkQueue<String>(clock: clock)
        queue.addAfter("a", .seconds(1))
        #expect(queue.len == 0)
        try await withDeadline { try await clock.waitForSleepers(1) }

        clock.advance(by: .milliseconds(999))
        #expect(clock.sleeperCount == 1)
        #expect(queue.len == 0)

        clock.advance(by: .milliseconds(1))
        #expect(try await withDeadline { await queue.get() } == "a")
    }

    @Test func anEarlierAddAfterReplacesALaterOne() async throws {
        let clock = ManualClock()
        let queue = WorkQueue<String>(clock: clock)
        queue.addAfter("a", .seconds(10))
        try await withDeadline { try await clock.waitForSleepers(1) }

        queue.addAfter("a", .seconds(1))
        try await withDeadline { try await clock.waitForSleepers(1) }
        clock.advance(by: .seconds(1))
        #expect(try await withDeadline { await queue.get() } == "a")
        #expect(clock.sleeperCount == 0)  // the 10 s timer is gone
    }

    @Test func addAfterWithoutDelayAddsAtOnce() async {
        let queue = WorkQueue<String>(clock: ManualClock())
        queue.addAfter("a", .zero)
        #expect(queue.len == 1)
    }

    @Test func rateLimitedRetriesBackOffUntilForgotten() async throws {
        let clock = ManualClock()
        let queue = WorkQueue<String>(clock: clock)

        /// One failed attempt: requeue with backoff, check it is not due a tick early, then is due.
        func failAndRetry(expecting delay: Duration) async throws {
            queue.addRateLimited("a")
            try await withDeadline { try await clock.waitForSleepers(1) }
            clock.advance(by: delay - .milliseconds(1))
            #expect(clock.sleeperCount == 1)
            #expect(queue.len == 0)
            clock.advance(by: .milliseconds(1))
            #expect(try await withDeadline { await queue.get() } == "a")
            queue.done("a")
        }

        try await failAndRetry(expecting: .milliseconds(5))
        try await failAndRetry(expecting: .milliseconds(10))
        try await failAndRetry(expecting: .milliseconds(20))
        #expect(queue.numRequeues("a") == 3)

        queue.forget("a")
        #expect(queue.numRequeues("a") == 0)
        try await failAndRetry(expecting: .milliseconds(5))
    }

    @Test func shutDownReleasesWaitingWorkers() async throws {
        let queue = WorkQueue<String>()
        let workers = (0..<3).map { _ in Task { await queue.get() } }
        queue.shutDown()
        for worker in workers {
            #expect(try await withDeadline { await worker.value } == nil)
        }
    }

    @Test func afterShutDownQueuedKeysStillComeOutButNewOnesAreIgnored() async {
        let queue = WorkQueue<String>()
        queue.add("a")
        queue.shutDown()
        queue.add("b")
        #expect(queue.isShuttingDown)
        #expect(await queue.get() == "a")
        #expect(await queue.get() == nil)
    }

    @Test func shutDownDropsPendingDelays() async throws {
        let clock = ManualClock()
        let queue = WorkQueue<String>(clock: clock)
        queue.addAfter("a", .seconds(1))
        queue.shutDown()
        clock.advance(by: .seconds(1))
        #expect(await queue.get() == nil)
        queue.addAfter("b", .seconds(1))
        #expect(clock.sleeperCount == 0)
    }

    @Test func drainWaitsForQueuedAndProcessingKeys() async throws {
        let queue = WorkQueue<String>()
        let log = Locked<[String]>([])
        queue.add("a")
        queue.add("b")
        #expect(await queue.get() == "a")

        let drain = Task {
            await queue.shutDownWithDrain()
            log.withLock { $0.append("drained") }
        }
        log.withLock { $0.append("done a") }
        queue.done("a")
        let worker = Task {
            while let key = await queue.get() {
                log.withLock { $0.append("done \(key)") }
                queue.done(key)
            }
        }
        try await withDeadline {
            await drain.value
            await worker.value
        }
        #expect(log.value == ["done a", "done b", "drained"])
    }

    @Test func aCancelledWorkerGetsNil() async throws {
        let queue = WorkQueue<String>()
        let worker = Task { await queue.get() }
        worker.cancel()
        #expect(try await withDeadline { await worker.value } == nil)
        queue.add("a")
        #expect(await queue.get() == "a")  // the cancelled worker took nothing
    }
}
