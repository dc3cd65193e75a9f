/// The scheduler's loop, binders and reporters against a fake API, fed as its informers would
/// feed it; assertions are on the writes the fake recorded. Timers run on a ManualClock; the
/// loop's progress is awaited with deadlines (`eventually`), never guessed with sleeps.
import SkiffAPI
import SkiffClient
import SkiffScheduler
import SkiffTestSupport
import SkiffWire
import Testing

private final class Harness: Sendable {
    let api = FakeSchedulerAPI()
    let clock = ManualClock()
    let scheduler: Scheduler
    let running: Task<Void, Never>

    init() {
        var configuration = Scheduler.Configuration()
        configuration.clock = clock
        configuration.wallClock = FixedWallClock(Time(seconds: 1_800_000_000))
        configuration.randomSeed = 1
        let api = self.api
        let scheduler = Scheduler(api: api, configuration: configuration, currentPod: { api.pod($0.description) })
        self.scheduler = scheduler
        running = Task { await scheduler.run() }
    }

    func submit(_ pod: Pod) {
        api.store(pod)
        scheduler.podAdded(pod)
    }

    /// Delivers the fake's current copy of the pod as an informer update would.
    func redeliver(_ key: String, old: Pod) {
        if let current = api.pod(key) { scheduler.podUpdated(old, current) }
    }

    func waitFor(_ action: String) async -> Bool {
        await eventually(timeout: .seconds(10)) { self.api.actions.contains(action) }
    }

    /// Moves the manual clock past the queue's next flush.
    func tick(_ duration: Duration = .seconds(1)) async throws {
        try await clock.waitForSleepers(1)
        clock.advance(by: duration)
    }

    func stop() async {
        running.cancel()
        await running.value
    }
}

@Test func aPodIsBoundToTheNodeThatFitsAndTheEventSaysSo() async {
    let harness = Harness()
    harness.scheduler.nodeAdded(node("small", cpu: "1"))
    harness.scheduler.nodeAdded(node("big", cpu: "8"))
    harness.submit(pod("p", cpu: "2"))
    #expect(await harness.waitFor("bind default/p big"))
    #expect(await harness.waitFor("event Normal Scheduled Successfully assigned default/p to big"))
    let event = harness.api.events.first { $0.reason == "Scheduled" }
    #expect(event?.source?.component == "default-scheduler")
    #expect(event?.reportingComponent == "default-scheduler")
    #expect(event?.involvedObject?.kind == "Pod" && event?.involvedObject?.name == "p")
    #expect(event?.metadata?.namespace == "default")
    await harness.stop()
}

@Test func podsOfOtherSchedulersAndBoundPodsAreLeftAlone() async {
    let harness = Harness()
    harness.scheduler.nodeAdded(node("a"))
    harness.submit(pod("mine"))
    harness.submit(pod("theirs", schedulerName: "other-scheduler"))
    harness.submit(pod("pinned", nodeName: "a"))
    #expect(await harness.waitFor("bind default/mine a"))
    await harness.stop()
    #expect(harness.api.actions.filter { $0.hasPrefix("bind") } == ["bind default/mine a"])
    #expect(harness.scheduler.cache.snapshot["a"]?.podCount == 2)  // mine (assumed) and pinned
}

@Test func aPodThatFitsNowhereIsToldWhyAndScheduledWhenANodeFits() async throws {
    let harness = Harness()
    harness.scheduler.nodeAdded(node("a", cpu: "1"))
    harness.submit(pod("p", cpu: "2"))
    let message = "0/1 nodes are available: 1 Insufficient cpu."
    #expect(await harness.waitFor("event Warning FailedScheduling \(message)"))
    #expect(await harness.waitFor("status default/p False Unschedulable \(message)"))
    harness.redeliver("default/p", old: pod("p", cpu: "2"))

    harness.scheduler.nodeAdded(node("b", cpu: "4"))
    try await harness.tick()  // the pod's 1 s backoff
    #expect(await harness.waitFor("bind default/p b"))
    await harness.stop()
}

