/// NodeName (filter): a pod that names its node (spec.nodeName) fits only there. Such a pod is
/// already bound, so the scheduler never queues it; the filter exists so that the pipeline
/// answers as Kubernetes' does when asked about one.
///
/// Concurrency: a pure Sendable value. Must never: reject a pod that names no node.
public struct NodeName: FilterPlugin {
    public static let reason = "node(s) didn't match the requested node name"
    public var name: String { "NodeName" }
    public init() {}

    public func filter(_ pod: PodInfo, _ node: NodeInfo) -> [String] {
        pod.nodeName.isEmpty || pod.nodeName == node.name ? [] : [Self.reason]
    }
}
