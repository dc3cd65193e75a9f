/// PodState: the questions every workload controller asks of a pod, answered as Kubernetes'
/// controller utilities answer them (k8s.io/kubernetes/pkg/controller and podutil).
///
/// Concurrency: pure functions of their arguments. Must never: read a clock; `now` is passed in.
import SkiffWire

public enum PodState {
    /// Not finished (Succeeded or Failed) and not being deleted: it counts towards replicas.
    public static func isActive(_ pod: Pod) -> Bool {
        let phase = pod.status?.phase ?? ""
        return phase != "Succeeded" && phase != "Failed" && pod.metadata?.deletionTimestamp == nil
    }

    /// Being deleted but not finished: its containers may still run.
    public static func isTerminating(_ pod: Pod) -> Bool {
        let phase = pod.status?.phase ?? ""
        return pod.metadata?.deletionTimestamp != nil && phase != "Succeeded" && phase != "Failed"
    }

    /// The pod's Ready condition, if it has one.
    public static func readyCondition(_ pod: Pod) -> PodCondition? {
        pod.status?.conditions.first { $0.type == "Ready" }
    }

    /// Ready condition True.
    public static func isReady(_ pod: Pod) -> Bool { readyCondition(pod)?.status == "True" }

    /// Ready for at least `minReadySeconds` at `now` (ready at all when it is 0), as
    /// podutil.IsPodAvailable.
    public static func isAvailable(_ pod: Pod, minReadySeconds: Int32, now: Time) -> Bool {
        guard let ready = readyCondition(pod), ready.status == "True" else { return false }
        if minReadySeconds <= 0 { return true }
        guard let since = ready.lastTransitionTime else { return false }
        return since.seconds + Int64(minReadySeconds) <= now.seconds
    }

    /// When an available-but-not-yet pod becomes available: the instant to look again.
    public static func becomesAvailable(_ pod: Pod, minReadySeconds: Int32) -> Time? {
        guard minReadySeconds > 0, let ready = readyCondition(pod), ready.status == "True",
              let since = ready.lastTransitionTime else { return nil }
        return Time(seconds: since.seconds + Int64(minReadySeconds), nanos: since.nanos)
    }

    /// Restarts of all its containers, for ranking.
    public static func restarts(_ pod: Pod) -> Int32 {
        (pod.status?.containerStatuses ?? []).reduce(0) { $0 + ($1.restartCount ?? 0) }
    }
}
