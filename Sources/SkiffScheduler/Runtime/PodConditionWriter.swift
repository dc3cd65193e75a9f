/// PodConditionWriter: tells a pod why it is not scheduled, as Kubernetes' scheduler does after
/// a failed attempt: the condition PodScheduled=False with reason Unschedulable (or
/// SchedulerError) and the FitError as message, written through the status subresource.
/// - Nothing is written when the pod already carries that very condition (a retry that failed
///   the same way costs no write).
/// - The write carries the resourceVersion it read, so no other status field is clobbered; on
///   409 it reads the pod again and retries (a few times).
/// - A pod that got bound or deleted meanwhile is left alone.
/// Writes are keyed by pod in a work queue: a burst of failures for one pod collapses into one
/// write of the latest message, and a few workers write in parallel.
///
/// Concurrency: Sendable; `report` from any task, `run()` once. Must never: block the caller, or
/// write the condition on a bound pod.
import Logging
import SkiffAPI
import SkiffClient
import SkiffWire
import Synchronization

public final class PodConditionWriter: Sendable {
    public struct Failure: Sendable, Equatable {
        /// Unschedulable or SchedulerError.
        public var reason: String
        public var message: String
    }

    private let api: any SchedulerAPI
    private let wallClock: any WallClock
    private let work = WorkQueue<ObjectKey>()
    private let pending = Mutex<[ObjectKey: (pod: Pod, failure: Failure)]>([:])
    private let workers: Int
    private let logger: Logger
    static let conflictRetries = 5

    public init(api: any SchedulerAPI, wallClock: any WallClock = SystemWallClock(), workers: Int = 2,
                logger: Logger = Logger(label: "skiff.scheduler.status")) {
        self.api = api
        self.wallClock = wallClock
        self.workers = max(1, workers)
        self.logger = logger
    }

    public func report(_ pod: Pod, reason: String, message: String) {
        let key = ObjectKey(pod)
        pending.withLock { $0[key] = (pod, Failure(reason: reason, message: message)) }
        work.add(key)
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    while let key = await self.work.get() {
                        if let (pod, failure) = self.pending.withLock({ $0.removeValue(forKey: key) }) {
                            await self.write(failure, to: pod)
                        }
                        self.work.done(key)
                    }
                }
            }
        }
    }

    /// Stops taking reports; `run()` returns once the queued ones are written.
    public func close() { work.shutDown() }

    private func write(_ failure: Failure, to pod: Pod) async {
        var current = pod
        for _ in 0...Self.conflictRetries {
            guard let updated = Self.withUnschedulableCondition(current, failure, now: wallClock.now()) else { return }
            do {
                _ = try await api.updatePodStatus(updated)
                return
            } catch where error.apiReason == .conflict {
                do {
                    current = try await api.getPod(name: pod.metadata?.name ?? "", namespace: pod.metadata?.namespace ?? "")
                } catch {
                    return
                }
            } catch where error.apiReason == .notFound {
                return
            } catch {
                logger.warning("cannot update the pod's PodScheduled condition", metadata: [
                    "pod": "\(ObjectKey(pod))", "error": "\(error)",
                ])
                return
            }
        }
    }

    /// The pod with PodScheduled=False for `failure`, or nil when there is nothing to write: the
    /// pod is bound, being deleted, or already says exactly this. The transition time moves only
    /// when the condition's status changes, as Kubernetes' UpdatePodCondition.
    public static func withUnschedulableCondition(_ pod: Pod, _ failure: Failure, now: Time) -> Pod? {
        if let node = pod.spec?.nodeName, !node.isEmpty { return nil }
        if pod.metadata?.deletionTimestamp != nil { return nil }
        var status = pod.status ?? PodStatus()
        var condition = PodCondition(type: "PodScheduled", status: "False", lastTransitionTime: now,
                                     reason: failure.reason, message: failure.message)
        if let index = status.conditions.firstIndex(where: { $0.type == "PodScheduled" }) {
            let old = status.conditions[index]
            if old.status == condition.status && old.reason == condition.reason && old.message == condition.message {
                return nil
            }
            if old.status == condition.status { condition.lastTransitionTime = old.lastTransitionTime }
            condition.lastProbeTime = old.lastProbeTime
            status.conditions[index] = condition
        } else {
            status.conditions.append(condition)
        }
        var updated = pod
        updated.status = status
        return updated
    }
}
