/// PodRanking: which pods a controller removes first when it has too many, as Kubernetes'
/// ActivePods ordering: unscheduled before scheduled, Pending before Unknown before Running,
/// not ready before ready, ready for less time before longer, more restarts before fewer,
/// newer before older.
///
/// Concurrency: pure. Must never: depend on the input's order for pods that differ.
import SkiffWire

public enum PodRanking {
    /// `pods` ordered from the first to delete to the last.
    public static func deletionOrder(_ pods: [Pod]) -> [Pod] {
        pods.sorted(by: deleteBefore)
    }

    static func deleteBefore(_ a: Pod, _ b: Pod) -> Bool {
        let assignedA = !(a.spec?.nodeName ?? "").isEmpty, assignedB = !(b.spec?.nodeName ?? "").isEmpty
        if assignedA != assignedB { return !assignedA }
        let phaseA = phaseRank(a), phaseB = phaseRank(b)
        if phaseA != phaseB { return phaseA < phaseB }
        let readyA = PodState.isReady(a), readyB = PodState.isReady(b)
        if readyA != readyB { return !readyA }
        if readyA, readyB {
            let sinceA = PodState.readyCondition(a)?.lastTransitionTime, sinceB = PodState.readyCondition(b)?.lastTransitionTime
            if sinceA != sinceB { return (sinceA ?? Time()) > (sinceB ?? Time()) }
        }
        let restartsA = PodState.restarts(a), restartsB = PodState.restarts(b)
        if restartsA != restartsB { return restartsA > restartsB }
        let createdA = a.metadata?.creationTimestamp ?? Time(), createdB = b.metadata?.creationTimestamp ?? Time()
        if createdA != createdB { return createdA > createdB }
        return (a.metadata?.name ?? "") < (b.metadata?.name ?? "")
    }

    private static func phaseRank(_ pod: Pod) -> Int {
        switch pod.status?.phase ?? "Pending" {
        case "Pending": 0
        case "Unknown": 1
        case "Running": 2
        default: 3
        }
    }
}
