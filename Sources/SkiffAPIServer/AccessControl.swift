/// AccessControl: the single gate every request passes, in Kubernetes' order: authenticate
/// (who is asking, from the envelope's bearer token; 401 otherwise), authorize (may they do
/// this verb on this resource in this namespace: the masters group, then the node authorizer,
/// then RBAC; 403 naming user, verb, resource and namespace otherwise), then admit (may this
/// write happen now: NamespaceLifecycle refuses creates in a namespace that is missing or
/// terminating; ServiceAccount admission is in ServiceAccountAdmission).
///
/// Concurrency: a Sendable value. Must never: let a request skip `authorize`, or allow when
/// no authorizer said allow.
import SkiffAPI
import SkiffWire

struct AccessControl: Sendable {
    let namespaces: NamespaceCache
    let authentication: Authentication
    let policy: PolicyCache
    let nodes: NodeAccess

    /// The namespaces that always exist; they are created at start and may not be deleted.
    static let systemNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"]

    func authenticate(token: String?) async throws(APIError) -> UserInfo {
        try await authentication.authenticate(token: token)
    }

    /// `createdName`: the name in a create's body, for the node authorizer (a node may create
    /// only its own Node and Lease).
    func authorize(_ user: UserInfo, _ scope: RequestScope, createdName: String? = nil) async throws {
        var attributes = AuthorizationAttributes(user: user, verb: scope.verb, apiGroup: scope.resource.group,
                                                 resource: scope.resource.plural, subresource: scope.subresource,
                                                 namespace: scope.namespace, name: scope.name)
        if attributes.name.isEmpty, let createdName { attributes.name = createdName }
        // A namespace is in itself, as in Kubernetes: a RoleBinding in X may let a user read X.
        if scope.resource.group.isEmpty, scope.resource.plural == "namespaces" { attributes.namespace = scope.name }
        switch try await decide(attributes) {
        case .allow: return
        case .deny(let reason): throw ForbiddenMessage.error(for: attributes, reason: reason)
        case .noOpinion: throw ForbiddenMessage.error(for: attributes)
        }
    }

    /// The chain's answer: the first authorizer that allows or denies decides; when none has
    /// an opinion the answer is no.
    func decide(_ attributes: AuthorizationAttributes) async throws -> AuthorizationDecision {
        if attributes.user.groups.contains(Authentication.mastersGroup) { return .allow }
        let node = try await nodes.decide(attributes)
        if node != .noOpinion { return node }
        guard try await policy.waitUntilLoaded() else {
            throw APIError.unavailable("the apiserver is still loading its authorization policy")
        }
        return policy.authorize(attributes)
    }

    /// RBAC escalation prevention (see EscalationCheck) for a write of a role or binding. An
    /// update that grants nothing new (the garbage collector editing ownerReferences, a label)
    /// passes, as Kubernetes lets the garbage collector through.
    func checkNoEscalation(_ object: any APIObject, _ scope: RequestScope, by user: UserInfo,
                           replacing old: (any APIObject)? = nil) async throws {
        if let old, EscalationCheck.grantsTheSame(object, old) { return }
        guard !user.groups.contains(Authentication.mastersGroup),
              let grant = EscalationCheck.granted(by: object, namespace: scope.namespace,
                                                  roleRules: { policy.rules(of: $0, namespace: $1) }) else { return }
        let name = object.metadata?.name ?? scope.name
        // The `escalate` verb on the role, or `bind` on the role a binding names, waives the check.
        var waiver = AuthorizationAttributes(user: user, verb: "escalate", apiGroup: BootstrapPolicy.rbacGroup,
                                             resource: scope.resource.plural, namespace: scope.namespace, name: name)
        if let target = grant.bindTarget {
            waiver.verb = "bind"
            waiver.resource = target.kind == "Role" ? "roles" : "clusterroles"
            waiver.name = target.name ?? ""
        }
        if try await decide(waiver) == .allow { return }
        let missing = EscalationCheck.uncovered(grant.rules, held: policy.rules(for: user, namespace: grant.scope))
        guard missing.isEmpty else { throw EscalationCheck.refusal(scope.resource, name: name, user: user, missing: missing) }
    }

    /// The part of Kubernetes' NodeRestriction admission that needs the object: a node creates
    /// pods only as mirror pods of its static pods, bound to itself, referencing no Secret,
    /// ConfigMap, claim or ServiceAccount (else a node could read any of them through its own
    /// mirror pod).
    func admitNodeCreate(_ object: any APIObject, by user: UserInfo) throws {
        guard let node = NodeAuthorizer.nodeName(of: user), let pod = object as? Pod else { return }
        let refuse = { (why: String) in
            APIError.forbidden(GroupResource(group: "", resource: "pods"), pod.metadata?.name ?? "", "node \"\(node)\" \(why)")
        }
        guard pod.metadata?.annotations[PodReferences.mirrorAnnotation] != nil, pod.spec?.nodeName == node else {
            throw refuse("can only create mirror pods bound to itself")
        }
        if let referenced = PodReferences.objects(pod).first {
            throw refuse("can not create pods that reference \(referenced.kind.rawValue)s (\(referenced.name))")
        }
        if let account = pod.spec?.serviceAccountName ?? pod.spec?.serviceAccount, !account.isEmpty {
            throw refuse("can not create pods that use service accounts (\(account))")
        }
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
