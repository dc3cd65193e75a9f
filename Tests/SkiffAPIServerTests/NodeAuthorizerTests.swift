/// The node authorizer and its graph: a node reads what its own pods use and nothing else,
/// loses that when the pod goes, and writes only its own Node, Lease and pods.
import Testing
@testable import SkiffAPIServer
import SkiffWire

@Suite struct NodeAuthorizerTests {
    typealias F = NodeFixtures
    static let node1 = People.node1

    static func decide(_ graph: NodeGraph, _ attributes: AuthorizationAttributes) -> AuthorizationDecision {
        NodeAuthorizer(graph: graph).authorize(attributes)
    }

    static let noRelationship = AuthorizationDecision.deny("no relationship found between node 'node-1' and this object")

    @Test func aNodeReadsWhatItsPodsReferenceOnly() {
        let graph = F.graph
        #expect(Self.decide(graph, request(Self.node1, "get", "secrets", in: "team-a", named: "web-tls")) == .allow)
        #expect(Self.decide(graph, request(Self.node1, "get", "configmaps", in: "team-a", named: "web-config")) == .allow)
        #expect(Self.decide(graph, request(Self.node1, "get", "serviceaccounts", in: "team-a", named: "default")) == .allow)
        // The token Secret the kubelet mounts for the pod's account.
        #expect(Self.decide(graph, request(Self.node1, "get", "secrets", in: "team-a", named: "default-token")) == .allow)
        // db runs on node-2; the same name in another namespace is another object.
        #expect(Self.decide(graph, request(Self.node1, "get", "secrets", in: "team-a", named: "db-password")) == Self.noRelationship)
        #expect(Self.decide(graph, request(Self.node1, "get", "secrets", in: "team-b", named: "web-tls")) == Self.noRelationship)
        #expect(Self.decide(graph, request(People.node2, "get", "secrets", in: "team-a", named: "db-password")) == .allow)
    }

    @Test func aNodeLosesAccessWhenThePodGoesOrMoves() {
        var graph = F.graph
        let ask = request(Self.node1, "get", "secrets", in: "team-a", named: "web-tls")
        graph.remove(F.web)
        #expect(Self.decide(graph, ask) == Self.noRelationship)
        #expect(Self.decide(graph, request(Self.node1, "get", "persistentvolumes", named: "pv-web")) == Self.noRelationship)
        graph.apply(F.web)
        #expect(Self.decide(graph, ask) == .allow)
        // An update that drops the reference drops the access.
        var changed = F.web
        changed.spec!.volumes.removeAll { $0.name == "tls" }
        graph.apply(changed)
        #expect(Self.decide(graph, ask) == Self.noRelationship)
        #expect(Self.decide(graph, request(Self.node1, "get", "configmaps", in: "team-a", named: "web-config")) == .allow)
    }

    @Test func twoPodsSharingAnObjectKeepItUntilBothGo() {
        var second = F.web
        second.metadata = meta("web-2", "team-a")
        var graph = NodeGraph(pods: [F.web, second])
        let ask = request(Self.node1, "get", "secrets", in: "team-a", named: "web-tls")
        graph.remove(F.web)
        #expect(Self.decide(graph, ask) == .allow)
        graph.remove(second)
        #expect(Self.decide(graph, ask) == Self.noRelationship)
        #expect(graph == NodeGraph())
    }

    @Test func anUnscheduledPodRelatesToNoNode() {
        var pending = F.web
        pending.spec!.nodeName = nil
        let graph = NodeGraph(pods: [pending])
        #expect(Self.decide(graph, request(Self.node1, "get", "secrets", in: "team-a", named: "web-tls")) == Self.noRelationship)
    }

    @Test func volumesAreReachedThroughBoundClaims() {
        var graph = F.graph
        let volume = request(Self.node1, "get", "persistentvolumes", named: "pv-web")
        #expect(Self.decide(graph, volume) == .allow)
        #expect(Self.decide(graph, request(Self.node1, "get", "persistentvolumeclaims", in: "team-a", named: "web-data")) == .allow)
        var rebound = F.webClaim
        rebound.spec!.volumeName = "pv-other"
        graph.apply(rebound)
        #expect(Self.decide(graph, volume) == Self.noRelationship)
        #expect(Self.decide(graph, request(Self.node1, "get", "persistentvolumes", named: "pv-other")) == .allow)
        graph.remove(rebound)
        #expect(Self.decide(graph, request(Self.node1, "get", "persistentvolumes", named: "pv-other")) == Self.noRelationship)
    }

    @Test(arguments: [
        request(People.node1, "list", "secrets", in: "team-a"),
        request(People.node1, "watch", "configmaps", in: "team-a"),
        request(People.node1, "update", "secrets", in: "team-a", named: "web-tls"),
        request(People.node1, "delete", "configmaps", in: "team-a", named: "web-config"),
        request(People.node1, "list", "persistentvolumes"),
    ])
    func onlyIndividualGetsOfGuardedKinds(_ attributes: AuthorizationAttributes) {
        #expect(Self.decide(F.graph, attributes) == .deny("can only get individual resources of this type"))
    }

