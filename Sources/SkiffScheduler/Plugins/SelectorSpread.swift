/// SelectorSpread (score): spreads the pods of one controller (the ReplicaSet, StatefulSet or Job
/// named by the pod's controller ownerReference) across nodes, as Kubernetes' SelectorSpread did
/// and its default PodTopologySpread constraint on kubernetes.io/hostname does: the fewer
/// siblings a node already runs, the higher it scores (counted, then normalized in reverse).
/// Siblings are found by owner uid rather than by the owner's label selector: the pods a
/// controller selects are the ones it owns, and the count is kept per node, so scoring is O(1).
///
/// Concurrency: a pure Sendable value. Must never: score a pod with no controller (all 0).
public struct SelectorSpread: ScorePlugin {
    public var name: String { "SelectorSpread" }
    public init() {}

    public func applies(to pod: PodInfo) -> Bool { pod.controllerUID != nil }

    public func score(_ pod: PodInfo, _ node: NodeInfo) -> Int64 {
        guard let owner = pod.controllerUID else { return 0 }
        return Int64(node.controllerCounts[owner, default: 0])
    }

    public func normalize(_ scores: inout [Int64]) { normalizeToMax(&scores, reverse: true) }
}
