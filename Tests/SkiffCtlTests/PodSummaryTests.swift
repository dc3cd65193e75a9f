/// PodSummary: READY, STATUS and RESTARTS as kubectl derives them from a pod.
import Foundation
import SkiffCtl
import SkiffWire
import Testing

@Suite struct PodSummaryTests {
    static func pod(phase: String = "Running", containers: [ContainerStatus], init initStatuses: [ContainerStatus] = [],
                    initCount: Int = 0, reason: String? = nil, deleting: Bool = false) -> Pod {
        Pod(metadata: ObjectMeta(name: "web", deletionTimestamp: deleting ? created : nil),
            spec: PodSpec(initContainers: (0..<initCount).map { Container(name: "init\($0)") },
                          containers: containers.map { Container(name: $0.name) }),
            status: PodStatus(phase: phase, reason: reason, initContainerStatuses: initStatuses,
                              containerStatuses: containers))
    }

    static func running(_ name: String, ready: Bool = true, restarts: Int32 = 0) -> ContainerStatus {
        ContainerStatus(name: name, state: ContainerState(running: ContainerStateRunning(startedAt: created)),
                        ready: ready, restartCount: restarts)
    }

    static func waiting(_ name: String, _ reason: String, restarts: Int32 = 0) -> ContainerStatus {
        ContainerStatus(name: name, state: ContainerState(waiting: ContainerStateWaiting(reason: reason)),
                        ready: false, restartCount: restarts)
    }

    static func terminated(_ name: String, exitCode: Int32, reason: String? = nil) -> ContainerStatus {
        ContainerStatus(name: name, state: ContainerState(terminated: ContainerStateTerminated(exitCode: exitCode, reason: reason)),
                        ready: false)
    }

    static let cases: [(Pod, String, String, Int32)] = [
        (pod(phase: "Pending", containers: []), "0/0", "Pending", 0),
        (pod(phase: "Pending", containers: [waiting("app", "ContainerCreating")]), "0/1", "ContainerCreating", 0),
        (pod(containers: [running("app"), running("sidecar", ready: false)]), "1/2", "Running", 0),
        (pod(containers: [running("app"), waiting("db", "CrashLoopBackOff", restarts: 4)]), "1/2", "CrashLoopBackOff", 4),
        (pod(phase: "Failed", containers: [terminated("app", exitCode: 1, reason: "Error")]), "0/1", "Error", 0),
        (pod(phase: "Failed", containers: [terminated("app", exitCode: 137)]), "0/1", "ExitCode:137", 0),
        (pod(phase: "Succeeded", containers: [terminated("app", exitCode: 0, reason: "Completed")]), "0/1", "Completed", 0),
        (pod(phase: "Failed", containers: [running("app")], reason: "Evicted"), "1/1", "Evicted", 0),
        (pod(phase: "Pending", containers: [waiting("app", "PodInitializing")],
             init: [terminated("init0", exitCode: 0), running("init1", ready: false)], initCount: 3),
         "0/1", "Init:1/3", 0),
        (pod(phase: "Pending", containers: [waiting("app", "PodInitializing")],
             init: [waiting("init0", "CrashLoopBackOff", restarts: 2)], initCount: 1),
         "0/1", "Init:CrashLoopBackOff", 2),
        (pod(phase: "Pending", containers: [], init: [terminated("init0", exitCode: 2)], initCount: 1),
         "0/0", "Init:ExitCode:2", 0),
        (pod(containers: [running("app")], deleting: true), "1/1", "Terminating", 0),
    ]

    @Test(arguments: cases)
    func summary(pod: Pod, ready: String, status: String, restarts: Int32) {
        let summary = PodSummary(pod)
        #expect(summary.ready == ready)
        #expect(summary.status == status)
        #expect(summary.restarts == restarts)
    }

    @Test func restartsShowWhenTheLastOneWas() {
        var status = Self.running("app", restarts: 3)
        status.lastState = ContainerState(terminated: ContainerStateTerminated(exitCode: 1, finishedAt: Time(seconds: created.seconds + 60)))
        let summary = PodSummary(Self.pod(containers: [status]))
        #expect(summary.restartsText(now: later(360)) == "3 (5m ago)")
        #expect(PodSummary(Self.pod(containers: [Self.running("app")])).restartsText(now: later(360)) == "0")
    }
}