@Test func aRepeatedFailureBumpsOneEventAndWritesTheConditionOnce() async throws {
    let harness = Harness()
    harness.scheduler.nodeAdded(node("a", cpu: "1"))
    harness.submit(pod("p", cpu: "2"))
    #expect(await harness.waitFor("status default/p False Unschedulable 0/1 nodes are available: 1 Insufficient cpu."))
    harness.redeliver("default/p", old: pod("p", cpu: "2"))
    // Nothing changes; after 60 s in the unschedulable set the pod is retried and fails the same way.
    try await harness.tick(.seconds(60))
    #expect(await harness.waitFor("bump FailedScheduling 2"))
    await harness.stop()
    let actions = harness.api.actions
    #expect(actions.filter { $0.hasPrefix("event Warning FailedScheduling") }.count == 1)
    #expect(actions.filter { $0.hasPrefix("status") }.count == 1)
}

@Test func aConflictOnBindMeansSomeoneElseWonAndThePodIsDropped() async {
    let harness = Harness()
    harness.scheduler.nodeAdded(node("a", cpu: "1"))
    harness.api.failBinding(of: "default/p", with: APIError.conflict(
        GroupResource(group: "", resource: "pods"), "p", "pod p is already assigned to node \"x\""))
    harness.submit(pod("p", cpu: "1"))
    #expect(await harness.waitFor("bind default/p a refused 409"))
    #expect(await eventually(timeout: .seconds(10)) { !harness.scheduler.cache.isPlaced("default/p") })
    // The room it was assumed to take is free again for the next pod.
    harness.submit(pod("q", cpu: "1"))
    #expect(await harness.waitFor("bind default/q a"))
    await harness.stop()
    #expect(!harness.api.actions.contains { $0.contains("FailedScheduling") })
    #expect(harness.scheduler.queue.state.placement(of: "default/p") == nil)
}

@Test func anotherErrorOnBindIsReportedAndRetried() async throws {
    let harness = Harness()
    harness.scheduler.nodeAdded(node("a"))
    harness.api.failBinding(of: "default/p", with: APIError.internalError("store unavailable"))
    harness.submit(pod("p"))
    let reported = await eventually(timeout: .seconds(10)) {
        harness.api.actions.contains { $0.hasPrefix("status default/p False SchedulerError Binding rejected:") }
    }
    #expect(reported, "\(harness.api.actions)")
    #expect(await eventually(timeout: .seconds(10)) { harness.scheduler.queue.state.placement(of: "default/p") == "backoff" })
    await harness.stop()
}

@Test func deletingAnAssignedPodRetriesTheUnschedulable() async throws {
    let harness = Harness()
    harness.scheduler.nodeAdded(node("a", cpu: "1"))
    let blocker = pod("blocker", cpu: "1", nodeName: "a")
    harness.submit(blocker)
    harness.submit(pod("p", cpu: "1"))
    #expect(await harness.waitFor("event Warning FailedScheduling 0/1 nodes are available: 1 Insufficient cpu."))
    harness.scheduler.podDeleted(blocker)
    try await harness.tick()
    #expect(await harness.waitFor("bind default/p a"))
    await harness.stop()
}

@Test(arguments: [
    (node("n"), node("n", cpu: "8"), true),
    (node("n"), node("n", labels: ["zone": "a"]), true),
    (node("n"), node("n", unschedulable: true), true),
    (node("n", ready: "False"), node("n", ready: "True"), true),
    (node("n"), node("n"), false),
])
func whichNodeUpdatesRetryUnschedulablePods(_ old: Node, _ new: Node, _ relevant: Bool) {
    var heartbeat = new
    let conditions = (new.status?.conditions ?? []).map { condition in
        var condition = condition
        condition.lastHeartbeatTime = Time(seconds: 42)
        return condition
    }
    heartbeat.status?.conditions = conditions
    #expect(Scheduler.isSchedulingRelevantChange(from: old, to: heartbeat) == relevant)
}

@Test func aGatedPodWaitsUntilItsLastGateIsRemoved() async {
    let harness = Harness()
    harness.scheduler.nodeAdded(node("a"))
    var gated = pod("p")
    gated.spec?.schedulingGates = [PodSchedulingGate(name: "example.com/quota")]
    harness.submit(gated)
    #expect(harness.scheduler.queue.state.placement(of: "default/p") == nil)
    let opened = pod("p")
    harness.api.store(opened)
    harness.scheduler.podUpdated(gated, opened)
    #expect(await harness.waitFor("bind default/p a"))
    await harness.stop()
}
