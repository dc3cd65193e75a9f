/// RBACPolicy: Kubernetes' RBAC authorizer over a value snapshot of every Role, ClusterRole,
/// RoleBinding and ClusterRoleBinding. A request is allowed when a binding that names the user
/// (by user name, by one of its groups, or as a ServiceAccount) refers to a role with a rule
/// covering it: ClusterRoleBindings in every namespace and at the cluster scope, RoleBindings
/// only in their own namespace (whether they refer to a Role there or to a ClusterRole).
/// Otherwise it has no opinion: RBAC never denies.
///
/// Bindings are indexed by subject (`SubjectIndex`), per namespace for RoleBindings, so a
/// request costs the user's own bindings, not the cluster's. Aggregated ClusterRoles are
/// resolved when ClusterRoles change (`ClusterRoleAggregation`).
///
/// Concurrency: a Sendable value; the apiserver keeps it current from watch events with
/// `apply`/`remove` and publishes copies for requests to read. Must never: let a RoleBinding
/// grant outside its namespace, or a ClusterRoleBinding grant a (namespaced) Role.
import SkiffWire

struct RBACPolicy: Sendable {
    private var roles: [String: Role] = [:]                     // by "namespace/name"
    private var clusterRoles: [String: ClusterRole] = [:]
    private var roleBindings: [String: RoleBinding] = [:]       // by "namespace/name"
    private var clusterRoleBindings: [String: ClusterRoleBinding] = [:]
    /// Effective rules of the ClusterRoles that aggregate others.
    private var aggregatedRules: [String: [PolicyRule]] = [:]
    /// ClusterRoleBinding names by subject.
    private var clusterIndex = SubjectIndex()
    /// RoleBinding names (without namespace) by namespace, then subject.
    private var namespaceIndexes: [String: SubjectIndex] = [:]

    init(roles: [Role] = [], clusterRoles: [ClusterRole] = [], roleBindings: [RoleBinding] = [],
         clusterRoleBindings: [ClusterRoleBinding] = []) {
        for role in roles { self.roles[Self.key(role.metadata)] = role }
        for role in clusterRoles { self.clusterRoles[role.metadata?.name ?? ""] = role }
        for binding in roleBindings { insert(binding) }
        for binding in clusterRoleBindings { insert(binding) }
        aggregatedRules = ClusterRoleAggregation.effectiveRules(self.clusterRoles)
    }

    // MARK: keeping current

    /// Adds or replaces an object of one of the four RBAC kinds; other objects are ignored.
    mutating func apply(_ object: any APIObject) {
        switch object {
        case let role as Role: roles[Self.key(role.metadata)] = role
        case let role as ClusterRole:
            clusterRoles[role.metadata?.name ?? ""] = role
            aggregatedRules = ClusterRoleAggregation.effectiveRules(clusterRoles)
        case let binding as RoleBinding:
            removeRoleBinding(Self.key(binding.metadata))
            insert(binding)
        case let binding as ClusterRoleBinding:
            removeClusterRoleBinding(binding.metadata?.name ?? "")
            insert(binding)
        default: return
        }
    }

    /// Forgets the object with this kind, namespace and name (a deleted object from a watch).
    mutating func remove(_ object: any APIObject) {
        switch object {
        case is Role: roles[Self.key(object.metadata)] = nil
        case is ClusterRole:
            clusterRoles[object.metadata?.name ?? ""] = nil
            aggregatedRules = ClusterRoleAggregation.effectiveRules(clusterRoles)
        case is RoleBinding: removeRoleBinding(Self.key(object.metadata))
        case is ClusterRoleBinding: removeClusterRoleBinding(object.metadata?.name ?? "")
        default: return
        }
    }

    private mutating func insert(_ binding: RoleBinding) {
        let namespace = binding.metadata?.namespace ?? "", name = binding.metadata?.name ?? ""
        roleBindings[Self.key(binding.metadata)] = binding
        namespaceIndexes[namespace, default: SubjectIndex()]
            .insert(binding: name, subjects: Self.keys(binding.subjects, namespace: namespace))
    }

    private mutating func insert(_ binding: ClusterRoleBinding) {
        let name = binding.metadata?.name ?? ""
        clusterRoleBindings[name] = binding
        clusterIndex.insert(binding: name, subjects: Self.keys(binding.subjects, namespace: ""))
    }

    private mutating func removeRoleBinding(_ key: String) {
        guard let old = roleBindings.removeValue(forKey: key) else { return }
        let namespace = old.metadata?.namespace ?? ""
        namespaceIndexes[namespace]?.remove(binding: old.metadata?.name ?? "",
                                            subjects: Self.keys(old.subjects, namespace: namespace))
        if namespaceIndexes[namespace]?.isEmpty == true { namespaceIndexes[namespace] = nil }
    }

    private mutating func removeClusterRoleBinding(_ name: String) {
        guard let old = clusterRoleBindings.removeValue(forKey: name) else { return }
        clusterIndex.remove(binding: name, subjects: Self.keys(old.subjects, namespace: ""))
    }

    private static func keys(_ subjects: [Subject], namespace: String) -> [SubjectKey] {
        subjects.compactMap { SubjectKey($0, bindingNamespace: namespace) }
    }

    private static func key(_ meta: ObjectMeta?) -> String {
        "\(meta?.namespace ?? "")/\(meta?.name ?? "")"
    }

    // MARK: rules

    /// What a ClusterRole grants: its aggregated rules when it aggregates, else its own.
    func rules(ofClusterRole name: String) -> [PolicyRule] {
        aggregatedRules[name] ?? clusterRoles[name]?.rules ?? []
    }

    /// The rules a binding's roleRef grants; a RoleBinding's Role is looked up in its namespace.
    func rules(of ref: RoleRef?, namespace: String?) -> [PolicyRule] {
        guard let ref, let name = ref.name else { return [] }
        switch (ref.kind, namespace) {
        case ("ClusterRole", _): return rules(ofClusterRole: name)
        case ("Role", let namespace?): return roles["\(namespace)/\(name)"]?.rules ?? []
        default: return []
        }
    }

    /// Every rule granted to `user` in `namespace` ("" for cluster-scoped requests and requests
    /// across all namespaces, where only ClusterRoleBindings apply).
    func rules(for user: UserInfo, namespace: String) -> [PolicyRule] {
        let keys = SubjectKey.keys(of: user)
        var granted = clusterIndex.bindings(for: keys).flatMap { name in
            self.rules(of: clusterRoleBindings[name]?.roleRef, namespace: nil)
        }
        if !namespace.isEmpty, let index = namespaceIndexes[namespace] {
            granted += index.bindings(for: keys).flatMap { name in
                self.rules(of: roleBindings["\(namespace)/\(name)"]?.roleRef, namespace: namespace)
            }
        }
        return granted
    }

    /// Whether `user` may use `verb` on a non-resource path ("/healthz"): only ClusterRoles
    /// bound cluster-wide can grant that.
    func allowsNonResource(user: UserInfo, verb: String, path: String) -> Bool {
        rules(for: user, namespace: "").contains { $0.allowsNonResource(verb: verb, path: path) }
    }
}

extension RBACPolicy: Authorizer {
    func authorize(_ attributes: AuthorizationAttributes) -> AuthorizationDecision {
        rules(for: attributes.user, namespace: attributes.namespace).contains { $0.allows(attributes) }
            ? .allow : .noOpinion
    }
}
