/// RBAC: the rule matching of Kubernetes' RuleAllows, a matrix of people × requests through the
/// real bootstrap policy plus team A's bindings (node authorizer first, then RBAC), and
/// keeping the policy current as bindings and roles change.
import Testing
@testable import SkiffAPIServer
import SkiffWire

struct AccessCase: CustomTestStringConvertible, Sendable {
    let attributes: AuthorizationAttributes
    let allowed: Bool

    init(_ attributes: AuthorizationAttributes, _ allowed: Bool) {
        self.attributes = attributes
        self.allowed = allowed
    }

    var testDescription: String {
        let a = attributes
        let resource = a.subresource.isEmpty ? a.resource : "\(a.resource)/\(a.subresource)"
        let target = [a.namespace, a.name].filter { !$0.isEmpty }.joined(separator: "/")
        return "\(a.user.name) \(a.verb) \(resource)\(a.apiGroup.isEmpty ? "" : ".\(a.apiGroup)") \(target) → \(allowed ? "allow" : "deny")"
    }
}

@Suite struct PolicyRuleMatchingTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let rule: [String]
        let names: [String]
        let resource: String
        let subresource: String
        let name: String
        let matches: Bool
        var testDescription: String { "\(rule) \(names) ~ \(resource)/\(subresource) \(name): \(matches)" }
    }

    @Test(arguments: [
        Row(rule: ["pods"], names: [], resource: "pods", subresource: "", name: "", matches: true),
        Row(rule: ["pods"], names: [], resource: "pods", subresource: "status", name: "", matches: false),
        Row(rule: ["pods/status"], names: [], resource: "pods", subresource: "status", name: "", matches: true),
        Row(rule: ["pods/status"], names: [], resource: "pods", subresource: "", name: "", matches: false),
        Row(rule: ["pods/status"], names: [], resource: "pods", subresource: "log", name: "", matches: false),
        Row(rule: ["*"], names: [], resource: "pods", subresource: "status", name: "", matches: true),
        Row(rule: ["*"], names: [], resource: "nodes", subresource: "", name: "", matches: true),
        Row(rule: ["*/scale"], names: [], resource: "deployments", subresource: "scale", name: "", matches: true),
        Row(rule: ["*/scale"], names: [], resource: "deployments", subresource: "", name: "", matches: false),
        Row(rule: ["*/scale"], names: [], resource: "deployments", subresource: "status", name: "", matches: false),
        Row(rule: ["configmaps"], names: ["a"], resource: "configmaps", subresource: "", name: "a", matches: true),
        Row(rule: ["configmaps"], names: ["a"], resource: "configmaps", subresource: "", name: "b", matches: false),
        // list, watch and create carry no name: a rule with names never covers them.
        Row(rule: ["configmaps"], names: ["a"], resource: "configmaps", subresource: "", name: "", matches: false),
        Row(rule: [], names: [], resource: "pods", subresource: "", name: "", matches: false),
    ])
    func resourcesAndNames(_ row: Row) {
        let rule = PolicyRule(verbs: ["get"], apiGroups: [""], resources: row.rule, resourceNames: row.names)
        let attributes = AuthorizationAttributes(user: People.stranger, verb: "get", apiGroup: "", resource: row.resource,
                                                 subresource: row.subresource, name: row.name)
        #expect(rule.allows(attributes) == row.matches)
    }

    @Test func verbsAndGroupsMatchExactlyOrByStar() {
        let ask = request(People.stranger, "list", "deployments", group: "apps")
        #expect(PolicyRule.grant(["list"], "apps", "deployments").allows(ask))
        #expect(PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["deployments"]).allows(ask))
        #expect(!PolicyRule.grant(["get"], "apps", "deployments").allows(ask))
        #expect(!PolicyRule.grant(["list"], "", "deployments").allows(ask))
        #expect(!PolicyRule(verbs: ["list"], apiGroups: [], resources: ["deployments"]).allows(ask))
    }

    @Test func nonResourceURLs() {
        let rule = PolicyRule(verbs: ["get"], nonResourceURLs: ["/healthz", "/logs/*"])
        #expect(rule.allowsNonResource(verb: "get", path: "/healthz"))
        #expect(rule.allowsNonResource(verb: "get", path: "/logs/kubelet"))
        #expect(!rule.allowsNonResource(verb: "get", path: "/healthz/ready"))
        #expect(!rule.allowsNonResource(verb: "post", path: "/healthz"))
        let admin = RBACPolicy(clusterRoles: BootstrapPolicy.clusterRoles, clusterRoleBindings: BootstrapPolicy.clusterRoleBindings)
        #expect(admin.allowsNonResource(user: People.admin, verb: "get", path: "/metrics"))
        #expect(!admin.allowsNonResource(user: People.viewer, verb: "get", path: "/metrics"))
        // A non-resource rule grants no resource.
        #expect(!rule.allows(request(People.stranger, "get", "pods")))
    }
}

