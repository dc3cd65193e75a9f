/// The scheduling queue: golden scenarios on its pure state with explicit times, and the shared
/// queue on a ManualClock (flushes, waiting pops), never real time.
import SkiffClient
import SkiffScheduler
import SkiffWire
import Testing

private typealias State = SchedulingQueue.State

private func seconds(_ value: Double) -> Duration { .milliseconds(Int64(value * 1000)) }

@Test func activePodsComeOutByPriorityThenArrival() {
    var state = State()
    state.add(pod("first"), now: seconds(0))
    state.add(pod("urgent", priority: 1000), now: seconds(1))
    state.add(pod("second"), now: seconds(2))
    state.add(pod("first"), now: seconds(3))  // an update: no duplicate, no new place in line
    #expect([state.pop(), state.pop(), state.pop(), state.pop()].map { $0?.key.name } == ["urgent", "first", "second", nil])
    #expect(state.inFlightCount == 3)
}

@Test(arguments: [(1, 1), (2, 2), (3, 4), (4, 8), (5, 10), (9, 10)])
func backoffDoublesFromOneSecondToTen(_ attempts: Int, _ expected: Int) {
    #expect(State.backoffDuration(attempts: attempts, SchedulingQueue.Options()) == .seconds(expected))
}

@Test func anUnschedulablePodWaitsForAClusterEventThenItsBackoff() {
    var state = State()
    state.add(pod("p"), now: seconds(0))
    let attempt = state.pop()!
    state.requeueUnschedulable(attempt, now: seconds(0))
    #expect(state.placement(of: "default/p") == "unschedulable")
    state.flush(now: seconds(30))
    #expect(state.placement(of: "default/p") == "unschedulable")  // nothing changed, nothing to retry

    // A node appears at 0.5 s: the pod leaves the set, but its 1 s backoff still runs.
    var early = state
    early.moveAllToActiveOrBackoff(now: seconds(0.5))
    #expect(early.placement(of: "default/p") == "backoff")
    early.flush(now: seconds(0.9))
    #expect(early.placement(of: "default/p") == "backoff")
    early.flush(now: seconds(1))
    #expect(early.placement(of: "default/p") == "active")

    // The same event after the backoff: straight to the active queue.
    state.moveAllToActiveOrBackoff(now: seconds(2))
    #expect(state.placement(of: "default/p") == "active")
}

@Test func withoutAnyEventThePodIsRetriedAfterSixtySeconds() {
    var state = State()
    state.add(pod("p"), now: seconds(0))
    state.requeueUnschedulable(state.pop()!, now: seconds(0))
    state.flush(now: seconds(59.9))
    #expect(state.placement(of: "default/p") == "unschedulable")
    state.flush(now: seconds(60))
    #expect(state.placement(of: "default/p") == "active")
}

@Test func anEventDuringTheCycleSendsTheFailedPodToBackoffNotToTheSet() {
    var state = State()
    state.add(pod("p"), now: seconds(0))
    let attempt = state.pop()!
    state.moveAllToActiveOrBackoff(now: seconds(0.1))  // e.g. a node was added while p was being scheduled
    state.requeueUnschedulable(attempt, now: seconds(0.2))
    #expect(state.placement(of: "default/p") == "backoff")
    state.flush(now: seconds(1.2))
    #expect(state.pop()?.attempts == 2)
}

@Test func anUpdateThatMayHelpMovesThePodOutAStatusUpdateDoesNot() {
    var state = State()
    state.add(pod("p", cpu: "8"), now: seconds(0))
    state.requeueUnschedulable(state.pop()!, now: seconds(0))
    var withStatus = pod("p", cpu: "8")
    withStatus.status?.conditions = [PodCondition(type: "PodScheduled", status: "False", reason: "Unschedulable")]
    withStatus.metadata?.resourceVersion = "2"
    state.add(withStatus, now: seconds(5))
    #expect(state.placement(of: "default/p") == "unschedulable")
    state.add(pod("p", cpu: "1"), now: seconds(6))
    #expect(state.placement(of: "default/p") == "active")
}

@Test func aPodDeletedInFlightIsNotRequeued() {
    var state = State()
    state.add(pod("p"), now: seconds(0))
    let attempt = state.pop()!
    state.delete("default/p")
    state.requeueUnschedulable(attempt, now: seconds(1))
    #expect(state.placement(of: "default/p") == nil)
    #expect(state.inFlightCount == 0)
}

@Test func anUpdateInFlightIsKeptForTheRetry() {
    var state = State()
    state.add(pod("p", cpu: "8"), now: seconds(0))
    let attempt = state.pop()!
    state.add(pod("p", cpu: "1"), now: seconds(0.5))
    #expect(state.activeCount == 0)  // never twice at once
    state.requeueUnschedulable(attempt, now: seconds(1))
    #expect(state.placement(of: "default/p") == "backoff")  // changed: no waiting for an event
    state.flush(now: seconds(2))
    #expect(state.pop()?.pod.spec?.containers.first?.resources?.requests["cpu"] == "1")
}

@Test func aBindingErrorRetriesAfterBackoff() {
    var state = State()
    state.add(pod("p"), now: seconds(0))
    let attempt = state.pop()!
    state.done(attempt.key)
    state.requeueAfterError(attempt, now: seconds(3))
    #expect(state.placement(of: "default/p") == "backoff")
    state.flush(now: seconds(4))
    #expect(state.placement(of: "default/p") == "active")
}

@Test func theSharedQueueFlushesOnItsClock() async throws {
    let clock = ManualClock()
    let queue = SchedulingQueue(clock: clock)
    let flushing = Task { await queue.run() }
    defer { flushing.cancel() }

    queue.add(pod("p"))
    let first = try #require(await queue.pop())
    queue.requeueUnschedulable(first)
    queue.moveAllToActiveOrBackoff()
    #expect(queue.state.placement(of: "default/p") == "backoff")

    let waiting = Task { await queue.pop() }
    try await clock.waitForSleepers(1)
    clock.advance(by: .seconds(1))  // the flush at 1 s finds the 1 s backoff over
    let second = await waiting.value
    #expect(second?.key == "default/p")
    #expect(second?.attempts == 2)
}

@Test func closingEndsWaitingPops() async {
    let queue = SchedulingQueue(clock: ManualClock())
    let waiting = Task { await queue.pop() }
    queue.close()
    #expect(await waiting.value == nil)
}
