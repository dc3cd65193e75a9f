/// Table tests of every score plugin: a pod, the feasible nodes, and the normalized 0...100
/// scores Kubernetes' formulas give them.
import SkiffScheduler
import SkiffWire
import Testing

struct ScoreCase: Sendable, CustomTestStringConvertible {
    var name: String
    var pod: Pod
    var nodes: [Node]
    var assigned: [Pod] = []
    var scores: [Int64]
    var testDescription: String { name }

    func run(_ plugin: some ScorePlugin) -> [Int64] {
        let info = PodInfo(pod)
        guard plugin.applies(to: info) else { return nodes.map { _ in 0 } }
        let infos = nodes.map { node in
            nodeInfo(node, pods: assigned.filter { $0.spec?.nodeName == node.metadata?.name })
        }
        var raw = infos.map { plugin.score(info, $0) }
        plugin.normalize(&raw)
        return raw
    }
}

@Test(arguments: [
    ScoreCase(name: "the emptier node scores higher", pod: pod("p", cpu: "1", memory: "8Gi"),
              nodes: [node("a"), node("b")], assigned: [pod("q", cpu: "2", memory: "16Gi", nodeName: "b")],
              scores: [75, 25]),
    ScoreCase(name: "cpu and memory are averaged", pod: pod("p", cpu: "2", memory: "8Gi"), nodes: [node("a")],
              scores: [62]),
    ScoreCase(name: "best-effort pods count as 100m and 200Mi", pod: pod("p"), nodes: [node("a", cpu: "1", memory: "1Gi")],
              scores: [85]),
    ScoreCase(name: "an over-committed resource scores 0", pod: pod("p", cpu: "8", memory: "8Gi"), nodes: [node("a")],
              scores: [37]),
])
func leastAllocated(_ c: ScoreCase) {
    #expect(c.run(NodeResourcesFit()) == c.scores)
}

@Test(arguments: [
    ScoreCase(name: "equal shares are perfectly balanced", pod: pod("p", cpu: "1", memory: "8Gi"), nodes: [node("a")],
              scores: [100]),
    ScoreCase(name: "unequal shares lose half their difference", pod: pod("p", cpu: "2", memory: "8Gi"),
              nodes: [node("a")], scores: [87]),
    ScoreCase(name: "the node the pod balances wins", pod: pod("p", cpu: "1", memory: "8Gi"),
              nodes: [node("a"), node("b")], assigned: [pod("q", cpu: "2", nodeName: "b")], scores: [100, 75]),
    ScoreCase(name: "fractions are capped at 1", pod: pod("p", cpu: "8", memory: "16Gi"), nodes: [node("a")],
              scores: [75]),
])
func balancedAllocation(_ c: ScoreCase) {
    #expect(c.run(BalancedAllocation()) == c.scores)
}

@Test(arguments: [
    ScoreCase(name: "a bare pod is not spread", pod: pod("p"), nodes: [node("a"), node("b")],
              assigned: [pod("q", nodeName: "a", owner: "web")], scores: [0, 0]),
    ScoreCase(name: "siblings push away", pod: pod("p", owner: "web"), nodes: [node("a"), node("b"), node("c")],
              assigned: [pod("q1", nodeName: "a", owner: "web"), pod("q2", nodeName: "a", owner: "web"),
                         pod("q3", nodeName: "b", owner: "web"), pod("x", nodeName: "c", owner: "other")],
              scores: [0, 50, 100]),
    ScoreCase(name: "no sibling anywhere: all equal", pod: pod("p", owner: "web"), nodes: [node("a"), node("b")],
              scores: [100, 100]),
])
func selectorSpread(_ c: ScoreCase) {
    #expect(c.run(SelectorSpread()) == c.scores)
}

private func preferred(_ weight: Int32, _ key: String, _ values: [String]) -> PreferredSchedulingTerm {
    PreferredSchedulingTerm(weight: weight, preference: NodeSelectorTerm(matchExpressions: [requirement(key, "In", values)]))
}

@Test(arguments: [
    ScoreCase(name: "no preferences: every node 0", pod: pod("p"), nodes: [node("a"), node("b")], scores: [0, 0]),
    ScoreCase(name: "weights add up and scale to 100", pod: pod("p", affinity: NodeAffinity(
        preferredDuringSchedulingIgnoredDuringExecution: [preferred(20, "zone", ["a"]), preferred(60, "disk", ["ssd"])])),
              nodes: [node("a", labels: ["zone": "a"]), node("b", labels: ["disk": "ssd"]),
                      node("c", labels: ["zone": "a", "disk": "ssd"]), node("d")],
              scores: [25, 75, 100, 0]),
])
func nodeAffinityScore(_ c: ScoreCase) {
    #expect(c.run(NodeAffinityPlugin()) == c.scores)
}

private let soft = Taint(key: "soft", value: "x", effect: "PreferNoSchedule")
private let softer = Taint(key: "softer", value: "y", effect: "PreferNoSchedule")

@Test(arguments: [
    ScoreCase(name: "fewer PreferNoSchedule taints is better", pod: pod("p"),
              nodes: [node("a"), node("b", taints: [soft]), node("c", taints: [soft, softer])], scores: [100, 50, 0]),
    ScoreCase(name: "tolerated taints do not count", pod: pod("p", tolerations: [
        Toleration(key: "soft", operator: "Exists", effect: "PreferNoSchedule")]),
              nodes: [node("a", taints: [soft]), node("b", taints: [softer])], scores: [100, 0]),
    ScoreCase(name: "a NoSchedule toleration does not tolerate PreferNoSchedule", pod: pod("p", tolerations: [
        Toleration(key: "soft", operator: "Exists", effect: "NoSchedule")]),
              nodes: [node("a", taints: [soft]), node("b")], scores: [0, 100]),
    ScoreCase(name: "no taints anywhere: all 100", pod: pod("p"), nodes: [node("a"), node("b")], scores: [100, 100]),
])
func taintTolerationScore(_ c: ScoreCase) {
    #expect(c.run(TaintToleration()) == c.scores)
}