@Suite struct RBACMatrixTests {
    typealias P = People

    static let cases: [AccessCase] = [
        // system:masters → cluster-admin: everything, everywhere.
        AccessCase(request(P.admin, "list", "pods", in: "team-a"), true),
        AccessCase(request(P.admin, "list", "pods"), true),
        AccessCase(request(P.admin, "delete", "nodes", named: "node-1"), true),
        AccessCase(request(P.admin, "create", "clusterrolebindings", group: "rbac.authorization.k8s.io"), true),
        AccessCase(request(P.admin, "get", "secrets", in: "kube-system", named: "x"), true),
        // view in team-a: reads but Secrets, in team-a only.
        AccessCase(request(P.viewer, "list", "pods", in: "team-a"), true),
        AccessCase(request(P.viewer, "get", "pods", in: "team-a", named: "web"), true),
        AccessCase(request(P.viewer, "watch", "deployments", group: "apps", in: "team-a"), true),
        AccessCase(request(P.viewer, "get", "deployments/scale", group: "apps", in: "team-a", named: "web"), true),
        AccessCase(request(P.viewer, "get", "namespaces", in: "team-a", named: "team-a"), true),
        AccessCase(request(P.viewer, "get", "secrets", in: "team-a", named: "web-tls"), false),
        AccessCase(request(P.viewer, "list", "secrets", in: "team-a"), false),
        AccessCase(request(P.viewer, "create", "pods", in: "team-a"), false),
        AccessCase(request(P.viewer, "update", "deployments/scale", group: "apps", in: "team-a", named: "web"), false),
        AccessCase(request(P.viewer, "list", "pods", in: "team-b"), false),
        AccessCase(request(P.viewer, "list", "pods"), false),
        AccessCase(request(P.viewer, "list", "nodes"), false),
        // edit in team-a, through the group "developers": writes and Secrets, not roles.
        AccessCase(request(P.editor, "create", "pods", in: "team-a"), true),
        AccessCase(request(P.editor, "get", "secrets", in: "team-a", named: "web-tls"), true),
        AccessCase(request(P.editor, "delete", "deployments", group: "apps", in: "team-a", named: "web"), true),
        AccessCase(request(P.editor, "update", "deployments/scale", group: "apps", in: "team-a", named: "web"), true),
        AccessCase(request(P.editor, "list", "jobs", group: "batch", in: "team-a"), true),
        AccessCase(request(P.editor, "create", "rolebindings", group: "rbac.authorization.k8s.io", in: "team-a"), false),
        AccessCase(request(P.editor, "create", "pods", in: "team-b"), false),
        AccessCase(request(P.editor, "list", "nodes"), false),
        // admin in team-a: also roles and bindings there, never at the cluster scope.
        AccessCase(request(P.nsAdmin, "create", "rolebindings", group: "rbac.authorization.k8s.io", in: "team-a"), true),
        AccessCase(request(P.nsAdmin, "delete", "roles", group: "rbac.authorization.k8s.io", in: "team-a", named: "x"), true),
        AccessCase(request(P.nsAdmin, "create", "clusterrolebindings", group: "rbac.authorization.k8s.io"), false),
        AccessCase(request(P.nsAdmin, "create", "rolebindings", group: "rbac.authorization.k8s.io", in: "team-b"), false),
        // A Role with resourceNames: that one object, for get only.
        AccessCase(request(P.reader, "get", "configmaps", in: "team-a", named: "web-config"), true),
        AccessCase(request(P.reader, "get", "configmaps", in: "team-a", named: "other"), false),
        AccessCase(request(P.reader, "list", "configmaps", in: "team-a"), false),
        AccessCase(request(P.reader, "update", "configmaps", in: "team-a", named: "web-config"), false),
        AccessCase(request(P.reader, "get", "configmaps", in: "team-b", named: "web-config"), false),
        // A ServiceAccount subject; a user merely called "builder" is someone else.
        AccessCase(request(P.builder, "create", "pods", in: "team-a"), true),
        AccessCase(request(P.builder, "list", "pods", in: "team-a"), true),
        AccessCase(request(P.builder, "delete", "pods", in: "team-a", named: "web"), false),
        AccessCase(request(P.builder, "create", "pods", in: "team-b"), false),
        AccessCase(request(P.impostor, "create", "pods", in: "team-a"), false),
        // Nobody in particular: only system:basic-user's self reviews.
        AccessCase(request(P.stranger, "create", "selfsubjectaccessreviews", group: "authorization.k8s.io"), true),
        AccessCase(request(P.stranger, "list", "pods", in: "team-a"), false),
        AccessCase(request(P.stranger, "get", "namespaces", named: "team-a"), false),
        // A node: the graph for what its pods use, system:node for the rest.
        AccessCase(request(P.node1, "get", "secrets", in: "team-a", named: "web-tls"), true),
        AccessCase(request(P.node1, "get", "configmaps", in: "team-a", named: "web-config"), true),
        AccessCase(request(P.node1, "get", "persistentvolumeclaims", in: "team-a", named: "web-data"), true),
        AccessCase(request(P.node1, "get", "persistentvolumes", named: "pv-web"), true),
        AccessCase(request(P.node1, "get", "secrets", in: "team-a", named: "db-password"), false),
        AccessCase(request(P.node1, "list", "secrets", in: "team-a"), false),
        AccessCase(request(P.node1, "list", "pods"), true),
        AccessCase(request(P.node1, "update", "pods/status", in: "team-a", named: "web"), true),
        AccessCase(request(P.node1, "update", "pods/status", in: "team-a", named: "db"), false),
        AccessCase(request(P.node1, "delete", "pods", in: "team-a", named: "web"), true),
        AccessCase(request(P.node1, "delete", "pods", in: "team-a", named: "db"), false),
        AccessCase(request(P.node1, "update", "nodes/status", named: "node-1"), true),
        AccessCase(request(P.node1, "update", "nodes", named: "node-2"), false),
        AccessCase(request(P.node1, "create", "events", in: "team-a"), true),
        AccessCase(request(P.node1, "update", "deployments", group: "apps", in: "team-a", named: "web"), false),
        AccessCase(request(P.node1, "create", "clusterrolebindings", group: "rbac.authorization.k8s.io"), false),
    ]

