/// NodeAffinity, as Kubernetes' plugin (the type is NodeAffinityPlugin: SkiffWire's NodeAffinity is
/// the API field it reads):
/// - filter: the node must match the pod's nodeSelector and its required node affinity, else
///   "node(s) didn't match Pod's node affinity/selector";
/// - score: the sum of the weights of the preferred terms the node matches, scaled so the best
///   node gets 100.
///
/// Concurrency: a pure Sendable value. Must never: let preferences filter.
import SkiffWire

public struct NodeAffinityPlugin: FilterPlugin, ScorePlugin {
    public static let reason = "node(s) didn't match Pod's node affinity/selector"
    public var name: String { "NodeAffinity" }
    public init() {}

    public func filter(_ pod: PodInfo, _ node: NodeInfo) -> [String] {
        guard pod.requiredAffinity.requiresAnything else { return [] }
        return pod.requiredAffinity.matches(name: node.name, labels: node.labels) ? [] : [Self.reason]
    }

    public func applies(to pod: PodInfo) -> Bool { !pod.preferredAffinity.isEmpty }

    public func score(_ pod: PodInfo, _ node: NodeInfo) -> Int64 {
        var total: Int64 = 0
        for preferred in pod.preferredAffinity {
            guard let weight = preferred.weight, weight != 0, let term = preferred.preference else { continue }
            if term.matches(name: node.name, labels: node.labels) { total += Int64(weight) }
        }
        return total
    }

    public func normalize(_ scores: inout [Int64]) { normalizeToMax(&scores, reverse: false) }
}
