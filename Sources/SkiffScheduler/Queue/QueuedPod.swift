/// QueuedPod: a pod waiting in the SchedulingQueue, with what the queue knows of its history
/// (Kubernetes' `QueuedPodInfo`): when it entered, how many attempts it had, when the last one
/// failed (its backoff counts from there) and which scheduling cycle took it last.
///
/// Concurrency: a plain value. Must never: be scheduled under a key other than its pod's.
import SkiffClient
import SkiffWire

public struct QueuedPod: Sendable {
    public var pod: Pod
    public let key: ObjectKey
    /// When the pod last entered the queue: orders pods of equal priority.
    public var timestamp: Duration
    /// Scheduling attempts so far (counted when popped).
    public var attempts = 0
    /// When the last attempt failed.
    public var lastFailure: Duration?
    /// The scheduling cycle of the last pop.
    public var cycle: Int64 = 0
    /// Ties on priority and timestamp go by arrival.
    var sequence: UInt64 = 0

    public init(_ pod: Pod, timestamp: Duration) {
        self.pod = pod
        key = ObjectKey(pod)
        self.timestamp = timestamp
    }

    public var priority: Int32 { pod.spec?.priority ?? 0 }
}