    @Test func everyReferencePlaceCounts() {
        let pod = Pod(metadata: meta("all", "ns"), spec: PodSpec(
            volumes: [
                Volume(name: "cm", configMap: ConfigMapVolumeSource(name: "cm-volume")),
                Volume(name: "p", projected: ProjectedVolumeSource(sources: [
                    VolumeProjection(secret: SecretProjection(name: "s-projected")),
                    VolumeProjection(configMap: ConfigMapProjection(name: "cm-projected")),
                ])),
                Volume(name: "csi", csi: CSIVolumeSource(driver: "d", nodePublishSecretRef: LocalObjectReference(name: "s-csi"))),
                Volume(name: "scratch", ephemeral: EphemeralVolumeSource()),
            ],
            initContainers: [Container(name: "init", envFrom: [EnvFromSource(secretRef: SecretEnvSource(name: "s-init-envfrom"))], env: [
                EnvVar(name: "A", valueFrom: EnvVarSource(configMapKeyRef: ConfigMapKeySelector(name: "cm-init-env", key: "a"))),
            ])],
            containers: [Container(name: "main")],
            serviceAccountName: "runner", automountServiceAccountToken: false,
            imagePullSecrets: [LocalObjectReference(name: "s-pull")]))
        let expected: Set<GraphObject> = [
            .init(kind: .configMap, namespace: "ns", name: "cm-volume"),
            .init(kind: .secret, namespace: "ns", name: "s-projected"),
            .init(kind: .configMap, namespace: "ns", name: "cm-projected"),
            .init(kind: .secret, namespace: "ns", name: "s-csi"),
            .init(kind: .persistentVolumeClaim, namespace: "ns", name: "all-scratch"),
            .init(kind: .configMap, namespace: "ns", name: "cm-init-env"),
            .init(kind: .secret, namespace: "ns", name: "s-init-envfrom"),
            .init(kind: .secret, namespace: "ns", name: "s-pull"),
            .init(kind: .serviceAccount, namespace: "ns", name: "runner"),
        ]
        #expect(PodReferences.of(pod) == expected)
    }

    static let writeCases: [(AuthorizationAttributes, AuthorizationDecision)] = [
        (request(People.node1, "update", "nodes", named: "node-1"), .allow),
        (request(People.node1, "patch", "nodes/status", named: "node-1"), .allow),
        (request(People.node1, "update", "nodes", named: "node-2"), .deny("node 'node-1' cannot modify node 'node-2'")),
        (request(People.node1, "patch", "nodes/status", named: "node-2"), .deny("node 'node-1' cannot modify node 'node-2'")),
        (request(People.node1, "delete", "nodes", named: "node-2"), .deny("node 'node-1' cannot modify node 'node-2'")),
        (request(People.node1, "create", "nodes"), .deny("node 'node-1' can only create its own node, by name")),
        (request(People.node1, "get", "nodes", named: "node-2"), .noOpinion),
        (request(People.node1, "update", "leases", group: "coordination.k8s.io", in: "kube-node-lease", named: "node-1"), .allow),
        (request(People.node1, "update", "leases", group: "coordination.k8s.io", in: "kube-node-lease", named: "node-2"),
         .deny("node 'node-1' cannot modify lease 'node-2'")),
        (request(People.node1, "update", "leases", group: "coordination.k8s.io", in: "kube-system", named: "node-1"),
         .deny("node 'node-1' can only modify leases in namespace kube-node-lease")),
        (request(People.node1, "update", "pods/status", in: "team-a", named: "web"), .allow),
        (request(People.node1, "update", "pods/status", in: "team-a", named: "db"),
         .deny("node 'node-1' can only update the status of pods bound to it")),
        (request(People.node1, "delete", "pods", in: "team-a", named: "db"), .deny("node 'node-1' can only delete pods bound to it")),
        (request(People.node1, "get", "pods", in: "team-a", named: "db"), .noOpinion),
        (request(People.node1, "create", "pods", in: "team-a"), .noOpinion),
        // Not nodes: a user not in system:nodes, a node group member with no node name.
        (request(UserInfo(name: "system:node:node-1"), "get", "secrets", in: "team-a", named: "db-password"), .noOpinion),
        (request(UserInfo(name: "system:node:", groups: ["system:nodes"]), "get", "secrets", in: "team-a", named: "x"), .noOpinion),
        (request(People.admin, "get", "secrets", in: "team-a", named: "db-password"), .noOpinion),
    ]

    @Test(arguments: writeCases)
    func writesAndOthers(_ attributes: AuthorizationAttributes, _ expected: AuthorizationDecision) {
        #expect(Self.decide(F.graph, attributes) == expected)
    }

    @Test func theGraphIsReadThroughTheClosureOnEveryRequest() {
        final class Box: @unchecked Sendable { var graph = NodeGraph() }
        let box = Box()
        let authorizer = NodeAuthorizer { box.graph }
        let ask = request(Self.node1, "get", "secrets", in: "team-a", named: "web-tls")
        #expect(authorizer.authorize(ask) == Self.noRelationship)
        box.graph.apply(F.web)
        #expect(authorizer.authorize(ask) == .allow)
    }
}
