/// NodeUnschedulable (filter): a cordoned node (spec.unschedulable) takes only pods that tolerate
/// the node.kubernetes.io/unschedulable:NoSchedule taint, as Kubernetes' plugin of that name.
///
/// Concurrency: a pure Sendable value. Must never: look at the node's taints list; the cordon
/// taint may or may not be there, the spec field decides.
public struct NodeUnschedulable: FilterPlugin {
    public static let reason = "node(s) were unschedulable"
    public var name: String { "NodeUnschedulable" }
    public init() {}

    public func filter(_ pod: PodInfo, _ node: NodeInfo) -> [String] {
        guard node.unschedulable, !pod.tolerations.tolerateNoSchedule(key: WellKnownTaint.unschedulable) else { return [] }
        return [Self.reason]
    }
}
