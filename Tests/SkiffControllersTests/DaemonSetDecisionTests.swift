/// DaemonSetDecision and DaemonNodes as tables: which nodes get a pod, surplus and misplaced
/// pods, rolling updates with maxUnavailable and maxSurge, OnDelete, status counts.
@testable import SkiffControllers
import SkiffWire
import Testing

enum DaemonFixtures {
    static let now = Time(seconds: 1_800_000_000)
    static let uid = "ds-uid"

    static func daemonSet(nodeSelector: [String: String] = [:], tolerations: [Toleration] = [],
                          strategy: DaemonSetUpdateStrategy? = nil, image: String = "busybox") -> DaemonSet {
        DaemonSet(metadata: ObjectMeta(name: "agent", namespace: "default", uid: uid, generation: 2),
                  spec: DaemonSetSpec(selector: LabelSelector(matchLabels: ["app": "agent"]),
                                      template: PodTemplateSpec(metadata: ObjectMeta(labels: ["app": "agent"]),
                                                                spec: PodSpec(containers: [Container(name: "c", image: image)],
                                                                              nodeSelector: nodeSelector,
                                                                              tolerations: tolerations)),
                                      updateStrategy: strategy))
    }

    static func node(_ name: String, labels: [String: String] = [:], taints: [Taint] = []) -> Node {
        Node(metadata: ObjectMeta(name: name, labels: labels), spec: NodeSpec(taints: taints))
    }

    static func pod(_ name: String, on node: String, hash: String, ready: Bool = true, phase: String = "Running",
                    created: Int64 = 1_799_990_000, deleting: Bool = false) -> Pod {
        var meta = ObjectMeta(name: name, namespace: "default", uid: "uid-\(name)",
                              labels: ["app": "agent", DaemonSetDecision.hashLabel: hash])
        meta.creationTimestamp = Time(seconds: created)
        meta.ownerReferences = [OwnerReference(apiVersion: "apps/v1", kind: "DaemonSet", name: "agent", uid: uid,
                                               controller: true, blockOwnerDeletion: true)]
        if deleting { meta.deletionTimestamp = now }
        var status = PodStatus(phase: phase)
        status.conditions = [PodCondition(type: "Ready", status: ready ? "True" : "False",
                                          lastTransitionTime: Time(seconds: 1_799_999_000))]
        return Pod(metadata: meta, spec: PodSpec(nodeName: node), status: status)
    }

    static func hash(_ daemonSet: DaemonSet) -> String { PodTemplates.hash(daemonSet.spec?.template) }

    static func decide(_ daemonSet: DaemonSet, _ nodes: [Node], _ pods: [Pod], manage: Bool = true) throws -> DaemonSetDecision {
        try DaemonSetDecision.decide(daemonSet, nodes: nodes, pods: pods, now: now, manage: manage)
    }

    static func rolling(maxUnavailable: IntOrString = .int(1), maxSurge: IntOrString = .int(0)) -> DaemonSetUpdateStrategy {
        DaemonSetUpdateStrategy(type: "RollingUpdate",
                                rollingUpdate: RollingUpdateDaemonSet(maxUnavailable: maxUnavailable, maxSurge: maxSurge))
    }
}

@Suite("DaemonSet decisions")
struct DaemonSetDecisionTests {
    typealias F = DaemonFixtures

