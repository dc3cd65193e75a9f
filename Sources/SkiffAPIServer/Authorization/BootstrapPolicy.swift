/// BootstrapPolicy: the ClusterRoles and ClusterRoleBindings the apiserver makes at start, as
/// Kubernetes' bootstrap policy: each labelled kubernetes.io/bootstrapping=rbac-defaults and
/// annotated rbac.authorization.kubernetes.io/autoupdate=true (the apiserver may put them back).
///
/// The identities it grants, for which the apiserver mints credentials:
/// - group system:masters: cluster-admin (everything);
/// - group system:authenticated: system:basic-user;
/// - user system:kube-scheduler: system:kube-scheduler;
/// - group system:nodes (users system:node:NODE): system:node, with the node authorizer in front;
/// - user system:kube-proxy: system:node-proxier;
/// - user system:kube-dns: system:kube-dns;
/// - user system:controller:NAME, for each NAME in `BootstrapControllerRoles.names`:
///   system:controller:NAME.
///
/// Concurrency: immutable values, built on each access. Must never: bind a role to an identity
/// other components could claim (every user above is reserved: "system:" names).
import SkiffWire

enum BootstrapPolicy {
    static let bootstrappingLabel = "kubernetes.io/bootstrapping"
    static let bootstrappingValue = "rbac-defaults"
    static let autoupdateAnnotation = "rbac.authorization.kubernetes.io/autoupdate"
    static let rbacGroup = "rbac.authorization.k8s.io"

    static let mastersGroup = Authentication.mastersGroup
    static let authenticatedGroup = Authentication.authenticatedGroup
    static let schedulerUser = "system:kube-scheduler"
    static let proxyUser = "system:kube-proxy"
    static let dnsUser = "system:kube-dns"

    /// The user a controller authenticates as.
    static func controllerUser(_ name: String) -> String { "system:controller:\(name)" }

    /// Every user name above that the apiserver must mint a credential for (nodes have one each,
    /// system:node:NODE, in group system:nodes).
    static var identities: [String] {
        [schedulerUser, proxyUser, dnsUser] + BootstrapControllerRoles.names.map(controllerUser)
    }

    static var clusterRoles: [ClusterRole] {
        let roles = BootstrapUserRoles.roles + BootstrapComponentRoles.roles + BootstrapControllerRoles.roles
        return withAggregatedRules(roles).map { role in
            var role = role
            role.metadata = marked(role.metadata)
            return role
        }
    }

    static var clusterRoleBindings: [ClusterRoleBinding] {
        var bindings = [
            binding("cluster-admin", .group(mastersGroup)),
            binding("system:basic-user", .group(authenticatedGroup)),
            binding("system:kube-scheduler", .user(schedulerUser)),
            binding("system:node", .group(NodeAuthorizer.nodesGroup)),
            binding("system:node-proxier", .user(proxyUser)),
            binding("system:kube-dns", .user(dnsUser)),
        ]
        bindings += BootstrapControllerRoles.names.map { name in
            binding("system:controller:\(name)", .user(controllerUser(name)))
        }
        return bindings
    }

    /// A binding of the ClusterRole `role` to one subject, named after the role.
    private static func binding(_ role: String, _ subject: SubjectKey) -> ClusterRoleBinding {
        let (kind, name) = switch subject {
        case .user(let name): ("User", name)
        case .group(let name): ("Group", name)
        }
        return ClusterRoleBinding(metadata: marked(ObjectMeta(name: role)),
                                  subjects: [Subject(kind: kind, apiGroup: rbacGroup, name: name)],
                                  roleRef: RoleRef(apiGroup: rbacGroup, kind: "ClusterRole", name: role))
    }

    private static func marked(_ meta: ObjectMeta?) -> ObjectMeta {
        var meta = meta ?? ObjectMeta()
        meta.labels[bootstrappingLabel] = bootstrappingValue
        meta.annotations[autoupdateAnnotation] = "true"
        return meta
    }

    /// Fills aggregating roles' rules as Kubernetes' aggregation controller would, so the stored
    /// objects read as they do there (RBACPolicy recomputes them anyway).
    private static func withAggregatedRules(_ roles: [ClusterRole]) -> [ClusterRole] {
        let byName = Dictionary(roles.map { ($0.metadata?.name ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        let aggregated = ClusterRoleAggregation.effectiveRules(byName)
        return roles.map { role in
            var role = role
            if let rules = aggregated[role.metadata?.name ?? ""] { role.rules = rules }
            return role
        }
    }
}
