/// The bootstrap policy: every component identity may make the calls its component makes and
/// not, say, read Secrets it has no business with or grant itself more; and the objects carry
/// Kubernetes' bootstrap marks.
import Testing
@testable import SkiffAPIServer
import SkiffControllers
import SkiffWire

@Suite struct BootstrapPolicyTests {
    static let authenticated = People.authenticated
    static func identity(_ name: String) -> UserInfo { UserInfo(name: name, groups: [authenticated]) }
    static let scheduler = identity("system:kube-scheduler")
    static let proxy = identity("system:kube-proxy")
    static let dns = identity("system:kube-dns")
    static func controller(_ name: String) -> UserInfo { identity("system:controller:\(name)") }

    static let rbac = "rbac.authorization.k8s.io"
    static let leases = "coordination.k8s.io"

    static let componentCases: [AccessCase] = [
        AccessCase(request(scheduler, "list", "pods"), true),
        AccessCase(request(scheduler, "watch", "nodes"), true),
        AccessCase(request(scheduler, "get", "pods", in: "team-a", named: "web"), true),
        AccessCase(request(scheduler, "create", "pods/binding", in: "team-a", named: "web"), true),
        AccessCase(request(scheduler, "update", "pods/status", in: "team-a", named: "web"), true),
        AccessCase(request(scheduler, "create", "events", in: "team-a"), true),
        AccessCase(request(scheduler, "patch", "events", in: "team-a", named: "web.1"), true),
        AccessCase(request(scheduler, "delete", "pods", in: "team-a", named: "web"), false),
        AccessCase(request(scheduler, "update", "nodes", named: "node-1"), false),
        AccessCase(request(scheduler, "get", "secrets", in: "team-a", named: "web-tls"), false),

        AccessCase(request(People.node1, "create", "nodes", named: "node-1"), true),
        // A node's create names what it creates (the apiserver takes the name from the body).
        AccessCase(request(People.node1, "create", "nodes"), false),
        AccessCase(request(People.node1, "get", "nodes", named: "node-1"), true),
        AccessCase(request(People.node1, "watch", "pods"), true),
        AccessCase(request(People.node1, "create", "pods", in: "kube-system"), true),
        AccessCase(request(People.node1, "get", "leases", group: leases, in: "kube-node-lease", named: "node-1"), true),
        AccessCase(request(People.node1, "create", "leases", group: leases, in: "kube-node-lease", named: "node-1"), true),
        AccessCase(request(People.node1, "update", "leases", group: leases, in: "kube-node-lease", named: "node-1"), true),
        AccessCase(request(People.node1, "update", "events", in: "team-a", named: "web.1"), true),
        AccessCase(request(People.node1, "delete", "secrets", in: "team-a", named: "web-tls"), false),
        AccessCase(request(People.node1, "update", "leases", group: leases, in: "kube-system", named: "replicaset-1"), false),

        AccessCase(request(proxy, "list", "services"), true),
        AccessCase(request(proxy, "watch", "endpoints"), true),
        AccessCase(request(proxy, "update", "services", in: "default", named: "web"), false),
        AccessCase(request(proxy, "get", "secrets", in: "default", named: "x"), false),

        AccessCase(request(dns, "watch", "services"), true),
        AccessCase(request(dns, "list", "endpoints"), true),
        AccessCase(request(dns, "get", "services", in: "kube-system", named: "kube-dns"), true),
        AccessCase(request(dns, "create", "services", in: "kube-system"), true),
        AccessCase(request(dns, "create", "endpoints", in: "kube-system"), true),
        AccessCase(request(dns, "update", "endpoints", in: "kube-system", named: "kube-dns"), true),
        AccessCase(request(dns, "update", "endpoints", in: "default", named: "web"), false),
        AccessCase(request(dns, "delete", "services", in: "kube-system", named: "kube-dns"), false),
        AccessCase(request(dns, "get", "secrets", in: "kube-system", named: "x"), false),
    ]