    @Test("placement by selector, affinity and taints", arguments: [
        // (node labels, node taints, pod nodeSelector, pod tolerations, shouldRun, shouldContinueRunning)
        ([String: String](), [Taint](), [String: String](), [Toleration](), true, true),
        (["disk": "ssd"], [], ["disk": "ssd"], [], true, true),
        (["disk": "hdd"], [], ["disk": "ssd"], [], false, false),
        ([:], [Taint(key: "gpu", value: "yes", effect: "NoSchedule")], [:], [], false, true),
        ([:], [Taint(key: "gpu", value: "yes", effect: "NoExecute")], [:], [], false, false),
        ([:], [Taint(key: "gpu", value: "yes", effect: "NoSchedule")], [:],
         [Toleration(key: "gpu", operator: "Equal", value: "yes", effect: "NoSchedule")], true, true),
        ([:], [Taint(key: "gpu", effect: "PreferNoSchedule")], [:], [], true, true),
        // The daemon pods' own tolerations: cordoned, not ready, under pressure.
        ([:], [Taint(key: "node.kubernetes.io/unschedulable", effect: "NoSchedule")], [:], [], true, true),
        ([:], [Taint(key: "node.kubernetes.io/not-ready", effect: "NoExecute")], [:], [], true, true),
        ([:], [Taint(key: "node.kubernetes.io/memory-pressure", effect: "NoSchedule")], [:], [], true, true),
    ])
    func placement(labels: [String: String], taints: [Taint], selector: [String: String], tolerations: [Toleration],
                   shouldRun: Bool, shouldContinue: Bool) {
        let spec = PodSpec(nodeSelector: selector, tolerations: tolerations)
        let placement = DaemonNodes.placement(of: spec, on: F.node("n", labels: labels, taints: taints))
        #expect(placement == DaemonNodes.Placement(shouldRun: shouldRun, shouldContinueRunning: shouldContinue))
    }

    @Test("required node affinity: expressions and matchFields metadata.name")
    func affinity() {
        var spec = PodSpec()
        spec.affinity = Affinity(nodeAffinity: NodeAffinity(requiredDuringSchedulingIgnoredDuringExecution: NodeSelector(
            nodeSelectorTerms: [NodeSelectorTerm(matchExpressions: [NodeSelectorRequirement(key: "zone", operator: "In", values: ["a"])]),
                                NodeSelectorTerm(matchFields: [NodeSelectorRequirement(key: "metadata.name", operator: "In",
                                                                                       values: ["special"])])])))
        #expect(DaemonNodes.placement(of: spec, on: F.node("x", labels: ["zone": "a"])).shouldRun)
        #expect(DaemonNodes.placement(of: spec, on: F.node("special")).shouldRun)
        #expect(!DaemonNodes.placement(of: spec, on: F.node("x", labels: ["zone": "b"])).shouldRun)
    }

    @Test("one pod per eligible node: created where missing, surplus and misplaced deleted")
    func placementDecision() throws {
        let ds = F.daemonSet(nodeSelector: ["role": "worker"])
        let hash = F.hash(ds)
        let nodes = [F.node("a", labels: ["role": "worker"]), F.node("b", labels: ["role": "worker"]),
                     F.node("c", labels: ["role": "db"])]
        let pods = [F.pod("on-b-old", on: "b", hash: hash, created: 1), F.pod("on-b-new", on: "b", hash: hash, created: 2),
                    F.pod("on-c", on: "c", hash: hash), F.pod("on-gone", on: "gone", hash: hash)]
        let decision = try F.decide(ds, nodes, pods)
        #expect(decision.create == ["a"])
        #expect(Set(decision.delete.compactMap(\.metadata?.name)) == ["on-b-new", "on-c", "on-gone"])
        #expect(decision.status.desiredNumberScheduled == 2)
        #expect(decision.status.currentNumberScheduled == 1)
        #expect(decision.status.numberMisscheduled == 1)
        #expect(decision.status.numberReady == 1)
        #expect(decision.status.numberUnavailable == 1)
        #expect(decision.status.observedGeneration == 2)
    }

    @Test("nothing changes while expectations are unmet; status still counts")
    func expectations() throws {
        let decision = try F.decide(F.daemonSet(), [F.node("a")], [], manage: false)
        #expect(decision.create.isEmpty)
        #expect(decision.status.desiredNumberScheduled == 1)
    }

    @Test("a failed daemon pod is deleted, so it is replaced")
    func failedPod() throws {
        let ds = F.daemonSet()
        let decision = try F.decide(ds, [F.node("a")], [F.pod("p", on: "a", hash: F.hash(ds), phase: "Failed")])
        #expect(decision.delete.map(\.metadata?.name) == ["p"])
    }

