/// NodeLifecycleDecision: a node's health over time (controller time passed in, as a manual
/// clock would give it), its taints, and which pods go when.
import SkiffControllers
import SkiffWire
import Testing

private let settings = NodeHealthSettings(gracePeriod: .seconds(40), podEviction: .seconds(300))

private func node(ready: String = "True", taints: [Taint] = []) -> Node {
    let heartbeat = Time(seconds: Fixtures.now.seconds - 100)
    return Node(metadata: ObjectMeta(name: "node-1"), spec: NodeSpec(taints: taints),
                status: NodeStatus(conditions: [
                    NodeCondition(type: "Ready", status: ready, lastHeartbeatTime: heartbeat, lastTransitionTime: heartbeat,
                                  reason: "KubeletReady"),
                    NodeCondition(type: "MemoryPressure", status: "False", lastHeartbeatTime: heartbeat),
                ]))
}

private func pod(_ name: String, tolerations: [Toleration] = [], daemonSet: Bool = false) -> Pod {
    var pod = Fixtures.pod(name, owner: daemonSet ? "ds-uid" : "rs-uid", ownerKind: daemonSet ? "DaemonSet" : "ReplicaSet")
    pod.spec?.tolerations = tolerations
    return pod
}

private func unreachable(_ seconds: Int64?) -> Toleration {
    Toleration(key: NodeTaints.unreachable, operator: "Exists", effect: "NoExecute", tolerationSeconds: seconds)
}

private func decide(_ node: Node, pods: [Pod] = [], heardAt: Duration = .zero, since: [String: Duration] = [:],
                    now: Duration) -> NodeLifecycleDecision {
    NodeLifecycleDecision.decide(node, pods: pods, lastHeartbeat: heardAt, noExecuteSince: since, now: now,
                                 wallNow: Fixtures.now, settings: settings)
}

@Suite("Node lifecycle decisions")
struct NodeLifecycleDecisionTests {
    @Test func aNodeHeardWithinTheGracePeriodIsLeftAloneUntilItEnds() {
        let decision = decide(node(), pods: [pod("a")], heardAt: .seconds(10), now: .seconds(30))
        #expect(decision.conditions == nil && decision.taints == nil)
        #expect(decision.markNotReady.isEmpty && decision.evict.isEmpty)
        #expect(decision.recheckAfter == .seconds(20))
    }

