/// Authorization through a real apiserver: a matrix of users, verbs, resources and namespaces
/// under the default policy plus bindings an admin makes, the 403's text, ServiceAccount tokens
/// doing exactly what their bindings allow, access reviews, and the node authorizer.
import Foundation
import SkiffAPI
@testable import SkiffAPIServer
import SkiffClient
import SkiffTestSupport
import SkiffWire
import Testing

@Suite struct AuthorizationEndToEndTests {
    static let aliceToken = "alice-token-0123456789abcdef"
    static let bobToken = "bob-token-0123456789abcdef01"
    static let nodeToken = "node-1-token-0123456789abcde"

    /// A plane whose token file also has alice and bob (no groups) and node-1.
    static func withUsers(_ body: (ControlPlane, APIClient) async throws -> Void) async throws {
        try await withPlane(extraTokenLines: ["\(aliceToken),alice,alice-uid", "\(bobToken),bob,bob-uid",
                                              "\(nodeToken),system:node:node-1,node-1,\"system:nodes\""], body)
    }

    static func client(_ plane: ControlPlane, token: String) throws -> APIClient {
        try APIClient(ClientConfig(runDirectory: plane.runDirectory, token: token, timeout: .seconds(10), component: "user"))
    }

    /// One row: who, verb, resource (plural, group), namespace, name, allowed.
    struct Row: Sendable, CustomStringConvertible {
        var user: String, verb: String, resource: String, group = "", namespace = "", name = "", allowed: Bool
        var description: String { "\(user) \(verb) \(resource) \(namespace)/\(name) → \(allowed)" }
    }

    /// The status code a user gets for the request of `row` (the body is a minimal object).
    static func attempt(_ client: APIClient, _ row: Row) async throws -> Int32 {
        let info = try #require(ResourceCatalog.resource(group: row.group, plural: row.resource))
        var request = Request(verb: row.verb, group: info.group, version: info.version, resource: info.plural,
                              namespace: row.namespace, name: row.name)
        if row.verb == "create" {
            var object = info.objectType.init()
            object.metadata = ObjectMeta(name: "made-\(UUID().uuidString.prefix(6).lowercased())")
            request.body = try object.serializedBytes()
            request.bodyType = info.objectType.protoName
        }
        do {
            _ = try await client.send(request)
            return 200
        } catch let error as APIError {
            return error.code
        }
    }

