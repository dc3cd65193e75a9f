/// Binder: the binding cycle, apart from the scheduling cycle as in Kubernetes: the loop assumes
/// a pod on its node and hands it here; `parallelism` workers post the bindings concurrently, so
/// throughput is not one API round trip per pod.
/// - bound: the Normal event "Scheduled", "Successfully assigned NS/NAME to NODE";
/// - 409 Conflict (another scheduler bound it first, or it is being deleted) or 404 (gone):
///   the assumption is forgotten and the pod dropped; the informer brings the truth;
/// - any other failure: the assumption is forgotten, FailedScheduling is reported (reason
///   SchedulerError) and the pod goes back to the queue with backoff, if it still waits.
///
/// Concurrency: Sendable; `submit` from the loop, `run()` once. Must never: bind a pod twice
/// from this scheduler, or requeue a pod that is gone or bound.
import Logging
import SkiffAPI
import SkiffClient
import SkiffWire
import Synchronization

public final class Binder: Sendable {
    struct Assignment: Sendable {
        var queued: QueuedPod
        var node: String
    }

    public struct Counters: Sendable, Equatable {
        public var bound = 0
        public var conflicts = 0
        public var errors = 0
    }

    private let api: any SchedulerAPI
    private let cache: SchedulerCache
    private let queue: SchedulingQueue
    private let recorder: EventRecorder
    private let conditions: PodConditionWriter
    /// The informer's current view of a pod, to tell whether a failed one still waits.
    private let currentPod: @Sendable (ObjectKey) -> Pod?
    private let work = WorkQueue<ObjectKey>()
    private let pending = Mutex<[ObjectKey: Assignment]>([:])
    private let counters = Mutex(Counters())
    private let parallelism: Int
    private let logger: Logger

    init(api: any SchedulerAPI, cache: SchedulerCache, queue: SchedulingQueue, recorder: EventRecorder,
         conditions: PodConditionWriter, currentPod: @escaping @Sendable (ObjectKey) -> Pod?, parallelism: Int,
         logger: Logger) {
        self.api = api
        self.cache = cache
        self.queue = queue
        self.recorder = recorder
        self.conditions = conditions
        self.currentPod = currentPod
        self.parallelism = max(1, parallelism)
        self.logger = logger
    }

    public var counts: Counters { counters.withLock { $0 } }

    func submit(_ queued: QueuedPod, to node: String) {
        pending.withLock { $0[queued.key] = Assignment(queued: queued, node: node) }
        work.add(queued.key)
    }

    func run() async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<parallelism {
                group.addTask {
                    while let key = await self.work.get() {
                        if let assignment = self.pending.withLock({ $0.removeValue(forKey: key) }) {
                            await self.bind(assignment)
                        }
                        self.work.done(key)
                    }
                }
            }
        }
    }

    /// Stops taking work; `run()` returns once the submitted bindings are done.
    func close() { work.shutDown() }

    private func bind(_ assignment: Assignment) async {
        let pod = assignment.queued.pod
        let key = assignment.queued.key
        do {
            try await api.bind(pod: key.name, namespace: key.namespace, node: assignment.node)
            counters.withLock { $0.bound += 1 }
            recorder.record(pod, type: "Normal", reason: "Scheduled", action: "Binding",
                            message: "Successfully assigned \(key.namespace)/\(key.name) to \(assignment.node)")
        } catch is CancellationError {
            // Stopping past the drain limit: the informer of the next run will tell.
            cache.forget(key)
        } catch where error.apiReason == .conflict || error.apiReason == .notFound {
            counters.withLock { $0.conflicts += 1 }
            cache.forget(key)
            logger.debug("binding refused; dropping the pod", metadata: ["pod": "\(key)", "error": "\(error)"])
        } catch {
            counters.withLock { $0.errors += 1 }
            cache.forget(key)
            logger.warning("binding failed", metadata: ["pod": "\(key)", "node": "\(assignment.node)", "error": "\(error)"])
            guard let current = currentPod(key), (current.spec?.nodeName ?? "").isEmpty,
                  current.metadata?.deletionTimestamp == nil else { return }
            let message = "Binding rejected: \(error)"
            recorder.record(current, type: "Warning", reason: "FailedScheduling", action: "Scheduling", message: message)
            conditions.report(current, reason: "SchedulerError", message: message)
            var queued = assignment.queued
            queued.pod = current
            queue.requeueAfterError(queued)
        }
    }
}
