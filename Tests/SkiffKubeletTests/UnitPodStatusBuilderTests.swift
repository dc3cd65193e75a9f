// PodStatusBuilder: the kubelet's generateAPIPodStatus and getPhase.
import Foundation
import SkiffWire
import Testing
@testable import SkiffKubelet

private func build(_ pod: Pod, _ containers: [RuntimeContainer], sandboxes: [RuntimeSandbox] = [sandbox()],
                   waiting: [String: WaitingReason] = [:], notReady: Set<String> = [], notStarted: Set<String> = [],
                   now: Date = at(100)) -> PodStatus {
    PodStatusBuilder.build(PodStatusInputs(pod: pod, view: PodRuntimeView(sandboxes: sandboxes, containers: containers),
                                           waiting: waiting, notReady: notReady, notStarted: notStarted,
                                           hostIP: "192.168.1.10", now: now))
}

private func condition(_ status: PodStatus, _ type: String) -> PodCondition? {
    status.conditions.first { $0.type == type }
}

private let backOff = WaitingReason(reason: "CrashLoopBackOff", message: "back-off 10s restarting failed container=b pod=web_default(uid-1)")

@Suite struct UnitPodStatusBuilderTests {
    /// getPhase as a table: app containers a and b under a restart policy.
    @Test(arguments: [
        ("Always", [RuntimeContainer](), [String: WaitingReason](), "Pending"),
        ("Always", [instance("a", .running)], [:], "Pending"),  // b has not started
        ("Always", [instance("a", .running), instance("b", .running)], [:], "Running"),
        ("Always", [instance("a", .running), instance("b", .exited(1))], [:], "Running"),
        ("Always", [instance("a", .exited(0)), instance("b", .exited(1))], [:], "Running"),
        ("Always", [instance("a", .exited(0)), instance("b", .exited(0))], [:], "Running"),
        ("OnFailure", [instance("a", .exited(0)), instance("b", .exited(0))], [:], "Succeeded"),
        ("OnFailure", [instance("a", .exited(0)), instance("b", .exited(1))], ["b": backOff], "Running"),
        ("Never", [instance("a", .exited(0)), instance("b", .exited(0))], [:], "Succeeded"),
        ("Never", [instance("a", .exited(0)), instance("b", .exited(3))], [:], "Failed"),
        ("Never", [instance("a", .running), instance("b", .exited(3))], [:], "Running"),
        ("Never", [instance("a", .created), instance("b", .exited(0))], [:], "Pending"),
    ])
    func phaseFollowsGetPhase(policy: String, containers: [RuntimeContainer], waiting: [String: WaitingReason], phase: String) {
        #expect(build(makePod(["a", "b"], restartPolicy: policy), containers, waiting: waiting).phase == phase)
    }

    @Test(arguments: [
        ("Always", [RuntimeContainer](), "Pending"),
        ("Always", [instance("i1", .running)], "Pending"),
        ("Always", [instance("i1", .exited(1))], "Pending"),
        ("OnFailure", [instance("i1", .exited(1))], "Pending"),
        ("Never", [instance("i1", .exited(1))], "Failed"),
        ("Never", [instance("i1", .exited(0)), instance("a", .running)], "Running"),
    ])
    func initContainersKeepThePodPendingOrFailIt(policy: String, containers: [RuntimeContainer], phase: String) {
        #expect(build(makePod(["a"], initContainers: ["i1"], restartPolicy: policy), containers).phase == phase)
    }

