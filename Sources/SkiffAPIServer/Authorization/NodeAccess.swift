/// NodeAccess: runs the node authorizer for a request from a node, with the part of the graph
/// that request needs read from the store at that moment: the node's pods in the object's
/// namespace (and the claims there), or the one pod a status write or delete names. Reading
/// on demand rather than keeping a cluster-wide graph means a pod just bound to the node lets
/// its kubelet read the pod's Secrets at once, and costs nothing for the many requests that
/// need no graph.
///
/// Concurrency: a Sendable value; reads go to the store. Must never: decide for a user that
/// is not a node (those get no opinion).
import SkiffAPI
import SkiffWire

struct NodeAccess: Sendable {
    let registry: ObjectRegistry

    static let graphReads: Set<String> = ["secrets", "configmaps", "persistentvolumeclaims", "persistentvolumes", "serviceaccounts"]
    static let pods = ResourceCatalog.resource(group: "", plural: "pods")!
    static let claims = ResourceCatalog.resource(group: "", plural: "persistentvolumeclaims")!

    func decide(_ attributes: AuthorizationAttributes) async throws -> AuthorizationDecision {
        guard let node = NodeAuthorizer.nodeName(of: attributes.user) else { return .noOpinion }
        let graph = try await graph(for: attributes, node: node)
        return NodeAuthorizer(graph: graph).authorize(attributes)
    }

    /// The pods (and claims) the node authorizer looks at for this request; none when it
    /// decides by name alone.
    private func graph(for attributes: AuthorizationAttributes, node: String) async throws -> NodeGraph {
        guard attributes.apiGroup.isEmpty else { return NodeGraph() }
        if attributes.resource == "pods" {
            let key = StorageKey(resource: Self.pods, namespace: attributes.namespace, name: attributes.name)
            guard !attributes.name.isEmpty, let pod = try await registry.read(key)?.object as? Pod else { return NodeGraph() }
            return NodeGraph(pods: [pod])
        }
        guard Self.graphReads.contains(attributes.resource), !attributes.name.isEmpty else { return NodeGraph() }
        // A PersistentVolume is cluster-scoped: its claim may be in any namespace.
        let namespace = attributes.resource == "persistentvolumes" ? "" : attributes.namespace
        let onNode = try ListFilter(labelSelector: nil, fieldSelector: "spec.nodeName=\(node)", resource: Self.pods)
        let pods = try await everything(Self.pods, namespace: namespace, filter: onNode).compactMap { $0 as? Pod }
        var claims: [PersistentVolumeClaim] = []
        if ["persistentvolumeclaims", "persistentvolumes"].contains(attributes.resource) {
            let all = try ListFilter(labelSelector: nil, fieldSelector: nil, resource: Self.claims)
            claims = try await everything(Self.claims, namespace: namespace, filter: all).compactMap { $0 as? PersistentVolumeClaim }
        }
        return NodeGraph(pods: pods, claims: claims)
    }

    private func everything(_ info: ResourceInfo, namespace: String, filter: ListFilter) async throws -> [any APIObject] {
        let page = try await registry.list(info, namespace: namespace, filter: filter, limit: 0, continueToken: nil,
                                           resourceVersion: nil)
        return try page.items.map { try registry.decode(info, $0) }
    }
}