    @Test(arguments: cases)
    func decision(_ row: AccessCase) {
        #expect(NodeFixtures.chain.allows(row.attributes) == row.allowed)
    }
}

@Suite struct RBACPolicyUpdateTests {
    @Test func removingAndChangingBindingsTakesEffect() {
        var policy = TeamA.policy
        let ask = request(People.viewer, "list", "pods", in: "team-a")
        #expect(policy.authorize(ask) == .allow)
        policy.remove(roleBinding("viewers", in: "team-a", role: "view"))
        #expect(policy.authorize(ask) == .noOpinion)
        // Back, for someone else: vera stays out, ursula is in.
        policy.apply(roleBinding("viewers", in: "team-a", role: "view", user("vera")))
        policy.apply(roleBinding("viewers", in: "team-a", role: "view", user("ursula")))
        #expect(policy.authorize(ask) == .noOpinion)
        #expect(policy.authorize(request(UserInfo(name: "ursula"), "list", "pods", in: "team-a")) == .allow)
    }

    @Test func clusterRoleBindingsGrantEverywhereRoleBindingsOnlyAtHome() {
        var policy = RBACPolicy(clusterRoles: BootstrapPolicy.clusterRoles)
        let viewEverywhere = ClusterRoleBinding(metadata: meta("auditors"), subjects: [group("auditors")],
                                                roleRef: RoleRef(kind: "ClusterRole", name: "view"))
        policy.apply(viewEverywhere)
        let auditor = UserInfo(name: "ann", groups: ["auditors"])
        #expect(policy.authorize(request(auditor, "list", "pods", in: "anywhere")) == .allow)
        #expect(policy.authorize(request(auditor, "list", "pods")) == .allow)
        policy.remove(viewEverywhere)
        #expect(policy.authorize(request(auditor, "list", "pods")) == .noOpinion)
    }

