/// The scheduler cache: assumptions seen by the next decision, confirmed or moved by the API's
/// word, forgotten after a failed binding, and never counted twice.
import SkiffClient
import SkiffScheduler
import SkiffWire
import Testing

private func decide(_ cache: SchedulerCache, _ pod: Pod) -> SchedulingAlgorithm.Outcome {
    var algorithm = SchedulingAlgorithm()
    var random = SeededRandom(seed: 3)
    let info = PodInfo(pod)
    return cache.decideAndAssume(info) { algorithm.schedule(info, in: $0, using: &random) }
}

@Test func anAssumedPodTakesRoomBeforeItsBindingIsConfirmed() {
    let cache = SchedulerCache()
    cache.upsertNode(node("a", cpu: "1"))
    #expect(decide(cache, pod("p", cpu: "1")) == .scheduled(node: "a", feasible: 1, examined: 1))
    #expect(cache.isAssumed("default/p"))
    guard case .unschedulable(let error) = decide(cache, pod("q", cpu: "1")) else {
        Issue.record("q should not fit next to the assumed p")
        return
    }
    #expect(error.message == "0/1 nodes are available: 1 Insufficient cpu.")
}

@Test func confirmationReplacesTheAssumptionAndForgetLeavesItAlone() {
    let cache = SchedulerCache()
    cache.upsertNode(node("a", cpu: "2"))
    _ = decide(cache, pod("p", cpu: "1"))
    cache.confirmPod(pod("p", cpu: "1", nodeName: "a"))
    #expect(!cache.isAssumed("default/p"))
    cache.forget("default/p")  // a late, stale failure report
    #expect(cache.snapshot["a"]?.requested.milliCPU == 1000)
    #expect(cache.snapshot["a"]?.podCount == 1)
}

@Test func anotherSchedulersBindingMovesThePod() {
    let cache = SchedulerCache()
    cache.upsertNode(node("a", cpu: "2"))
    cache.upsertNode(node("b", cpu: "2"))
    _ = decide(cache, pod("p", cpu: "1"))
    let assumedOn = cache.node(of: "default/p")!
    let other = assumedOn == "a" ? "b" : "a"
    cache.confirmPod(pod("p", cpu: "1", nodeName: other))
    #expect(cache.snapshot[assumedOn]?.podCount == 0)
    #expect(cache.snapshot[other]?.requested.milliCPU == 1000)
}

@Test func aFailedBindingIsForgotten() {
    let cache = SchedulerCache()
    cache.upsertNode(node("a", cpu: "1"))
    _ = decide(cache, pod("p", cpu: "1"))
    cache.forget("default/p")
    #expect(!cache.isPlaced("default/p"))
    #expect(cache.snapshot["a"]?.requested.milliCPU == 0)
}