    @Test func theMatrixOfUsersVerbsResourcesAndNamespaces() async throws {
        try await Self.withUsers { plane, admin in
            for namespace in ["team-a", "team-b"] { _ = try await admin.create(Namespace(metadata: ObjectMeta(name: namespace))) }
            _ = try await admin.create(ConfigMap(metadata: ObjectMeta(name: "settings", namespace: "team-a")))
            _ = try await admin.create(Secret(metadata: ObjectMeta(name: "key", namespace: "team-a")))
            // alice edits team-a; bob views team-a and may read one ConfigMap of team-b by name.
            _ = try await admin.create(RoleBinding(metadata: ObjectMeta(name: "alice-edit", namespace: "team-a"),
                                                   subjects: [Subject(kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "alice")],
                                                   roleRef: RoleRef(apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit")))
            _ = try await admin.create(RoleBinding(metadata: ObjectMeta(name: "bob-view", namespace: "team-a"),
                                                   subjects: [Subject(kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "bob")],
                                                   roleRef: RoleRef(apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view")))
            _ = try await admin.create(Role(metadata: ObjectMeta(name: "one-map", namespace: "team-b"),
                                            rules: [PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["configmaps"],
                                                               resourceNames: ["shared"])]))
            _ = try await admin.create(RoleBinding(metadata: ObjectMeta(name: "bob-one-map", namespace: "team-b"),
                                                   subjects: [Subject(kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "bob")],
                                                   roleRef: RoleRef(apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "one-map")))
            let rows: [Row] = [
                Row(user: "alice", verb: "list", resource: "pods", namespace: "team-a", allowed: true),
                Row(user: "alice", verb: "create", resource: "configmaps", namespace: "team-a", allowed: true),
                Row(user: "alice", verb: "get", resource: "secrets", namespace: "team-a", name: "key", allowed: true),
                Row(user: "alice", verb: "list", resource: "deployments", group: "apps", namespace: "team-a", allowed: true),
                Row(user: "alice", verb: "create", resource: "rolebindings", group: "rbac.authorization.k8s.io", namespace: "team-a", allowed: false),
                Row(user: "alice", verb: "list", resource: "pods", namespace: "team-b", allowed: false),
                Row(user: "alice", verb: "list", resource: "pods", allowed: false),
                Row(user: "alice", verb: "list", resource: "nodes", allowed: false),
                Row(user: "alice", verb: "delete", resource: "namespaces", name: "team-a", allowed: false),
                Row(user: "bob", verb: "list", resource: "pods", namespace: "team-a", allowed: true),
                Row(user: "bob", verb: "get", resource: "configmaps", namespace: "team-a", name: "settings", allowed: true),
                Row(user: "bob", verb: "get", resource: "secrets", namespace: "team-a", name: "key", allowed: false),
                Row(user: "bob", verb: "create", resource: "configmaps", namespace: "team-a", allowed: false),
                Row(user: "bob", verb: "delete", resource: "configmaps", namespace: "team-a", name: "settings", allowed: false),
                Row(user: "bob", verb: "get", resource: "configmaps", namespace: "team-b", name: "shared", allowed: true),
                Row(user: "bob", verb: "get", resource: "configmaps", namespace: "team-b", name: "other", allowed: false),
                Row(user: "bob", verb: "list", resource: "configmaps", namespace: "team-b", allowed: false),
                Row(user: "admin", verb: "list", resource: "secrets", allowed: true),
                Row(user: "admin", verb: "delete", resource: "configmaps", namespace: "team-a", name: "settings", allowed: true),
            ]
            let clients = ["alice": try Self.client(plane, token: Self.aliceToken), "bob": try Self.client(plane, token: Self.bobToken),
                           "admin": admin]
            for row in rows {
                let code = try await Self.attempt(clients[row.user]!, row)
                // Allowed: anything but 401/403 (a get of a name that is not there is a 404 past authorization).
                #expect(row.allowed ? code != 403 && code != 401 : code == 403, "\(row): \(code)")
            }
            for (name, client) in clients where name != "admin" { await client.close() }
        }
    }

    @Test func aDenialNamesUserVerbResourceAndNamespace() async throws {
        try await Self.withUsers { plane, _ in
            let alice = try Self.client(plane, token: Self.aliceToken)
            defer { Task { await alice.close() } }
            await #expect { _ = try await alice.list(Pod.self, namespace: "default") } throws: {
                ($0 as? APIError)?.message == "pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\""
            }
            await #expect { _ = try await alice.get(Node.self, name: "node-1") } throws: {
                ($0 as? APIError)?.message == "nodes \"node-1\" is forbidden: User \"alice\" cannot get resource \"nodes\" in API group \"\" at the cluster scope"
            }
        }
    }

    @Test func aServiceAccountTokenDoesWhatItsBindingsAllowAndNothingOnceTheAccountIsGone() async throws {
        try await Self.withUsers { plane, admin in
            _ = try await admin.create(ServiceAccount(metadata: ObjectMeta(name: "reader", namespace: "default")))
            _ = try await admin.create(Role(metadata: ObjectMeta(name: "pod-reader", namespace: "default"),
                                            rules: [PolicyRule(verbs: ["get", "list"], apiGroups: [""], resources: ["pods"])]))
            _ = try await admin.create(RoleBinding(metadata: ObjectMeta(name: "reader", namespace: "default"),
                                                   subjects: [Subject(kind: "ServiceAccount", name: "reader", namespace: "default")],
                                                   roleRef: RoleRef(apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-reader")))
            let token = try #require(try await admin.createToken(serviceAccount: "reader", namespace: "default").status?.token)
            let reader = try Self.client(plane, token: token)
            defer { Task { await reader.close() } }
            #expect(try await reader.list(Pod.self, namespace: "default").items.isEmpty)
            for forbidden in [Row(user: "reader", verb: "list", resource: "secrets", namespace: "default", allowed: false),
                              Row(user: "reader", verb: "create", resource: "configmaps", namespace: "default", allowed: false),
                              Row(user: "reader", verb: "list", resource: "pods", namespace: "kube-system", allowed: false)] {
                #expect(try await Self.attempt(reader, forbidden) == 403, "\(forbidden)")
            }
            await #expect { _ = try await reader.list(Secret.self, namespace: "default") } throws: {
                "\($0)".contains("User \"system:serviceaccount:default:reader\" cannot list resource \"secrets\"")
            }
            _ = try await admin.delete(ServiceAccount.self, name: "reader", namespace: "default")
            await #expect { _ = try await reader.list(Pod.self, namespace: "default") } throws: { ($0 as? APIError)?.code == 401 }
        }
    }

    @Test func accessReviewsAnswerForOneselfAndForOthersOnlyToThoseAllowedToAsk() async throws {
        try await Self.withUsers { plane, admin in
            _ = try await admin.create(RoleBinding(metadata: ObjectMeta(name: "alice-view", namespace: "default"),
                                                   subjects: [Subject(kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "alice")],
                                                   roleRef: RoleRef(apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view")))
            let alice = try Self.client(plane, token: Self.aliceToken)
            defer { Task { await alice.close() } }
            func review(_ client: APIClient, user: String?, verb: String, resource: String, namespace: String) async throws -> Bool? {
                try await client.reviewAccess(ResourceAttributes(namespace: namespace, verb: verb, resource: resource), user: user).allowed
            }
            #expect(try await review(alice, user: nil, verb: "list", resource: "pods", namespace: "default") == true)
            #expect(try await review(alice, user: nil, verb: "delete", resource: "pods", namespace: "default") == false)
            #expect(try await review(admin, user: "alice", verb: "get", resource: "pods", namespace: "default") == true)
            #expect(try await review(admin, user: "alice", verb: "get", resource: "pods", namespace: "kube-system") == false)
            await #expect { _ = try await review(alice, user: "admin", verb: "get", resource: "secrets", namespace: "default") } throws: {
                ($0 as? APIError)?.code == 403
            }
        }
    }

    @Test func aNodeReadsOnlyTheSecretsOfItsOwnPodsAndWritesOnlyItsOwnNode() async throws {
        try await Self.withUsers { plane, admin in
            for name in ["mine", "theirs"] {
                _ = try await admin.create(Secret(metadata: ObjectMeta(name: name, namespace: "default"), data: ["k": Array("v".utf8)]))
            }
            var pod = Pod(metadata: ObjectMeta(name: "p", namespace: "default"),
                          spec: PodSpec(volumes: [Volume(name: "s", secret: SecretVolumeSource(secretName: "mine"))],
                                        containers: [Container(name: "c", image: "busybox")]))
            pod = try await admin.create(pod)
            let node = try Self.client(plane, token: Self.nodeToken)
            defer { Task { await node.close() } }
            // Not bound yet: no relationship.
            await #expect { _ = try await node.get(Secret.self, name: "mine", namespace: "default") } throws: {
                "\($0)".contains("no relationship found between node 'node-1' and this object")
            }
            try await admin.bind(pod: "p", namespace: "default", node: "node-1")
            #expect(try await node.get(Secret.self, name: "mine", namespace: "default").data["k"] == Array("v".utf8))
            await #expect { _ = try await node.get(Secret.self, name: "theirs", namespace: "default") } throws: { ($0 as? APIError)?.code == 403 }
            await #expect { _ = try await node.list(Secret.self, namespace: "default") } throws: { ($0 as? APIError)?.code == 403 }
            // Tokens only for the account of a pod on it, bound to that pod.
            let boundToP = TokenRequestSpec(boundObjectRef: BoundObjectReference(kind: "Pod", apiVersion: "v1", name: "p",
                                                                                 uid: pod.metadata?.uid))
            #expect(try await node.createToken(serviceAccount: "default", namespace: "default", boundToP).status?.token != nil)
            await #expect { _ = try await node.createToken(serviceAccount: "default", namespace: "default") } throws: {
                ($0 as? APIError)?.code == 403
            }
            _ = try await admin.create(ServiceAccount(metadata: ObjectMeta(name: "other", namespace: "default")))
            await #expect { _ = try await admin.createToken(serviceAccount: "other", namespace: "default", boundToP) } throws: {
                "\($0)".contains("to pod running with different serviceaccount name")
            }
            // Its own Node, not another's.
            _ = try await node.create(Node(metadata: ObjectMeta(name: "node-1")))
            await #expect { _ = try await node.create(Node(metadata: ObjectMeta(name: "node-2"))) } throws: { ($0 as? APIError)?.code == 403 }
            var anonymous = Node(metadata: ObjectMeta())
            anonymous.metadata?.generateName = "node-"
            await #expect { _ = try await node.create(anonymous) } throws: { ($0 as? APIError)?.code == 403 }
            // A mirror pod of its own that references a Secret would open that Secret to it: refused.
            var mirror = Pod(metadata: ObjectMeta(name: "static-node-1", namespace: "kube-system"),
                             spec: PodSpec(volumes: [Volume(name: "s", secret: SecretVolumeSource(secretName: "theirs"))],
                                           containers: [Container(name: "c", image: "busybox")], nodeName: "node-1"))
            mirror.metadata?.annotations = ["kubernetes.io/config.mirror": "x"]
            await #expect { _ = try await node.create(mirror) } throws: { "\($0)".contains("can not create pods that reference") }
            mirror.spec?.volumes = []
            _ = try await node.create(mirror)
            // Pods only as mirror pods of its own.
            await #expect { _ = try await node.create(Pod(metadata: ObjectMeta(name: "q", namespace: "default"),
                                                          spec: PodSpec(containers: [Container(name: "c", image: "busybox")]))) } throws: {
                ($0 as? APIError)?.code == 403
            }
        }
    }
}

@Suite struct EscalationTests {
    static func rule(_ verbs: [String], _ groups: [String], _ resources: [String], names: [String] = []) -> PolicyRule {
        PolicyRule(verbs: verbs, apiGroups: groups, resources: resources, resourceNames: names)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var wanted: PolicyRule, covered: Bool
        var testDescription: String { "\(wanted.verbs) \(wanted.apiGroups) \(wanted.resources) \(wanted.resourceNames) → \(covered)" }
    }