    @Test("the created pod: daemon tolerations, affinity on its node, revision hash label")
    func createdPod() {
        let ds = F.daemonSet(nodeSelector: ["role": "worker"])
        let pod = DaemonSetController.pod(for: ds, node: "node-7", ref: OwnerReference(kind: "DaemonSet", uid: F.uid),
                                          hash: "abc")
        #expect(pod.metadata?.labels[DaemonSetDecision.hashLabel] == "abc")
        #expect(DaemonNodes.targetNode(pod) == "node-7")
        #expect(pod.spec?.nodeName == nil)
        #expect(pod.spec?.tolerations.count == 6)
        #expect(pod.spec?.nodeSelector == ["role": "worker"])
    }

    @Test("rolling update without surge deletes at most maxUnavailable available old pods",
          arguments: [(IntOrString.int(1), 1), (.int(2), 2), (.string("50%"), 2), (.string("10%"), 1)])
    func rollingUnavailable(maxUnavailable: IntOrString, deletes: Int) throws {
        let ds = F.daemonSet(strategy: F.rolling(maxUnavailable: maxUnavailable), image: "busybox:2")
        let nodes = (1...4).map { F.node("n\($0)") }
        let pods = (1...4).map { F.pod("p\($0)", on: "n\($0)", hash: "old") }
        let decision = try F.decide(ds, nodes, pods)
        #expect(decision.delete.count == deletes)
        #expect(decision.create.isEmpty)
        #expect(decision.status.updatedNumberScheduled == 0)
    }

    @Test("rolling update: an unavailable old pod goes at once; an updated pod not yet available uses the budget")
    func rollingBudget() throws {
        let ds = F.daemonSet(strategy: F.rolling(), image: "busybox:2")
        let hash = F.hash(ds)
        let nodes = (1...3).map { F.node("n\($0)") }
        let pods = [F.pod("new", on: "n1", hash: hash, ready: false), F.pod("broken", on: "n2", hash: "old", ready: false),
                    F.pod("fine", on: "n3", hash: "old")]
        let decision = try F.decide(ds, nodes, pods)
        #expect(decision.delete.map(\.metadata?.name) == ["broken"])
    }

    @Test("rolling update with maxSurge: a new pod beside the old, the old deleted once the new is available")
    func rollingSurge() throws {
        let ds = F.daemonSet(strategy: F.rolling(maxUnavailable: .int(0), maxSurge: .int(1)), image: "busybox:2")
        let hash = F.hash(ds)
        let nodes = [F.node("n1"), F.node("n2")]
        let start = try F.decide(ds, nodes, [F.pod("o1", on: "n1", hash: "old"), F.pod("o2", on: "n2", hash: "old")])
        #expect(start.create == ["n1"])
        #expect(start.delete.isEmpty)
        let surging = try F.decide(ds, nodes, [F.pod("o1", on: "n1", hash: "old", created: 1),
                                               F.pod("u1", on: "n1", hash: hash, ready: false, created: 2),
                                               F.pod("o2", on: "n2", hash: "old")])
        #expect(surging.create.isEmpty && surging.delete.isEmpty)
        let replaced = try F.decide(ds, nodes, [F.pod("o1", on: "n1", hash: "old", created: 1),
                                                F.pod("u1", on: "n1", hash: hash, created: 2),
                                                F.pod("o2", on: "n2", hash: "old")])
        #expect(replaced.delete.map(\.metadata?.name) == ["o1"])
    }

    @Test("OnDelete replaces nothing")
    func onDelete() throws {
        let ds = F.daemonSet(strategy: DaemonSetUpdateStrategy(type: "OnDelete"), image: "busybox:2")
        let decision = try F.decide(ds, [F.node("n1")], [F.pod("o1", on: "n1", hash: "old")])
        #expect(decision.create.isEmpty && decision.delete.isEmpty)
    }
}