    static let controllerCases: [AccessCase] = [
        AccessCase(request(controller("replicaset"), "watch", "replicasets", group: "apps"), true),
        AccessCase(request(controller("replicaset"), "update", "replicasets/status", group: "apps", in: "a", named: "r"), true),
        AccessCase(request(controller("replicaset"), "create", "pods", in: "a"), true),
        AccessCase(request(controller("replicaset"), "delete", "pods", in: "a", named: "p"), true),
        AccessCase(request(controller("replicaset"), "update", "pods", in: "a", named: "p"), true),
        AccessCase(request(controller("replicaset"), "create", "deployments", group: "apps", in: "a"), false),
        AccessCase(request(controller("replicationcontroller"), "list", "replicationcontrollers"), true),
        AccessCase(request(controller("replicationcontroller"), "update", "replicationcontrollers/status", in: "a", named: "r"), true),
        AccessCase(request(controller("replicationcontroller"), "create", "pods", in: "a"), true),
        AccessCase(request(controller("deployment"), "update", "deployments", group: "apps", in: "a", named: "d"), true),
        AccessCase(request(controller("deployment"), "update", "deployments/status", group: "apps", in: "a", named: "d"), true),
        AccessCase(request(controller("deployment"), "create", "replicasets", group: "apps", in: "a"), true),
        AccessCase(request(controller("deployment"), "delete", "replicasets", group: "apps", in: "a", named: "r"), true),
        AccessCase(request(controller("deployment"), "create", "pods", in: "a"), false),
        AccessCase(request(controller("statefulset"), "create", "persistentvolumeclaims", in: "a"), true),
        AccessCase(request(controller("statefulset"), "create", "controllerrevisions", group: "apps", in: "a"), true),
        AccessCase(request(controller("statefulset"), "update", "statefulsets/status", group: "apps", in: "a", named: "s"), true),
        AccessCase(request(controller("statefulset"), "delete", "pods", in: "a", named: "s-0"), true),
        AccessCase(request(controller("daemonset"), "list", "nodes"), true),
        AccessCase(request(controller("daemonset"), "create", "pods", in: "a"), true),
        AccessCase(request(controller("daemonset"), "update", "daemonsets/status", group: "apps", in: "a", named: "d"), true),
        AccessCase(request(controller("daemonset"), "update", "nodes", named: "node-1"), false),
        AccessCase(request(controller("job"), "delete", "jobs", group: "batch", in: "a", named: "j"), true),
        AccessCase(request(controller("job"), "update", "jobs/status", group: "batch", in: "a", named: "j"), true),
        AccessCase(request(controller("job"), "get", "pods", in: "a", named: "p"), true),
        AccessCase(request(controller("garbage-collector"), "delete", "deployments", group: "apps", in: "a", named: "d"), true),
        AccessCase(request(controller("garbage-collector"), "update", "secrets", in: "a", named: "s"), true),
        AccessCase(request(controller("garbage-collector"), "watch", "storageclasses", group: "storage.k8s.io"), true),
        AccessCase(request(controller("garbage-collector"), "create", "pods", in: "a"), false),
        AccessCase(request(controller("namespace"), "deletecollection", "pods", in: "a"), true),
        AccessCase(request(controller("namespace"), "list", "rolebindings", group: rbac, in: "a"), true),
        AccessCase(request(controller("namespace"), "update", "namespaces/finalize", named: "a"), true),
        AccessCase(request(controller("namespace"), "update", "namespaces/status", named: "a"), true),
        AccessCase(request(controller("namespace"), "update", "pods", in: "a", named: "p"), false),
        AccessCase(request(controller("node-lifecycle"), "update", "nodes/status", named: "node-1"), true),
        AccessCase(request(controller("node-lifecycle"), "update", "nodes", named: "node-1"), true),
        AccessCase(request(controller("node-lifecycle"), "update", "pods/status", in: "a", named: "p"), true),
        AccessCase(request(controller("node-lifecycle"), "delete", "pods", in: "a", named: "p"), true),
        AccessCase(request(controller("node-lifecycle"), "watch", "leases", group: leases, in: "kube-node-lease"), true),
        AccessCase(request(controller("persistentvolume-binder"), "create", "persistentvolumes"), true),
        AccessCase(request(controller("persistentvolume-binder"), "update", "persistentvolumes/status", named: "pv"), true),
        AccessCase(request(controller("persistentvolume-binder"), "update", "persistentvolumeclaims/status", in: "a", named: "c"), true),
        AccessCase(request(controller("persistentvolume-binder"), "create", "storageclasses", group: "storage.k8s.io"), true),
        AccessCase(request(controller("persistentvolume-binder"), "delete", "persistentvolumeclaims", in: "a", named: "c"), false),
        AccessCase(request(controller("serviceaccount"), "create", "serviceaccounts", in: "a"), true),
        AccessCase(request(controller("serviceaccount"), "watch", "namespaces"), true),
        AccessCase(request(controller("serviceaccount"), "delete", "serviceaccounts", in: "a", named: "default"), false),
        AccessCase(request(controller("serviceaccount-token"), "create", "secrets", in: "a"), true),
        AccessCase(request(controller("serviceaccount-token"), "delete", "secrets", in: "a", named: "default-token"), true),
        AccessCase(request(controller("serviceaccount-token"), "update", "serviceaccounts", in: "a", named: "default"), true),
        AccessCase(request(controller("serviceaccount-token"), "create", "serviceaccounts/token", in: "a", named: "default"), true),
        AccessCase(request(controller("serviceaccount-token"), "update", "secrets", in: "a", named: "default-token"), false),
        AccessCase(request(controller("horizontal-pod-autoscaler"), "get", "deployments/scale", group: "apps", in: "a", named: "d"), true),
        AccessCase(request(controller("horizontal-pod-autoscaler"), "update", "replicationcontrollers/scale", in: "a", named: "r"), true),
        AccessCase(request(controller("horizontal-pod-autoscaler"), "update", "horizontalpodautoscalers/status",
                           group: "autoscaling", in: "a", named: "h"), true),
        AccessCase(request(controller("horizontal-pod-autoscaler"), "update", "deployments", group: "apps", in: "a", named: "d"), false),
        AccessCase(request(controller("endpoints"), "create", "endpoints", in: "a"), true),
        AccessCase(request(controller("endpoints"), "delete", "endpoints", in: "a", named: "e"), true),
        AccessCase(request(controller("endpoints"), "watch", "services"), true),
        AccessCase(request(controller("endpoints"), "update", "services", in: "a", named: "s"), false),
    ]