    @Test func refusedReferencesGrantNothing() {
        let local = Role(metadata: meta("all-pods", "team-b"), rules: [.grant(["*"], "", "pods")])
        let bindings = [
            // A Role of another namespace.
            roleBinding("cross", in: "team-a", role: "all-pods", kind: "Role", user("carl")),
        ]
        let clusterBindings = [
            // A ClusterRoleBinding may only refer to a ClusterRole.
            ClusterRoleBinding(metadata: meta("to-role"), subjects: [user("carl")], roleRef: RoleRef(kind: "Role", name: "all-pods")),
            // A ServiceAccount subject needs a namespace outside a RoleBinding.
            ClusterRoleBinding(metadata: meta("sa"), subjects: [serviceAccount("robot")],
                               roleRef: RoleRef(kind: "ClusterRole", name: "cluster-admin")),
        ]
        let policy = RBACPolicy(roles: [local], clusterRoles: BootstrapPolicy.clusterRoles, roleBindings: bindings,
                                clusterRoleBindings: clusterBindings)
        let carl = UserInfo(name: "carl")
        #expect(policy.authorize(request(carl, "get", "pods", in: "team-a", named: "x")) == .noOpinion)
        #expect(policy.authorize(request(carl, "get", "pods", in: "team-b", named: "x")) == .noOpinion)
        #expect(policy.authorize(request(UserInfo(name: "system:serviceaccount::robot"), "list", "pods")) == .noOpinion)
        #expect(policy.authorize(request(UserInfo(name: "robot"), "list", "pods")) == .noOpinion)
    }

    @Test func aggregatedRolesFollowTheRolesTheySelect() {
        var policy = TeamA.policy
        let ask = request(People.viewer, "list", "widgets", group: "example.com", in: "team-a")
        #expect(policy.authorize(ask) == .noOpinion)
        let widgets = ClusterRole(
            metadata: ObjectMeta(name: "widget-viewer", labels: ["rbac.authorization.k8s.io/aggregate-to-view": "true"]),
            rules: [.grant(Verbs.read, "example.com", "widgets")])
        policy.apply(widgets)
        #expect(policy.authorize(ask) == .allow)
        // As in Kubernetes, edit selects only roles labelled aggregate-to-edit (the bootstrap
        // system:aggregate-to-view carries that label too; widget-viewer does not).
        #expect(policy.authorize(request(People.editor, "list", "widgets", group: "example.com", in: "team-a")) == .noOpinion)
        #expect(policy.authorize(request(People.editor, "list", "pods", in: "team-a")) == .allow)
        policy.remove(widgets)
        #expect(policy.authorize(ask) == .noOpinion)
        #expect(policy.authorize(request(People.viewer, "list", "pods", in: "team-a")) == .allow)
    }

    @Test func aggregationIgnoresOwnRulesAndCycles() {
        let a = ClusterRole(metadata: ObjectMeta(name: "a", labels: ["x": "1"]),
                            rules: [.grant(["get"], "", "pods")],
                            aggregationRule: AggregationRule(clusterRoleSelectors: [LabelSelector(matchLabels: ["y": "1"])]))
        let b = ClusterRole(metadata: ObjectMeta(name: "b", labels: ["y": "1"]),
                            rules: [.grant(["get"], "", "nodes")],
                            aggregationRule: AggregationRule(clusterRoleSelectors: [LabelSelector(matchLabels: ["x": "1"])]))
        let c = ClusterRole(metadata: ObjectMeta(name: "c", labels: ["y": "1"]), rules: [.grant(["get"], "", "secrets")])
        let rules = ClusterRoleAggregation.effectiveRules(["a": a, "b": b, "c": c])
        #expect(rules["a"] == [.grant(["get"], "", "secrets")])
        #expect(rules["b"] == [.grant(["get"], "", "secrets")])
        #expect(rules["c"] == nil)
    }
}