    @Test func aSilentNodeIsUnknownTaintedAndItsPodsNotReady() throws {
        let decision = decide(node(), pods: [pod("a")], heardAt: .zero, now: .seconds(40))
        let conditions = try #require(decision.conditions)
        let ready = try #require(conditions.first { $0.type == "Ready" })
        #expect(ready.status == "Unknown" && ready.reason == "NodeStatusUnknown")
        #expect(ready.message == "Kubelet stopped posting node status.")
        #expect(ready.lastHeartbeatTime == node().status?.conditions.first?.lastHeartbeatTime)
        #expect(ready.lastTransitionTime == Fixtures.now)
        #expect(Set(conditions.map(\.type)) == ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"])
        #expect(conditions.allSatisfy { $0.status == "Unknown" })
        let taints = try #require(decision.taints)
        #expect(taints.map { "\($0.key ?? ""):\($0.effect ?? "")" }
                == ["\(NodeTaints.unreachable):NoSchedule", "\(NodeTaints.unreachable):NoExecute"])
        #expect(taints.last?.timeAdded == Fixtures.now)
        #expect(decision.markNotReady.map(\.metadata?.name) == ["a"])
        #expect(decision.evict.isEmpty)
        #expect(decision.noExecuteSince == [NodeTaints.unreachable: .seconds(40)])
        #expect(decision.recheckAfter == .seconds(300))
    }

    @Test func podsGoWhenTheirTolerationRunsOut() {
        let tainted = node(ready: "Unknown", taints: [Taint(key: NodeTaints.unreachable, effect: "NoSchedule"),
                                                      Taint(key: NodeTaints.unreachable, effect: "NoExecute")])
        let pods = [pod("default"), pod("short", tolerations: [unreachable(30)]),
                    pod("two", tolerations: [unreachable(600), unreachable(60)]),
                    pod("forever", tolerations: [unreachable(nil)]), pod("daemon", daemonSet: true),
                    pod("other-taint", tolerations: [Toleration(key: "example.com/x", operator: "Exists", effect: "NoExecute",
                                                                tolerationSeconds: 1)])]
        let since = [NodeTaints.unreachable: Duration.seconds(100)]
        let at = { (now: Int64) in decide(tainted, pods: pods, since: since, now: .seconds(now)) }
        #expect(at(110).evict.isEmpty && at(110).recheckAfter == .seconds(20))
        #expect(at(130).evict.map(\.metadata?.name) == ["short"])
        #expect(at(160).evict.map(\.metadata?.name) == ["short", "two"])
        #expect(at(400).evict.map(\.metadata?.name) == ["default", "short", "two", "other-taint"])
        #expect(at(130).taints == nil)
    }

    @Test func terminatingPodsAreNotEvictedAgain() {
        var gone = pod("gone")
        gone.metadata?.deletionTimestamp = Fixtures.now
        let tainted = node(ready: "Unknown", taints: [Taint(key: NodeTaints.unreachable, effect: "NoExecute")])
        #expect(decide(tainted, pods: [gone], since: [NodeTaints.unreachable: .zero], now: .seconds(1000)).evict.isEmpty)
    }

    @Test func aHeardNodeLosesTheTaints() {
        let tainted = node(ready: "True", taints: [Taint(key: "example.com/keep", effect: "NoSchedule"),
                                                   Taint(key: NodeTaints.unreachable, effect: "NoSchedule"),
                                                   Taint(key: NodeTaints.unreachable, effect: "NoExecute")])
        let decision = decide(tainted, pods: [pod("a")], heardAt: .seconds(100), since: [NodeTaints.unreachable: .zero],
                              now: .seconds(101))
        #expect(decision.taints?.map(\.key) == ["example.com/keep"])
        #expect(decision.evict.isEmpty && decision.markNotReady.isEmpty && decision.noExecuteSince.isEmpty)
    }

    @Test func aNotReadyNodeIsTaintedNotReady() {
        let decision = decide(node(ready: "False", taints: [Taint(key: NodeTaints.unreachable, effect: "NoSchedule")]),
                              heardAt: .seconds(5), now: .seconds(6))
        #expect(decision.taints?.map { "\($0.key ?? ""):\($0.effect ?? "")" }
                == ["\(NodeTaints.notReady):NoSchedule", "\(NodeTaints.notReady):NoExecute"])
        #expect(decision.conditions == nil && decision.markNotReady.isEmpty)
    }

    @Test(arguments: [
        (Toleration(operator: "Exists"), true),
        (Toleration(key: NodeTaints.unreachable, operator: "Exists", effect: "NoSchedule"), false),
        (Toleration(key: NodeTaints.unreachable, effect: "NoExecute"), true),
        (Toleration(key: NodeTaints.unreachable, value: "x", effect: "NoExecute"), false),
        (Toleration(key: NodeTaints.notReady, operator: "Exists"), false),
    ])
    func tolerationsMatchAsKubernetes(_ toleration: Toleration, _ expected: Bool) {
        #expect(NodeLifecycleDecision.tolerates(toleration, Taint(key: NodeTaints.unreachable, effect: "NoExecute")) == expected)
    }

    @Test func optionsSetTheTimings() {
        let parsed = NodeHealthSettings(options: ["node-monitor-grace-seconds": "5", "pod-eviction-seconds": "2.5"])
        #expect(parsed == NodeHealthSettings(gracePeriod: .seconds(5), podEviction: .milliseconds(2500)))
        #expect(NodeHealthSettings(options: [:]) == NodeHealthSettings())
    }
}
