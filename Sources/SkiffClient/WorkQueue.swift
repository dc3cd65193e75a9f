/// WorkQueue: the keys a controller still has to reconcile, with client-go's workqueue semantics
/// (the plain, delaying and rate-limiting queues in one type):
/// - `add` is idempotent while a key waits ("dirty"); distinct keys come out in FIFO order;
/// - a key handed out by `get` is "processing" until `done`; it is never handed out twice at once:
///   an `add` meanwhile marks it dirty and `done` puts it back in the queue;
/// - `addAfter` adds once a delay has passed on the injected clock (a key already waiting keeps
///   the earlier time); `addRateLimited` takes the delay from the per-key `RateLimiter`; `forget`
///   resets it once the key succeeds;
/// - after `shutDown`, `add` is ignored, pending delays are dropped, and `get` returns the keys
///   still queued, then nil.
///
/// Concurrency: Sendable; any number of workers may `get` at once. Must never: hand one key to two
/// workers at once, lose a key added while it was processing, or sleep on anything but its clock.
import Synchronization

public final class WorkQueue<Key: Hashable & Sendable>: Sendable {
    private struct Delayed {
        var readyAt: Duration
        var timer: Task<Void, Never>
    }

    private struct State {
        /// Keys ready to hand out, each at most once.
        var queue = FIFO<Key>()
        /// Keys that need processing: queued, or added again while processing.
        var dirty = Set<Key>()
        var processing = Set<Key>()
        /// Keys waiting out a delay, by when they are due on the queue's timeline.
        var delayed: [Key: Delayed] = [:]
        var getters = Waiters<Key?>()
        var drainers = Waiters<Bool>()
        var shuttingDown = false

        mutating func insert(_ key: Key) {
            guard !shuttingDown, dirty.insert(key).inserted, !processing.contains(key) else { return }
            enqueue(key)
        }

        /// Hands a dirty key to a waiting worker, or queues it.
        mutating func enqueue(_ key: Key) {
            if let getter = getters.popFirst() {
                dirty.remove(key)
                processing.insert(key)
                getter.resume(returning: key)
            } else {
                queue.append(key)
            }
        }

        mutating func wakeDrainersIfIdle() {
            guard shuttingDown, processing.isEmpty, queue.isEmpty else { return }
            for drainer in drainers.removeAll() { drainer.resume(returning: true) }
        }
    }

    private let state = Mutex(State())
    private let timeline: Timeline
    private let rateLimiter: any RateLimiter<Key>

    public init(clock: any Clock<Duration> = ContinuousClock(),
                rateLimiter: any RateLimiter<Key> = ExponentialBackoffRateLimiter()) {
        timeline = Timeline(clock)
        self.rateLimiter = rateLimiter
    }

    /// Marks `key` as needing processing. Does nothing if it is already queued or after shutdown.
    public func add(_ key: Key) { state.withLock { $0.insert(key) } }

    /// The next key to process, which the caller must hand back with `done`. Waits while the queue
    /// is empty; nil once it is shut down and empty, or when the calling task is cancelled.
    public func get() async -> Key? {
        await withWaiter { id, continuation in
            state.withLock { state in
                if let key = state.queue.popFirst() {
                    state.dirty.remove(key)
                    state.processing.insert(key)
                    continuation.resume(returning: key)
                } else if state.shuttingDown || Task.isCancelled {
                    continuation.resume(returning: nil)
                } else {
                    state.getters.add(id, continuation)
                }
            }
        } onCancel: { id in
            state.withLock { $0.getters.remove(id) }?.resume(returning: nil)
        }
    }

    /// Ends processing of `key`; if it was added meanwhile, it goes back in the queue.
    public func done(_ key: Key) {
        state.withLock { state in
            state.processing.remove(key)
            if state.dirty.contains(key) { state.enqueue(key) }
            state.wakeDrainersIfIdle()
        }
    }

    /// Adds `key` once `delay` has passed on the clock; at once if the delay is not positive.
    public func addAfter(_ key: Key, _ delay: Duration) {
        guard delay > .zero else { return add(key) }
        state.withLock { state in
            guard !state.shuttingDown else { return }
            let readyAt = timeline.elapsed() + delay
            if let waiting = state.delayed[key] {
                guard readyAt < waiting.readyAt else { return }
                waiting.timer.cancel()
            }
            let timer = Task { [weak self, timeline] in
                do { try await timeline.sleepUntil(readyAt) } catch { return }
                self?.delayPassed(key, readyAt)
            }
            state.delayed[key] = Delayed(readyAt: readyAt, timer: timer)
        }
    }

    private func delayPassed(_ key: Key, _ readyAt: Duration) {
        state.withLock { state in
            // A newer, earlier addAfter replaced this timer (and cancelled it, perhaps too late).
            guard state.delayed[key]?.readyAt == readyAt else { return }
            state.delayed[key] = nil
            state.insert(key)
        }
    }

    /// Adds `key` after its rate limiter's next delay: one more failure for it.
    public func addRateLimited(_ key: Key) { addAfter(key, rateLimiter.when(key)) }

    /// Resets `key`'s backoff; call it when the key was processed successfully.
    public func forget(_ key: Key) { rateLimiter.forget(key) }

    /// How many times `key` was rate-limited since it was last forgotten.
    public func numRequeues(_ key: Key) -> Int { rateLimiter.numRequeues(key) }

    /// Keys ready to hand out (not counting those processing or waiting out a delay).
    public var len: Int { state.withLock { $0.queue.count } }

    public var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// Stops accepting keys and drops pending delays; waiting workers get nil once the queue is empty.
    public func shutDown() {
        state.withLock { state in
            guard !state.shuttingDown else { return }
            state.shuttingDown = true
            for waiting in state.delayed.values { waiting.timer.cancel() }
            state.delayed = [:]
            // Workers only wait on an empty queue, so every one of them is done.
            for getter in state.getters.removeAll() { getter.resume(returning: nil) }
            state.wakeDrainersIfIdle()
        }
    }

    /// Shuts down, then returns once every key already queued or processing has been handed out
    /// and marked done (so workers must still be running), or when the calling task is cancelled.
    public func shutDownWithDrain() async {
        shutDown()
        let _: Bool = await withWaiter { id, continuation in
            state.withLock { state in
                if state.processing.isEmpty && state.queue.isEmpty {
                    continuation.resume(returning: true)
                } else if Task.isCancelled {
                    continuation.resume(returning: false)
                } else {
                    state.drainers.add(id, continuation)
                }
            }
        } onCancel: { id in
            state.withLock { $0.drainers.remove(id) }?.resume(returning: false)
        }
    }
}

/// A first-in first-out buffer with O(1) append and pop.
struct FIFO<Element> {
    private var items: [Element] = []
    private var head = 0

    var count: Int { items.count - head }
    var isEmpty: Bool { count == 0 }

    mutating func append(_ element: Element) { items.append(element) }

    mutating func popFirst() -> Element? {
        guard head < items.count else { return nil }
        defer {
            head += 1
            // Reclaim the consumed prefix once it is most of the storage.
            if head >= 32 && head * 2 >= items.count {
                items.removeFirst(head)
                head = 0
            }
        }
        return items[head]
    }
}
