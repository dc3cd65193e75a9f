/// AccessControl: the single gate every request passes, in Kubernetes' order: authenticate
/// (who is asking, from the envelope's bearer token), authorize (may they do this verb on this
/// resource in this namespace), then admit (may this write happen now: NamespaceLifecycle
/// refuses writes into a namespace that is missing or terminating).
///
/// Authentication and RBAC arrive with the security issue; until then every caller is the
/// cluster's admin, and `authorize` allows everything, but every request already goes through
/// both, so adding them changes this file only.
///
/// Concurrency: a Sendable value. Must never: let a request skip `authorize`.
import SkiffAPI
import SkiffWire

struct AccessControl: Sendable {
    let namespaces: NamespaceCache

    /// The namespaces that always exist; they are created at start and may not be deleted.
    static let systemNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"]

    func authenticate(token: String?) throws(APIError) -> UserInfo {
        UserInfo(name: "admin", groups: ["system:masters", "system:authenticated"])
    }

    func authorize(_ user: UserInfo, _ scope: RequestScope) throws(APIError) {
    }

    /// NamespaceLifecycle admission for creates: the target namespace must exist and not be
    /// terminating (updates and deletes of existing objects stay possible, so cleanup can run).
    func admitWrite(_ scope: RequestScope, name: String, registry: ObjectRegistry) async throws {
        guard scope.resource.namespaced, scope.verb == "create" else { return }
        switch self.namespaces.state(of: scope.namespace) {
        case .active?:
            return
        case .terminating?:
            throw Self.terminating(scope, name)
        case .gone?, nil:
            break  // not known, or known deleted: ask the store (it may have been created since)
        }
        let key = StorageKey(resource: Self.namespaces, namespace: "", name: scope.namespace)
        let read = try await registry.read(key)
        if let read, let namespace = read.object as? Namespace {
            self.namespaces.record(scope.namespace, NamespaceCache.state(of: namespace), at: read.modRevision)
        }
        guard let found = read else {
            throw APIError(code: 404, reason: .notFound, message: "namespaces \"\(scope.namespace)\" not found",
                           details: StatusDetails(name: scope.namespace, kind: "namespaces"))
        }
        if found.object.metadata?.deletionTimestamp != nil { throw Self.terminating(scope, name) }
    }

    private static func terminating(_ scope: RequestScope, _ name: String) -> APIError {
        APIError.forbidden(scope.resource.groupResource, name,
                           "unable to create new content in namespace \(scope.namespace) because it is being terminated")
    }

    static let namespaces = ResourceCatalog.resource(group: "", plural: "namespaces")!
}
