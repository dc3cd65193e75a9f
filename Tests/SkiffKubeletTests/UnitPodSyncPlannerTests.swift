// PodSyncPlanner: kuberuntime's computePodActions as a pure function of the pod and the runtime view.
import Foundation
import SkiffWire
import Testing
@testable import SkiffKubelet

private func plan(_ pod: Pod, _ view: PodRuntimeView, backoff: RestartBackoff = RestartBackoff(), now: Date = at(100),
                  liveness: Set<String> = []) -> PodSyncPlan {
    PodSyncPlanner.plan(pod: pod, view: view, backoff: backoff, now: now, livenessFailures: liveness)
}

private func view(_ containers: RuntimeContainer..., sandboxes: [RuntimeSandbox] = [sandbox()]) -> PodRuntimeView {
    PodRuntimeView(sandboxes: sandboxes, containers: containers)
}

@Suite struct UnitPodSyncPlannerTests {
    @Test func aNewPodGetsASandboxFirst() {
        let result = plan(makePod(["a", "b"]), PodRuntimeView())
        #expect(result == PodSyncPlan(actions: [.createSandbox]))
    }

    @Test func aReadySandboxStartsEveryContainerAtAttemptZero() {
        #expect(plan(makePod(["a", "b"]), view()).actions == [
            .startContainer(name: "a", attempt: 0, isInit: false),
            .startContainer(name: "b", attempt: 0, isInit: false),
        ])
    }

    @Test func aRunningContainerWithItsSpecNeedsNothing() {
        #expect(plan(makePod(["a"]), view(instance("a", .running))) == PodSyncPlan())
    }

    /// Init containers run one at a time, in order, each to success, before any app container.
    @Test(arguments: [
        ([RuntimeContainer](), "Always", [PodAction.startContainer(name: "i1", attempt: 0, isInit: true)]),
        ([instance("i1", .running)], "Always", []),
        ([instance("i1", .exited(0))], "Always", [.startContainer(name: "i2", attempt: 0, isInit: true)]),
        ([instance("i1", .exited(0)), instance("i2", .running)], "Always", []),
        ([instance("i1", .exited(0)), instance("i2", .exited(0))], "Always",
         [.startContainer(name: "a", attempt: 0, isInit: false), .startContainer(name: "b", attempt: 0, isInit: false)]),
        ([instance("i1", .exited(1))], "Always", [.startContainer(name: "i1", attempt: 1, isInit: true)]),
        ([instance("i1", .exited(1))], "OnFailure", [.startContainer(name: "i1", attempt: 1, isInit: true)]),
        // Under Never a failed init container fails the pod: nothing more is started.
        ([instance("i1", .exited(1))], "Never", []),
        ([instance("i1", .exited(0)), instance("i2", .exited(2))], "Never", []),
    ])
    func initContainersRunInOrderAndBlockTheApp(instances: [RuntimeContainer], policy: String, expected: [PodAction]) {
        let pod = makePod(["a", "b"], initContainers: ["i1", "i2"], restartPolicy: policy)
        #expect(plan(pod, PodRuntimeView(sandboxes: [sandbox()], containers: instances)).actions == expected)
    }

    /// An exited app container restarts as restartPolicy says (no back-off recorded yet).
    @Test(arguments: [
        ("Always", 0, true), ("Always", 1, true), ("Always", 137, true),
        ("OnFailure", 0, false), ("OnFailure", 1, true),
        ("Never", 0, false), ("Never", 1, false),
    ] as [(String, Int32, Bool)])
    func exitedContainersFollowTheRestartPolicy(policy: String, exitCode: Int32, restarts: Bool) {
        let result = plan(makePod(["a"], restartPolicy: policy), view(instance("a", .exited(exitCode))))
        #expect(result.actions == (restarts ? [.startContainer(name: "a", attempt: 1, isInit: false)] : []))
        #expect(result.waiting.isEmpty)
    }

    @Test func noRestartPolicyMeansAlways() {
        let result = plan(makePod(["a"], restartPolicy: nil), view(instance("a", .exited(0))))
        #expect(result.actions == [.startContainer(name: "a", attempt: 1, isInit: false)])
    }

    /// A container restarted once (back-off 10 s) that exits again waits out the back-off.
    @Test func crashLoopBackOffHoldsTheRestartWithKubernetesMessage() {
        var backoff = RestartBackoff()
        backoff.next("uid-1/a", now: at(10))  // the restart to attempt 1
        let crashed = view(instance("a", .exited(1), attempt: 1, finished: 12))

        let waiting = plan(makePod(["a"]), crashed, backoff: backoff, now: at(15))
        #expect(waiting.actions.isEmpty)
        #expect(waiting.waiting == ["a": WaitingReason(
            reason: "CrashLoopBackOff", message: "back-off 10s restarting failed container=a pod=web_default(uid-1)")])
        #expect(waiting.requeueAfter == .seconds(7))

        let due = plan(makePod(["a"]), crashed, backoff: backoff, now: at(22))
        #expect(due == PodSyncPlan(actions: [.startContainer(name: "a", attempt: 2, isInit: false)]))
    }

    @Test func theMessageShowsTheCurrentDelayAndTheRequeueIsTheSoonestEnd() {
        var backoff = RestartBackoff()
        backoff.next("uid-1/a", now: at(10))
        backoff.next("uid-1/a", now: at(20))  // a: 20 s
        backoff.next("uid-1/b", now: at(20))  // b: 10 s
        let crashed = view(instance("a", .exited(1), attempt: 2, finished: 30), instance("b", .exited(1), attempt: 1, finished: 28))
        let result = plan(makePod(["a", "b"]), crashed, backoff: backoff, now: at(31))
        #expect(result.actions.isEmpty)
        #expect(result.waiting["a"]?.message == "back-off 20s restarting failed container=a pod=web_default(uid-1)")
        #expect(result.waiting["b"]?.message == "back-off 10s restarting failed container=b pod=web_default(uid-1)")
        #expect(result.requeueAfter == .seconds(7))  // b: 28 + 10 - 31; a would be 30 + 20 - 31 = 19
    }

    @Test func aFailedInitContainerBacksOffToo() {
        var backoff = RestartBackoff()
        backoff.next("uid-1/i1", now: at(10))
        let pod = makePod(["a"], initContainers: ["i1"], restartPolicy: "OnFailure")
        let result = plan(pod, view(instance("i1", .exited(1), attempt: 1, finished: 12)), backoff: backoff, now: at(13))
        #expect(result.actions.isEmpty)
        #expect(result.waiting["i1"]?.reason == "CrashLoopBackOff")
        #expect(result.requeueAfter == .seconds(9))
    }

    @Test func aChangedSpecStopsTheRunningContainer() {
        let result = plan(makePod(["a"]), view(instance("a", .running, id: "c1", specHash: "old")))
        #expect(result.actions == [.stopContainer(id: "c1", name: "a", reason: "SpecChanged")])
    }

    @Test func aFailingLivenessProbeStopsTheContainer() {
        let running = view(instance("a", .running, id: "c1"), instance("b", .running, id: "c2"))
        #expect(plan(makePod(["a", "b"]), running, liveness: ["b"]).actions
                == [.stopContainer(id: "c2", name: "b", reason: "Unhealthy")])
    }

    @Test func aContainerThatNeverStartedIsRemovedForANewTry() {
        #expect(plan(makePod(["a"]), view(instance("a", .created, id: "c1"))).actions == [.removeContainer(id: "c1")])
    }

    /// Deleted or finished: running containers stop, then the sandbox; nothing starts.
    @Test(arguments: [(nil, true), ("Succeeded", false), ("Failed", false)] as [(String?, Bool)])
    func aStoppingPodStopsItsContainersAndSandbox(phase: String?, deleting: Bool) {
        let pod = makePod(["a", "b"], phase: phase, deleting: deleting)
        let result = plan(pod, view(instance("a", .running, id: "c1"), instance("b", .exited(1), id: "c2")))
        #expect(result.actions == [.stopContainer(id: "c1", name: "a", reason: "Killing"), .stopSandbox(id: "s1")])
        #expect(result.waiting.isEmpty)
    }

    @Test func aDeletedPodWithoutSandboxGetsNone() {
        #expect(plan(makePod(deleting: true), PodRuntimeView()).actions.isEmpty)
    }

    /// Of one container's instances the newest two stay (the current one and the previous for
    /// `logs --previous`); older exited ones go.
    @Test func onlyTheNewestTwoInstancesAreKept() {
        let exited = (0...3).map { instance("a", .exited(0), attempt: $0) }
        #expect(plan(makePod(["a"], restartPolicy: "Never"), PodRuntimeView(sandboxes: [sandbox()], containers: exited)).actions
                == [.removeContainer(id: "a-1"), .removeContainer(id: "a-0")])

        let withRunning = (0...2).map { instance("a", .exited(1), attempt: $0) } + [instance("a", .running, attempt: 3)]
        #expect(plan(makePod(["a"]), PodRuntimeView(sandboxes: [sandbox()], containers: withRunning)).actions
                == [.removeContainer(id: "a-1"), .removeContainer(id: "a-0")])
    }

    @Test func anOldSandboxIsRemovedOnceItsContainersHaveStopped() {
        let sandboxes = [sandbox("s1", .notReady, created: 0), sandbox("s2", .ready, created: 50)]
        let stopped = PodRuntimeView(sandboxes: sandboxes, containers: [
            instance("a", .exited(1), attempt: 0, id: "old", in: "s1"), instance("a", .running, attempt: 1, id: "new", in: "s2"),
        ])
        #expect(plan(makePod(["a"]), stopped).actions == [.removeContainer(id: "old"), .removeSandbox(id: "s1")])

        let stillRunning = PodRuntimeView(sandboxes: sandboxes, containers: [
            instance("a", .running, attempt: 0, id: "old", in: "s1"), instance("a", .running, attempt: 1, id: "new", in: "s2"),
        ])
        #expect(plan(makePod(["a"]), stillRunning).actions == [.stopContainer(id: "old", name: "a", reason: "SandboxChanged")])
    }

    @Test func anOlderReadySandboxIsStoppedAndRemoved() {
        let sandboxes = [sandbox("s1", .ready, created: 0), sandbox("s2", .ready, created: 50)]
        let result = plan(makePod(["a"]), PodRuntimeView(sandboxes: sandboxes, containers: [instance("a", .running, in: "s2")]))
        #expect(result.actions == [.stopSandbox(id: "s1"), .removeSandbox(id: "s1")])
    }

    /// A lost sandbox is replaced, and the containers in it continue their attempt count,
    /// except under Never once the pod has run.
    @Test(arguments: [
        ("Always", true, true), ("OnFailure", true, true), ("Never", true, false),
        ("Never", false, true), ("Always", false, true),
    ])
    func aLostSandboxIsReplacedUnlessThePodRanUnderNever(policy: String, ran: Bool, recreated: Bool) {
        let lost = PodRuntimeView(sandboxes: [sandbox("s1", .notReady)],
                                  containers: ran ? [instance("a", .exited(1), id: "c1")] : [])
        let actions = plan(makePod(["a"], restartPolicy: policy), lost).actions
        #expect(actions.contains(.createSandbox) == recreated)
        #expect(!actions.contains { if case .startContainer = $0 { true } else { false } })
    }

    /// Two syncs after the node lost the sandbox of a pod whose container had exited: the
    /// first sync's clean-up must not erase the record the second relies on.
    private func afterTwoSyncs(policy: String) -> (first: [PodAction], second: [PodAction]) {
        let pod = makePod(["a"], restartPolicy: policy)
        var state = PodRuntimeView(sandboxes: [sandbox("s1", .notReady)],
                                   containers: [instance("a", .exited(1), attempt: 2, id: "c1")])
        let first = plan(pod, state).actions
        for action in first {
            switch action {
            case .createSandbox: state.sandboxes.append(sandbox("s2", .ready, created: 50))
            case .removeSandbox(let id): state.sandboxes.removeAll { $0.id == id }
            case .removeContainer(let id): state.containers.removeAll { $0.id == id }
            default: break
            }
        }
        return (first, plan(pod, state, now: at(400)).actions)
    }

    @Test func afterALostSandboxAnAlwaysPodKeepsItsRestartCount() {
        let (first, second) = afterTwoSyncs(policy: "Always")
        #expect(first.contains(.createSandbox))
        #expect(second.contains(.startContainer(name: "a", attempt: 3, isInit: false)))
    }

    @Test func afterALostSandboxANeverPodThatRanIsNotStartedAgain() {
        let (first, second) = afterTwoSyncs(policy: "Never")
        #expect(!first.contains(.createSandbox))
        #expect(!second.contains(.createSandbox))
    }

    @Test func aContainerInANewSandboxContinuesItsAttemptCount() {
        let sandboxes = [sandbox("s1", .notReady, created: 0), sandbox("s2", .ready, created: 50)]
        let result = plan(makePod(["a"]), PodRuntimeView(sandboxes: sandboxes, containers: [
            instance("a", .exited(1), attempt: 2, id: "c1", in: "s1"),
        ]))
        #expect(result.actions.filter { if case .startContainer = $0 { true } else { false } }
                == [.startContainer(name: "a", attempt: 3, isInit: false)])
    }

    // MARK: cases that once departed from Kubernetes

    /// kuberuntime computePodActions: under OnFailure, a new sandbox starts only the containers
    /// that have not succeeded ("excluding the ones that succeeded if RestartPolicy is OnFailure").
    @Test func underOnFailureANewSandboxDoesNotRerunSucceededContainers() {
        let sandboxes = [sandbox("s1", .notReady, created: 0), sandbox("s2", .ready, created: 50)]
        let result = plan(makePod(["done", "b"], restartPolicy: "OnFailure"), PodRuntimeView(sandboxes: sandboxes, containers: [
            instance("done", .exited(0), id: "c1", in: "s1"), instance("b", .exited(1), id: "c2", in: "s1"),
        ]))
        #expect(!result.actions.contains(.startContainer(name: "done", attempt: 1, isInit: false)))
        #expect(result.actions.contains(.startContainer(name: "b", attempt: 1, isInit: false)))
    }

    /// An init container left in `created` (the kubelet stopped between create and start) is
    /// never started; app containers in that state are removed and retried.
    @Test func anInitContainerThatNeverStartedIsRetried() {
        let result = plan(makePod(["a"], initContainers: ["i1"]), view(instance("i1", .created, id: "c1")))
        #expect(result.actions == [.removeContainer(id: "c1")])
    }

    /// kuberuntime prunes an init container's exited instances down to the latest before a
    /// restart (pruneInitContainersBeforeStart); here they pile up under CrashLoopBackOff.
    @Test func aCrashingInitContainerDoesNotPileUpInstances() {
        let crashed = (0...3).map { instance("i1", .exited(1), attempt: $0) }
        let result = plan(makePod(["a"], initContainers: ["i1"]), PodRuntimeView(sandboxes: [sandbox()], containers: crashed))
        #expect(result.actions.contains(.removeContainer(id: "i1-0")))
    }

    /// A deleted pod with a container still running in a replaced sandbox: one stop, not two.
    @Test func aStoppingPodStopsEachContainerOnce() {
        let sandboxes = [sandbox("s1", .notReady, created: 0), sandbox("s2", .ready, created: 50)]
        let result = plan(makePod(["a"], deleting: true), PodRuntimeView(sandboxes: sandboxes, containers: [
            instance("a", .running, id: "old", in: "s1"),
        ]))
        let stops = result.actions.filter { if case .stopContainer(id: "old", _, _) = $0 { true } else { false } }
        #expect(stops.count == 1)
        #expect(result.actions.last == .stopSandbox(id: "s2"))
    }
}