    static let held = [rule(["get", "list"], [""], ["pods", "configmaps"]), rule(["*"], ["apps"], ["deployments", "*/scale"]),
                       rule(["get"], [""], ["secrets"], names: ["one"])]

    @Test(arguments: [
        Row(wanted: rule(["get"], [""], ["pods"]), covered: true),
        Row(wanted: rule(["get", "list"], [""], ["pods", "configmaps"]), covered: true),
        Row(wanted: rule(["delete"], [""], ["pods"]), covered: false),
        Row(wanted: rule(["*"], [""], ["pods"]), covered: false),
        Row(wanted: rule(["get"], ["*"], ["pods"]), covered: false),
        Row(wanted: rule(["get"], [""], ["*"]), covered: false),
        Row(wanted: rule(["update"], ["apps"], ["deployments/scale"]), covered: true),
        Row(wanted: rule(["patch"], ["apps"], ["deployments"]), covered: true),
        Row(wanted: rule(["get"], [""], ["secrets"], names: ["one"]), covered: true),
        Row(wanted: rule(["get"], [""], ["secrets"], names: ["one", "two"]), covered: false),
        Row(wanted: rule(["get"], [""], ["secrets"]), covered: false),
    ])
    func aRuleIsCoveredOnlyByRulesGrantingAllOfIt(_ row: Row) {
        #expect(row.wanted.isCovered(by: Self.held) == row.covered)
    }

