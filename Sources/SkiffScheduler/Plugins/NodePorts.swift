/// NodePorts (filter): a pod whose containers open host ports fits only where none of them is
/// held by an assigned pod (same protocol and port, overlapping address), as Kubernetes' plugin.
///
/// Concurrency: a pure Sendable value. Must never: compare container ports that have no hostPort.
public struct NodePorts: FilterPlugin {
    public static let reason = "node(s) didn't have free ports for the requested pod ports"
    public var name: String { "NodePorts" }
    public init() {}

    public func filter(_ pod: PodInfo, _ node: NodeInfo) -> [String] {
        guard !pod.hostPorts.isEmpty, !node.usedPorts.isEmpty else { return [] }
        for wanted in pod.hostPorts {
            for used in node.usedPorts.keys where wanted.conflicts(with: used) { return [Self.reason] }
        }
        return []
    }
}
