/// The pipeline as a whole: filters then scores over a Snapshot, the FitError when nothing
/// fits, Kubernetes' sampling of big clusters, round-robin starts and random tie-breaks.
import SkiffScheduler
import SkiffWire
import Testing

private func schedule(_ pod: Pod, _ snapshot: Snapshot, seed: UInt64 = 1) -> SchedulingAlgorithm.Outcome {
    var algorithm = SchedulingAlgorithm()
    var random = SeededRandom(seed: seed)
    return algorithm.schedule(PodInfo(pod), in: snapshot, using: &random)
}

private func chosen(_ outcome: SchedulingAlgorithm.Outcome) -> String? {
    if case .scheduled(let node, _, _) = outcome { return node }
    return nil
}

@Test func theOnlyFittingNodeIsChosen() {
    let snapshot = Snapshot(nodes: [node("small", cpu: "1"), node("big", cpu: "8"), node("cordoned", cpu: "8", unschedulable: true)])
    #expect(chosen(schedule(pod("p", cpu: "2"), snapshot)) == "big")
}

@Test func aPodThatFitsNowhereGetsKubernetesMessage() {
    let snapshot = Snapshot(nodes: [node("a", cpu: "1", labels: ["zone": "x"]), node("b", cpu: "1", labels: ["zone": "x"]),
                                    node("c", cpu: "8", labels: ["zone": "y"])])
    let outcome = schedule(pod("p", cpu: "2", nodeSelector: ["zone": "x"]), snapshot)
    guard case .unschedulable(let error) = outcome else {
        Issue.record("expected a FitError, got \(outcome)")
        return
    }
    #expect(error.message == "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu.")
    // A node is rejected by the first failing filter only: c is not also counted for cpu.
    #expect(error.reasonsByNode["c"] == ["node(s) didn't match Pod's node affinity/selector"])
}

@Test func noNodesAtAll() {
    #expect(schedule(pod("p"), Snapshot()) == .unschedulable(FitError(numAllNodes: 0)))
    #expect(FitError(numAllNodes: 0).message == "no nodes available to schedule pods")
}

@Test func siblingsSpreadAcrossNodes() {
    var snapshot = Snapshot(nodes: [node("a"), node("b"), node("c")])
    var algorithm = SchedulingAlgorithm()
    var random = SeededRandom(seed: 7)
    var placed: [String: Int] = [:]
    for index in 0..<6 {
        let info = PodInfo(pod("web-\(index)", cpu: "100m", memory: "100Mi", owner: "web"))
        guard case .scheduled(let name, _, _) = algorithm.schedule(info, in: snapshot, using: &random) else {
            Issue.record("web-\(index) did not fit")
            return
        }
        snapshot.add(info, to: name)
        placed[name, default: 0] += 1
    }
    #expect(placed == ["a": 2, "b": 2, "c": 2])
}

@Test func preferredAffinityAndTaintsOutweighFreeSpace() {
    let snapshot = Snapshot(nodes: [node("empty"), node("preferred", labels: ["disk": "ssd"]),
                                    node("soft-tainted", labels: ["disk": "ssd"],
                                         taints: [Taint(key: "soft", effect: "PreferNoSchedule")])],
                            pods: [pod("busy", cpu: "1", memory: "4Gi", nodeName: "preferred")])
    let affinity = NodeAffinity(preferredDuringSchedulingIgnoredDuringExecution: [
        PreferredSchedulingTerm(weight: 50, preference: NodeSelectorTerm(matchExpressions: [requirement("disk", "In", ["ssd"])])),
    ])
    #expect(chosen(schedule(pod("p", cpu: "100m", affinity: affinity), snapshot)) == "preferred")
}

@Test(arguments: [(50, nil, 50), (100, nil, 100), (1000, nil, 420), (5000, nil, 500), (50_000, nil, 2500),
                  (1000, 10, 100), (1000, 100, 1000), (200, 30, 100)] as [(Int, Int?, Int)])
func feasibleNodesToFind(_ nodes: Int, _ percentage: Int?, _ expected: Int) {
    var profile = SchedulingProfile.default
    profile.percentageOfNodesToScore = percentage
    #expect(profile.feasibleNodesToFind(among: nodes) == expected)
}

@Test func bigClustersAreSampledRoundRobin() {
    let snapshot = Snapshot(nodes: (0..<250).map { node("n\($0)") })
    var algorithm = SchedulingAlgorithm()
    var random = SeededRandom(seed: 1)
    // 250 nodes: 48% is 120 nodes examined per cycle, each cycle starting where the last stopped.
    guard case .scheduled(_, let feasible, let examined) = algorithm.schedule(PodInfo(pod("p")), in: snapshot, using: &random) else {
        Issue.record("not scheduled")
        return
    }
    #expect(feasible == 120 && examined == 120)
    #expect(algorithm.nextStartNodeIndex == 120)
    _ = algorithm.schedule(PodInfo(pod("q")), in: snapshot, using: &random)
    #expect(algorithm.nextStartNodeIndex == 240)
    _ = algorithm.schedule(PodInfo(pod("r")), in: snapshot, using: &random)
    #expect(algorithm.nextStartNodeIndex == 110)
}

@Test func tiesAreBrokenAtRandomAndReproducibly() {
    let snapshot = Snapshot(nodes: [node("a"), node("b"), node("c")])
    var seen: Set<String> = []
    for seed in 0..<64 { if let name = chosen(schedule(pod("p"), snapshot, seed: UInt64(seed))) { seen.insert(name) } }
    #expect(seen == ["a", "b", "c"])
    #expect(chosen(schedule(pod("p"), snapshot, seed: 42)) == chosen(schedule(pod("p"), snapshot, seed: 42)))
}

@Test func aRemovedNodeKeepsItsPodsAsideUntilItReturns() {
    var snapshot = Snapshot(nodes: [node("a", cpu: "2")], pods: [pod("q", cpu: "2", nodeName: "a")])
    snapshot.removeNode(named: "a")
    #expect(snapshot.count == 0)
    snapshot.upsert(node("a", cpu: "2"))
    #expect(snapshot["a"]?.requested.milliCPU == 2000)
    #expect(chosen(schedule(pod("p", cpu: "1"), snapshot)) == nil)
}
