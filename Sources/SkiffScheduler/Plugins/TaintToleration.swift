/// TaintToleration, as Kubernetes' plugin:
/// - filter: a node with a NoSchedule or NoExecute taint the pod does not tolerate is out; the
///   reason names the first such taint, "node(s) had untolerated taint {key: value}";
/// - score: fewer untolerated PreferNoSchedule taints is better (counted, then normalized in
///   reverse); only tolerations with effect PreferNoSchedule or none count here.
///
/// Concurrency: a pure Sendable value. Must never: let PreferNoSchedule taints filter.
import SkiffWire

public struct TaintToleration: FilterPlugin, ScorePlugin {
    public var name: String { "TaintToleration" }
    public init() {}

    public static func reason(_ taint: Taint) -> String {
        "node(s) had untolerated taint {\(taint.key ?? ""): \(taint.value ?? "")}"
    }

    public func filter(_ pod: PodInfo, _ node: NodeInfo) -> [String] {
        for taint in node.taints where taint.effect == TaintEffect.noSchedule || taint.effect == TaintEffect.noExecute {
            if !pod.tolerations.tolerate(taint) { return [Self.reason(taint)] }
        }
        return []
    }

    public func score(_ pod: PodInfo, _ node: NodeInfo) -> Int64 {
        var untolerated: Int64 = 0
        for taint in node.taints where taint.effect == TaintEffect.preferNoSchedule {
            let tolerated = pod.tolerations.contains { toleration in
                let effect = toleration.effect ?? ""
                return (effect.isEmpty || effect == TaintEffect.preferNoSchedule) && toleration.tolerates(taint)
            }
            if !tolerated { untolerated += 1 }
        }
        return untolerated
    }

    public func normalize(_ scores: inout [Int64]) { normalizeToMax(&scores, reverse: true) }
}