    @Test func aNamespaceAdminCannotGrantMoreThanItHolds() async throws {
        try await withPlane(extraTokenLines: ["\(AuthorizationEndToEndTests.aliceToken),alice,alice-uid"]) { plane, admin in
            _ = try await admin.create(Namespace(metadata: ObjectMeta(name: "team-a")))
            func binding(_ name: String, to role: String, kind: String = "ClusterRole", subject: String) -> RoleBinding {
                RoleBinding(metadata: ObjectMeta(name: name, namespace: "team-a"),
                            subjects: [Subject(kind: "User", apiGroup: "rbac.authorization.k8s.io", name: subject)],
                            roleRef: RoleRef(apiGroup: "rbac.authorization.k8s.io", kind: kind, name: role))
            }
            _ = try await admin.create(binding("alice-admin", to: "admin", subject: "alice"))
            let alice = try AuthorizationEndToEndTests.client(plane, token: AuthorizationEndToEndTests.aliceToken)
            defer { Task { await alice.close() } }
            // What she holds she may hand on; cluster-admin she does not hold, not even in team-a.
            _ = try await alice.create(binding("bob-view", to: "view", subject: "bob"))
            await #expect { _ = try await alice.create(binding("bob-root", to: "cluster-admin", subject: "bob")) } throws: {
                "\($0)".contains("user \"alice\"") && "\($0)".contains("is attempting to grant RBAC permissions not currently held")
            }
            // Nor write a Role with more than she has, or turn her own binding into one to cluster-admin.
            await #expect { _ = try await alice.create(Role(metadata: ObjectMeta(name: "all", namespace: "team-a"),
                                                            rules: [EscalationTests.rule(["*"], ["*"], ["*"])])) } throws: {
                ($0 as? APIError)?.code == 403
            }
            _ = try await alice.create(Role(metadata: ObjectMeta(name: "pods", namespace: "team-a"),
                                            rules: [EscalationTests.rule(["get"], [""], ["pods"])]))
            // With the bind verb on cluster-admin, the binding is hers to make.
            _ = try await admin.create(Role(metadata: ObjectMeta(name: "binder", namespace: "team-a"),
                                            rules: [PolicyRule(verbs: ["bind"], apiGroups: ["rbac.authorization.k8s.io"],
                                                               resources: ["clusterroles"], resourceNames: ["cluster-admin"])]))
            _ = try await admin.create(binding("alice-binder", to: "binder", kind: "Role", subject: "alice"))
            _ = try await alice.create(binding("bob-root", to: "cluster-admin", subject: "bob"))
        }
    }
}
