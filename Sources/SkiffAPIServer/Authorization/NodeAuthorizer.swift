/// NodeAuthorizer: Kubernetes' node authorizer (with the part of NodeRestriction that can be
/// decided from attributes). It speaks only for nodes, users in group system:nodes named
/// system:node:NODE, and only about what must depend on the node:
/// - get of secrets, configmaps, persistentvolumeclaims, persistentvolumes and serviceaccounts
///   (and create of serviceaccounts/token): allowed when `NodeGraph` relates the object to the
///   node, denied otherwise; any other verb on them is denied;
/// - create/update/patch/delete of nodes and nodes/status, and of Leases: allowed for the
///   node's own name (Leases only in kube-node-lease), denied for another (a create that names
///   nothing is left to RBAC);
/// - update/patch of pods/status and delete of pods: allowed for pods bound to the node,
///   denied for others.
/// Everything else, and every user that is not a node, gets no opinion: RBAC's system:node
/// role decides.
///
/// Concurrency: Sendable; reads the graph through the closure it was given, once per request.
/// Must never: allow a node to read an object none of its pods references.
import SkiffWire

struct NodeAuthorizer: Authorizer {
    static let nodesGroup = "system:nodes"
    static let nodeUserPrefix = "system:node:"
    static let nodeLeaseNamespace = "kube-node-lease"

    private let graph: @Sendable () -> NodeGraph

    /// `graph` returns the current snapshot; it is called once per request from a node.
    init(graph: @escaping @Sendable () -> NodeGraph) { self.graph = graph }

    init(graph: NodeGraph) { self.init { graph } }

    /// The node `user` is, if it is one: in group system:nodes and named system:node:NAME.
    static func nodeName(of user: UserInfo) -> String? {
        guard user.groups.contains(nodesGroup), user.name.hasPrefix(nodeUserPrefix) else { return nil }
        let name = String(user.name.dropFirst(nodeUserPrefix.count))
        return name.isEmpty ? nil : name
    }

    func authorize(_ attributes: AuthorizationAttributes) -> AuthorizationDecision {
        guard let node = Self.nodeName(of: attributes.user) else { return .noOpinion }
        let request = NodeRequest(node: node, attributes: attributes)
        switch (attributes.apiGroup, attributes.resource) {
        case ("", "secrets"): return request.read(.secret, graph())
        case ("", "configmaps"): return request.read(.configMap, graph())
        case ("", "persistentvolumeclaims"): return request.read(.persistentVolumeClaim, graph())
        case ("", "persistentvolumes"): return request.read(.persistentVolume, graph())
        case ("", "serviceaccounts"): return request.serviceAccount(graph())
        case ("", "nodes"): return request.ownNode()
        case ("", "pods"): return request.boundPod(graph())
        case ("coordination.k8s.io", "leases"): return request.ownLease()
        default: return .noOpinion
        }
    }
}

/// One node's request, and the rule for each kind of object the node authorizer guards.
private struct NodeRequest {
    let node: String
    let attributes: AuthorizationAttributes

    static let writes: Set<String> = ["create", "update", "patch", "delete"]

    var noRelationship: AuthorizationDecision { .deny("no relationship found between node '\(node)' and this object") }

    func read(_ kind: GraphObject.Kind, _ graph: NodeGraph) -> AuthorizationDecision {
        guard attributes.subresource.isEmpty else { return .deny("cannot get subresource \(attributes.subresource)") }
        guard attributes.verb == "get", !attributes.name.isEmpty else {
            return .deny("can only get individual resources of this type")
        }
        return related(kind, graph)
    }

    /// A ServiceAccount may be read, and a token made for it, when one of the node's pods runs as it.
    func serviceAccount(_ graph: NodeGraph) -> AuthorizationDecision {
        if attributes.verb == "create", attributes.subresource == "token", !attributes.name.isEmpty {
            return related(.serviceAccount, graph)
        }
        return read(.serviceAccount, graph)
    }

    private func related(_ kind: GraphObject.Kind, _ graph: NodeGraph) -> AuthorizationDecision {
        let object = GraphObject(kind: kind, namespace: attributes.namespace, name: attributes.name)
        return graph.reaches(node: node, object) ? .allow : noRelationship
    }

    /// Writes to a Node object (and its status) only for the node's own.
    func ownNode() -> AuthorizationDecision {
        guard Self.writes.contains(attributes.verb), ["", "status"].contains(attributes.subresource) else { return .noOpinion }
        return own(kind: "node")
    }

    /// A node writes only its heartbeat Lease, in kube-node-lease, named after it (RBAC's
    /// system:node role cannot say which namespace).
    func ownLease() -> AuthorizationDecision {
        guard Self.writes.contains(attributes.verb) else { return .noOpinion }
        guard attributes.namespace == NodeAuthorizer.nodeLeaseNamespace else {
            return .deny("node '\(node)' can only modify leases in namespace \(NodeAuthorizer.nodeLeaseNamespace)")
        }
        return own(kind: "lease")
    }

    private func own(kind: String) -> AuthorizationDecision {
        // A create without a name (generateName) cannot be the node's own.
        if attributes.name.isEmpty { return .deny("node '\(node)' can only create its own \(kind), by name") }
        return attributes.name == node ? .allow : .deny("node '\(node)' cannot modify \(kind) '\(attributes.name)'")
    }

    /// Pod status writes and pod deletes only for pods bound to the node.
    func boundPod(_ graph: NodeGraph) -> AuthorizationDecision {
        let statusWrite = attributes.subresource == "status" && ["update", "patch"].contains(attributes.verb)
        let delete = attributes.subresource.isEmpty && attributes.verb == "delete"
        guard statusWrite || delete else { return .noOpinion }
        guard graph.isBound(podNamespace: attributes.namespace, name: attributes.name, to: node) else {
            return .deny("node '\(node)' can only \(statusWrite ? "update the status of" : "delete") pods bound to it")
        }
        return .allow
    }
}
