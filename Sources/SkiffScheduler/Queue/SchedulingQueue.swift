/// SchedulingQueue: the pods waiting for a node, shared by the informer handlers (which add,
/// update and delete), the scheduling loop (which pops and requeues) and the binders (which
/// requeue failed bindings). The rules live in `State` (SchedulingQueueState.swift), a pure
/// value; this class adds the lock, the time from the injected clock, a `pop` that waits, and
/// `run()`, which flushes the backoff queue and the unschedulable leftovers once a second as
/// Kubernetes' flushBackoffQCompleted does.
///
/// Concurrency: Sendable; every method may be called from any task; `pop` may have several
/// waiters. Must never: sleep on anything but its clock, or hand one pod to two cycles at once.
import SkiffClient
import SkiffWire
import Synchronization

public final class SchedulingQueue: Sendable {
    private struct Guarded {
        var state: State
        var waiters: [(id: UInt64, continuation: CheckedContinuation<QueuedPod?, Never>)] = []
        var nextWaiterID: UInt64 = 0
        var closed = false

        /// Hands active pods to waiting pops.
        mutating func wake() {
            while !waiters.isEmpty, let pod = state.pop() {
                waiters.removeFirst().continuation.resume(returning: pod)
            }
        }
    }

    private let guarded: Mutex<Guarded>
    private let clock: ElapsedClock
    /// How often `run()` flushes.
    public let flushInterval: Duration

    public init(options: Options = Options(), clock: any Clock<Duration> = ContinuousClock(),
                flushInterval: Duration = .seconds(1)) {
        guarded = Mutex(Guarded(state: State(options: options)))
        self.clock = ElapsedClock(clock)
        self.flushInterval = flushInterval
    }

    private func mutate<R>(_ body: (inout State, Duration) -> R) -> R {
        let now = clock.now()
        return guarded.withLock { guarded in
            let result = body(&guarded.state, now)
            guarded.wake()
            return result
        }
    }

    /// A copy of the state, to inspect (tests, logs).
    public var state: State { guarded.withLock { $0.state } }

    public func add(_ pod: Pod) { mutate { $0.add(pod, now: $1) } }
    public func delete(_ key: ObjectKey) { mutate { state, _ in state.delete(key) } }
    public func done(_ key: ObjectKey) { mutate { state, _ in state.done(key) } }
    public func requeueUnschedulable(_ pod: QueuedPod) { mutate { $0.requeueUnschedulable(pod, now: $1) } }
    public func requeueAfterError(_ pod: QueuedPod) { mutate { $0.requeueAfterError(pod, now: $1) } }
    public func moveAllToActiveOrBackoff() { mutate { $0.moveAllToActiveOrBackoff(now: $1) } }
    public func flush() { mutate { $0.flush(now: $1) } }

    /// The next pod to schedule; waits while none is active. Nil once closed or cancelled.
    public func pop() async -> QueuedPod? {
        let id = guarded.withLock { guarded in
            guarded.nextWaiterID += 1
            return guarded.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<QueuedPod?, Never>) in
                guarded.withLock { guarded in
                    if guarded.closed || Task.isCancelled {
                        continuation.resume(returning: nil)
                    } else if let pod = guarded.state.pop() {
                        continuation.resume(returning: pod)
                    } else {
                        guarded.waiters.append((id, continuation))
                    }
                }
            }
        } onCancel: {
            let waiter = guarded.withLock { guarded -> CheckedContinuation<QueuedPod?, Never>? in
                guard let index = guarded.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return guarded.waiters.remove(at: index).continuation
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Flushes every `flushInterval` until cancelled.
    public func run() async {
        while !Task.isCancelled {
            do { try await clock.sleep(flushInterval) } catch { return }
            flush()
        }
    }

    /// Ends every waiting and future `pop` with nil.
    public func close() {
        let waiters = guarded.withLock { guarded in
            guarded.closed = true
            defer { guarded.waiters.removeAll() }
            return guarded.waiters.map(\.continuation)
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }
}
