/// BootstrapControllerRoles: one ClusterRole per controller `skiff-controller NAME` runs, named
/// system:controller:NAME, written from the controller's informers and writes (Sources/
/// SkiffControllers/<Controller>). Every controller also records events and keeps a shard
/// Lease in kube-system (ShardMembership: get, create, update, delete, and a watch of the
/// others). The garbage collector and the namespace controller act on every resource, as in
/// Kubernetes.
///
/// Concurrency: immutable values. Must never: drift from `Controllers.all` in SkiffControllers
/// (the names must match, or a controller runs without permissions).
import SkiffWire

enum BootstrapControllerRoles {
    /// Every controller `skiff-controller` can run (SkiffControllers' `Controllers.all`).
    static let names = [
        "replicaset", "replicationcontroller", "deployment", "statefulset", "daemonset", "job",
        "garbage-collector", "namespace", "node-lifecycle", "persistentvolume-binder", "serviceaccount",
        "serviceaccount-token", "horizontal-pod-autoscaler", "endpoints",
    ]

    static var roles: [ClusterRole] {
        names.map { name in
            ClusterRole(metadata: ObjectMeta(name: "system:controller:\(name)"),
                        rules: (rules[name] ?? []) + common)
        }
    }

    /// What every controller process does besides its own work.
    static let common: [PolicyRule] = [
        BootstrapComponentRoles.events,
        .grant(["get", "list", "watch", "create", "update", "delete"], "coordination.k8s.io", "leases"),
    ]

    /// Pods as a workload controller manages them: create, delete, adopt and release.
    private static let ownedPods = PolicyRule.grant(["get", "list", "watch", "create", "update", "delete"], "", "pods")

    static let rules: [String: [PolicyRule]] = [
        "replicaset": [
            .grant(["get", "list", "watch", "update"], "apps", "replicasets"),
            .grant(["update"], "apps", "replicasets/status"),
            ownedPods,
        ],
        "replicationcontroller": [
            .grant(["get", "list", "watch", "update"], "", "replicationcontrollers"),
            .grant(["update"], "", "replicationcontrollers/status"),
            ownedPods,
        ],
        "deployment": [
            .grant(["get", "list", "watch", "update"], "apps", "deployments"),
            .grant(["update"], "apps", "deployments/status"),
            .grant(["get", "list", "watch", "create", "update", "delete"], "apps", "replicasets"),
            .grant(Verbs.read, "", "pods"),
        ],
        "statefulset": [
            .grant(Verbs.read, "apps", "statefulsets"),
            .grant(["update"], "apps", "statefulsets/status"),
            ownedPods,
            .grant(["get", "list", "watch", "create", "delete"], "", "persistentvolumeclaims"),
            .grant(["get", "list", "watch", "create", "delete"], "apps", "controllerrevisions"),
        ],
        "daemonset": [
            .grant(Verbs.read, "apps", "daemonsets"),
            .grant(["update"], "apps", "daemonsets/status"),
            ownedPods,
            .grant(Verbs.read, "", "nodes"),
        ],
        "job": [
            .grant(["get", "list", "watch", "update", "delete"], "batch", "jobs"),
            .grant(["update"], "batch", "jobs/status"),
            ownedPods,
        ],
        "garbage-collector": [
            .grant(["get", "list", "watch", "update", "patch", "delete"], "*", "*"),
        ],
        "namespace": [
            .grant(Verbs.read, "", "namespaces"),
            .grant(["update"], "", "namespaces/status", "namespaces/finalize"),
            .grant(["get", "list", "watch", "delete", "deletecollection"], "*", "*"),
        ],
        "node-lifecycle": [
            .grant(["get", "list", "watch", "update", "patch"], "", "nodes"),
            .grant(["update", "patch"], "", "nodes/status"),
            .grant(["get", "list", "watch", "delete"], "", "pods"),
            .grant(["update"], "", "pods/status"),
        ],
        "persistentvolume-binder": [
            .grant(["get", "list", "watch", "create", "update", "delete"], "", "persistentvolumes"),
            .grant(["update"], "", "persistentvolumes/status"),
            .grant(["get", "list", "watch", "update"], "", "persistentvolumeclaims"),
            .grant(["update"], "", "persistentvolumeclaims/status"),
            .grant(["get", "list", "watch", "create"], "storage.k8s.io", "storageclasses"),
        ],
        "serviceaccount": [
            .grant(Verbs.read, "", "namespaces"),
            .grant(["get", "list", "watch", "create"], "", "serviceaccounts"),
        ],
        "serviceaccount-token": [
            .grant(["get", "list", "watch", "update"], "", "serviceaccounts"),
            .grant(["create"], "", "serviceaccounts/token"),
            .grant(["get", "list", "watch", "create", "delete"], "", "secrets"),
        ],
        "horizontal-pod-autoscaler": [
            .grant(Verbs.read, "autoscaling", "horizontalpodautoscalers"),
            .grant(["update"], "autoscaling", "horizontalpodautoscalers/status"),
            PolicyRule(verbs: ["get", "update"], apiGroups: ["", "apps"], resources: ["*/scale"]),
            .grant(Verbs.read, "", "pods", "nodes"),
        ],
        "endpoints": [
            .grant(Verbs.read, "", "services", "pods"),
            .grant(["get", "list", "watch", "create", "update", "delete"], "", "endpoints"),
        ],
    ]
}
