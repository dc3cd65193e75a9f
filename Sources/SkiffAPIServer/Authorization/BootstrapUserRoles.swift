/// BootstrapUserRoles: the ClusterRoles people are given, in the shape of Kubernetes' defaults
/// over the resources Skiff serves (ResourceCatalog): cluster-admin (everything), and admin,
/// edit and view built by aggregation as Kubernetes builds them: system:aggregate-to-view is
/// selected by all three, system:aggregate-to-edit by edit and admin, system:aggregate-to-admin
/// by admin. view reads everything in a namespace but Secrets; edit also writes workloads and
/// reads and writes Secrets; admin also manages Roles and RoleBindings. system:basic-user lets
/// every authenticated user ask what it may do.
///
/// Concurrency: immutable values. Must never: let view read Secrets (they hold credentials),
/// or let edit grant roles (that would make it admin).
import SkiffWire

enum BootstrapUserRoles {
    static let aggregateLabelPrefix = "rbac.authorization.k8s.io/aggregate-to-"

    static var roles: [ClusterRole] {
        [clusterAdmin, aggregated("admin"), aggregated("edit"), aggregated("view"),
         aggregateTo("admin", labels: ["admin"], rules: adminRules),
         aggregateTo("edit", labels: ["admin", "edit"], rules: editRules),
         aggregateTo("view", labels: ["admin", "edit", "view"], rules: viewRules),
         basicUser]
    }

    static let clusterAdmin = ClusterRole(
        metadata: ObjectMeta(name: "cluster-admin"),
        rules: [PolicyRule(verbs: Verbs.all, apiGroups: ["*"], resources: ["*"]),
                PolicyRule(verbs: Verbs.all, nonResourceURLs: ["*"])])

    static let basicUser = ClusterRole(
        metadata: ObjectMeta(name: "system:basic-user"),
        rules: [.grant(["create"], "authorization.k8s.io", "selfsubjectaccessreviews", "selfsubjectrulesreviews"),
                .grant(["create"], "authentication.k8s.io", "selfsubjectreviews")])

    /// admin, edit or view: rules come from the system:aggregate-to-NAME roles.
    private static func aggregated(_ name: String) -> ClusterRole {
        let selector = LabelSelector(matchLabels: [aggregateLabelPrefix + name: "true"])
        return ClusterRole(metadata: ObjectMeta(name: name),
                           aggregationRule: AggregationRule(clusterRoleSelectors: [selector]))
    }

    private static func aggregateTo(_ name: String, labels: [String], rules: [PolicyRule]) -> ClusterRole {
        let meta = ObjectMeta(name: "system:aggregate-to-\(name)",
                              labels: Dictionary(uniqueKeysWithValues: labels.map { (aggregateLabelPrefix + $0, "true") }))
        return ClusterRole(metadata: meta, rules: rules)
    }

    // MARK: the rules

    static let viewRules: [PolicyRule] = [
        .grant(Verbs.read, "", "pods", "pods/status", "podtemplates", "replicationcontrollers",
               "replicationcontrollers/scale", "replicationcontrollers/status", "serviceaccounts", "services",
               "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status",
               "configmaps", "events", "namespaces", "namespaces/status"),
        .grant(Verbs.read, "apps", "controllerrevisions", "daemonsets", "daemonsets/status", "deployments",
               "deployments/scale", "deployments/status", "replicasets", "replicasets/scale", "replicasets/status",
               "statefulsets", "statefulsets/scale", "statefulsets/status"),
        .grant(Verbs.read, "autoscaling", "horizontalpodautoscalers", "horizontalpodautoscalers/status"),
        .grant(Verbs.read, "batch", "cronjobs", "cronjobs/status", "jobs", "jobs/status"),
    ]

    static let editRules: [PolicyRule] = [
        .grant(Verbs.write, "", "pods", "podtemplates", "configmaps", "endpoints", "persistentvolumeclaims",
               "replicationcontrollers", "replicationcontrollers/scale", "secrets", "serviceaccounts", "services"),
        .grant(Verbs.read, "", "secrets"),
        .grant(["create"], "", "serviceaccounts/token"),
        .grant(Verbs.write, "apps", "daemonsets", "deployments", "deployments/scale", "replicasets",
               "replicasets/scale", "statefulsets", "statefulsets/scale"),
        .grant(Verbs.write, "autoscaling", "horizontalpodautoscalers"),
        .grant(Verbs.write, "batch", "cronjobs", "jobs"),
    ]

    static let adminRules: [PolicyRule] = [
        .grant(Verbs.readWrite, "rbac.authorization.k8s.io", "roles", "rolebindings"),
        .grant(["create"], "authorization.k8s.io", "localsubjectaccessreviews"),
    ]
}