    @Test(arguments: componentCases + controllerCases)
    func componentsMayDoWhatTheyDo(_ row: AccessCase) {
        #expect(NodeFixtures.chain.allows(row.attributes) == row.allowed)
    }

    /// What no controller may do, and who alone may touch Secrets.
    @Test(arguments: BootstrapControllerRoles.names)
    func everyControllerRecordsEventsShardsAndStaysInItsLane(_ name: String) {
        let chain = NodeFixtures.chain
        let me = Self.controller(name)
        #expect(chain.allows(request(me, "create", "events", in: "a")))
        #expect(chain.allows(request(me, "watch", "leases", group: Self.leases, in: "kube-system")))
        #expect(chain.allows(request(me, "update", "leases", group: Self.leases, in: "kube-system", named: "\(name)-1")))
        #expect(chain.allows(request(me, "create", "leases", group: Self.leases, in: "kube-system")))
        #expect(!chain.allows(request(me, "create", "clusterrolebindings", group: Self.rbac)))
        #expect(!chain.allows(request(me, "escalate", "clusterroles", group: Self.rbac, named: "cluster-admin")))
        let touchesSecrets: Set = ["garbage-collector", "namespace", "serviceaccount-token"]
        #expect(chain.allows(request(me, "delete", "secrets", in: "a", named: "s")) == touchesSecrets.contains(name))
        #expect(chain.allows(request(me, "get", "secrets", in: "a", named: "s")) == touchesSecrets.contains(name))
    }

    @Test func everyObjectCarriesTheBootstrapMarks() {
        let metas = BootstrapPolicy.clusterRoles.map(\.metadata) + BootstrapPolicy.clusterRoleBindings.map(\.metadata)
        for meta in metas {
            #expect(meta?.labels["kubernetes.io/bootstrapping"] == "rbac-defaults", "\(meta?.name ?? "")")
            #expect(meta?.annotations["rbac.authorization.kubernetes.io/autoupdate"] == "true", "\(meta?.name ?? "")")
        }
    }

    @Test func namesAreUniqueAndEveryBindingRefersToABootstrapRole() {
        let roles = BootstrapPolicy.clusterRoles.compactMap(\.metadata?.name)
        let bindings = BootstrapPolicy.clusterRoleBindings
        #expect(Set(roles).count == roles.count)
        #expect(Set(bindings.compactMap(\.metadata?.name)).count == bindings.count)
        for binding in bindings {
            #expect(binding.roleRef?.kind == "ClusterRole")
            #expect(roles.contains(binding.roleRef?.name ?? ""), "\(binding.metadata?.name ?? "")")
        }
        for name in BootstrapControllerRoles.names {
            #expect(bindings.contains { $0.roleRef?.name == "system:controller:\(name)"
                && $0.subjects == [Subject(kind: "User", apiGroup: Self.rbac, name: "system:controller:\(name)")] })
        }
        #expect(BootstrapPolicy.identities.count == 3 + BootstrapControllerRoles.names.count)
    }

    @Test func aggregatedRolesAreStoredFilledInAndViewNeverReadsSecrets() {
        let roles = Dictionary(uniqueKeysWithValues: BootstrapPolicy.clusterRoles.map { ($0.metadata?.name ?? "", $0) })
        let view = roles["view"]!, edit = roles["edit"]!, admin = roles["admin"]!
        #expect(view.aggregationRule != nil && !view.rules.isEmpty)
        #expect(view.rules.allSatisfy { rule in edit.rules.contains(rule) })
        #expect(edit.rules.allSatisfy { rule in admin.rules.contains(rule) })
        let readSecret = request(People.viewer, "get", "secrets", in: "a", named: "s")
        #expect(!view.rules.contains { $0.allows(readSecret) })
        #expect(edit.rules.contains { $0.allows(readSecret) })
    }
}

@Suite struct BootstrapControllerNamesTests {
    /// A controller without its role would run with no permissions at all.
    @Test func everyControllerSkiffRunsHasItsRoleAndNoRoleNamesAMissingController() {
        #expect(Set(BootstrapControllerRoles.names) == Set(Controllers.all.map(\.name)))
    }
}