    @Test func aRunningReadyPodHasEveryConditionTrue() {
        let status = build(makePod(["a"]), [instance("a", .running)])
        #expect(status.phase == "Running")
        #expect(status.conditions.map { "\($0.type ?? "")=\($0.status ?? "")" }
                == ["PodReadyToStartContainers=True", "Initialized=True", "ContainersReady=True", "Ready=True"])
        #expect(status.conditions.allSatisfy { $0.lastTransitionTime == Time(at(100)) })
        #expect(status.podIP == "10.244.0.2")
        #expect(status.podIPs == [PodIP(ip: "10.244.0.2")])
        #expect(status.hostIP == "192.168.1.10")
        #expect(status.startTime == Time(at(100)))
        #expect(status.containerStatuses.first?.ready == true)
        #expect(status.containerStatuses.first?.started == true)
        #expect(status.containerStatuses.first?.containerID == "skiff://a-0")
    }

    @Test func unreadyContainersAreNamedInTheConditions() {
        let status = build(makePod(["a", "b", "c"]), [instance("a", .running), instance("b", .running), instance("c", .running)],
                           notReady: ["a", "c"])
        for type in ["ContainersReady", "Ready"] {
            #expect(condition(status, type)?.status == "False")
            #expect(condition(status, type)?.reason == "ContainersNotReady")
            #expect(condition(status, type)?.message == "containers with unready status: [a c]")
        }
        #expect(status.containerStatuses.map { $0.ready } == [false, true, false])
    }

    @Test func aContainerWhoseStartupProbeHasNotSucceededIsNeitherStartedNorReady() {
        let status = build(makePod(["a"]), [instance("a", .running)], notStarted: ["a"])
        #expect(status.containerStatuses.first?.started == false)
        #expect(status.containerStatuses.first?.ready == false)
        #expect(condition(status, "Ready")?.message == "containers with unready status: [a]")
    }

    @Test func pendingInitContainersAreNamedInInitialized() {
        let status = build(makePod(["a"], initContainers: ["i1", "i2"]), [instance("i1", .exited(0)), instance("i2", .running)])
        #expect(condition(status, "Initialized")?.status == "False")
        #expect(condition(status, "Initialized")?.reason == "ContainersNotInitialized")
        #expect(condition(status, "Initialized")?.message == "containers with incomplete status: [i2]")
        #expect(status.initContainerStatuses.map { $0.state?.terminated?.exitCode } == [0, nil])
    }

    @Test func aConditionKeepsItsTransitionTimeWhileItsStatusHolds() {
        var pod = makePod(["a"])
        let first = build(pod, [instance("a", .running)], now: at(100))
        pod.status = first
        let unchanged = build(pod, [instance("a", .running)], now: at(200))
        #expect(condition(unchanged, "Ready")?.lastTransitionTime == Time(at(100)))
        #expect(unchanged.startTime == Time(at(100)))

        let flipped = build(pod, [instance("a", .running)], notReady: ["a"], now: at(300))
        #expect(condition(flipped, "Ready")?.lastTransitionTime == Time(at(300)))
        #expect(condition(flipped, "Initialized")?.lastTransitionTime == Time(at(100)))
    }

    @Test func thePodScheduledConditionIsKept() {
        var pod = makePod(["a"])
        let scheduled = PodCondition(type: "PodScheduled", status: "True", lastTransitionTime: Time(at(1)))
        pod.status = PodStatus(conditions: [scheduled])
        #expect(build(pod, [instance("a", .running)]).conditions.first == scheduled)
    }

    @Test func restartCountAndLastStateComeFromThePreviousInstance() {
        let status = build(makePod(["a"]), [instance("a", .exited(2), attempt: 0), instance("a", .exited(1), attempt: 1),
                                            instance("a", .running, attempt: 2)])
        let a = status.containerStatuses.first
        #expect(a?.restartCount == 2)
        #expect(a?.state?.running?.startedAt == Time(at(20)))
        #expect(a?.lastState?.terminated?.exitCode == 1)
        #expect(a?.lastState?.terminated?.reason == "Error")
        #expect(a?.lastState?.terminated?.containerID == "skiff://a-1")
        #expect(a?.lastState?.terminated?.finishedAt == Time(at(11)))
    }

    @Test func aContainerInBackOffShowsTheWaitingReasonAndItsLastExit() {
        let status = build(makePod(["a", "b"]), [instance("a", .running), instance("b", .exited(1), attempt: 1)],
                           waiting: ["b": backOff])
        let b = status.containerStatuses[1]
        #expect(b.state?.waiting == ContainerStateWaiting(reason: "CrashLoopBackOff", message: backOff.message))
        #expect(b.lastState?.terminated?.exitCode == 1)
        #expect(b.restartCount == 1)
        #expect(b.ready == false)
        #expect(status.phase == "Running")
        #expect(condition(status, "Ready")?.message == "containers with unready status: [b]")
    }

    @Test(arguments: [
        (nil, "ContainerCreating", nil),
        (WaitingReason(reason: "ErrImagePull", message: "Failed to pull image \"nope\""), "ErrImagePull", "Failed to pull image \"nope\""),
        (WaitingReason(reason: "CreateContainerConfigError", message: "configmap \"x\" not found"), "CreateContainerConfigError",
         "configmap \"x\" not found"),
    ] as [(WaitingReason?, String, String?)])
    func aContainerNotYetCreatedShowsWhyItWaits(reason: WaitingReason?, expectedReason: String, message: String?) {
        let status = build(makePod(["a"]), [], waiting: reason.map { ["a": $0] } ?? [:])
        #expect(status.containerStatuses.first?.state?.waiting == ContainerStateWaiting(reason: expectedReason, message: message))
        #expect(status.phase == "Pending")
    }

    @Test func aSucceededPodStaysSucceeded() {
        let pod = makePod(["a"], restartPolicy: "Never", phase: "Succeeded")
        let status = build(pod, [instance("a", .exited(1))], sandboxes: [sandbox("s1", .notReady)])
        #expect(status.phase == "Succeeded")
        #expect(condition(status, "Ready")?.status == "False")
        #expect(condition(status, "Ready")?.reason == "PodCompleted")
        #expect(condition(status, "ContainersReady")?.reason == "PodCompleted")
        #expect(condition(status, "PodReadyToStartContainers")?.status == "False")
    }

    @Test func aFailedPodStaysFailed() {
        let pod = makePod(["a"], restartPolicy: "Always", phase: "Failed")
        #expect(build(pod, [instance("a", .running)]).phase == "Failed")
    }

    @Test func thePodIPComesFromTheSandboxOrTheHost() {
        let stopped = build(makePod(["a"]), [], sandboxes: [sandbox("s1", .notReady, created: 0, ip: "10.244.0.7")])
        #expect(stopped.podIP == "10.244.0.7")
        let newest = build(makePod(["a"]), [], sandboxes: [sandbox("s1", .notReady, created: 0, ip: "10.244.0.7"),
                                                          sandbox("s2", .ready, created: 5, ip: "10.244.0.8")])
        #expect(newest.podIP == "10.244.0.8")

        var hostNetwork = makePod(["a"])
        hostNetwork.spec?.hostNetwork = true
        #expect(build(hostNetwork, [], sandboxes: [sandbox(ip: nil)]).podIP == "192.168.1.10")

        var known = makePod(["a"])
        known.status = PodStatus(podIP: "10.244.0.3")
        #expect(build(known, [], sandboxes: []).podIP == "10.244.0.3")
    }

    @Test(arguments: [
        ([nil, nil], "BestEffort"),
        ([ResourceRequirements(requests: ["cpu": "100m"]), nil], "Burstable"),
        ([ResourceRequirements(limits: ["cpu": "1", "memory": "1Gi"], requests: ["cpu": "500m", "memory": "1Gi"]), nil], "Burstable"),
        ([ResourceRequirements(limits: ["cpu": "1", "memory": "1Gi"]), ResourceRequirements(limits: ["cpu": "1"])], "Burstable"),
        ([ResourceRequirements(limits: ["cpu": "1", "memory": "1Gi"], requests: ["cpu": "1000m", "memory": "1024Mi"]),
          ResourceRequirements(limits: ["cpu": "200m", "memory": "64Mi"])], "Guaranteed"),
        ([ResourceRequirements(limits: ["cpu": "1", "memory": "1Gi"]), nil], "Burstable"),
    ] as [([ResourceRequirements?], String)])
    func qosClassFollowsRequestsAndLimits(resources: [ResourceRequirements?], expected: String) {
        let spec = PodSpec(containers: resources.enumerated().map { Container(name: "c\($0.offset)", resources: $0.element) })
        #expect(PodStatusBuilder.qosClass(spec) == expected)
    }

    @Test func theQOSClassIsSetOnceAndKept() {
        var pod = makePod(["a"])
        #expect(build(pod, []).qosClass == "BestEffort")
        pod.status = PodStatus(qosClass: "Guaranteed")
        #expect(build(pod, []).qosClass == "Guaranteed")
    }
}

extension UnitPodStatusBuilderTests {
    /// Kubernetes' GetPodQOS looks only at cpu and memory: a pod asking only for
    /// ephemeral-storage is BestEffort.
    @Test func onlyCPUAndMemoryDecideTheQOSClass() {
        let spec = PodSpec(containers: [Container(name: "a", resources: ResourceRequirements(requests: ["ephemeral-storage": "1Gi"]))])
        #expect(PodStatusBuilder.qosClass(spec) == "BestEffort")
    }
}
