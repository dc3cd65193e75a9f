/// NodeReady (filter): a node whose Ready condition is not True takes no new pods. Kubernetes
/// gets this from the node lifecycle controller, which taints such nodes
/// node.kubernetes.io/not-ready (False) or node.kubernetes.io/unreachable (Unknown); Skiff has no
/// such controller yet, so this filter reads the condition and honours the same tolerations
/// (DaemonSet pods carry them). The wording is Kubernetes' old CheckNodeCondition predicate's.
///
/// Concurrency: a pure Sendable value. Must never: pass a node that never reported Ready.
public struct NodeReady: FilterPlugin {
    public static let reason = "node(s) were not ready"
    public var name: String { "NodeReady" }
    public init() {}

    public func filter(_ pod: PodInfo, _ node: NodeInfo) -> [String] {
        switch node.readiness {
        case .ready: return []
        case .notReady:
            return pod.tolerations.tolerateNoSchedule(key: WellKnownTaint.notReady) ? [] : [Self.reason]
        case .unknown:
            return pod.tolerations.tolerateNoSchedule(key: WellKnownTaint.unreachable) ? [] : [Self.reason]
        }
    }
}
