/// PodStatusBuilder: a pod's status as the kubelet reports it, from what the runtime shows and
/// what the planner decided (kubelet's generateAPIPodStatus and getPhase): phase, the
/// PodReadyToStartContainers, Initialized, ContainersReady and Ready conditions (PodScheduled
/// is the scheduler's and kept), podIP(s), hostIP(s), startTime, and per container its state,
/// lastState, ready, started, restartCount, image and containerID.
///
/// Concurrency: pure. Must never: move a pod out of Succeeded or Failed, or change a
/// condition's lastTransitionTime when its status did not change.
import Foundation
import SkiffWire

struct PodStatusInputs: Sendable {
    var pod: Pod
    var view: PodRuntimeView
    var waiting: [String: WaitingReason]
    /// Containers whose readiness probe currently fails (or has not yet succeeded).
    var notReady: Set<String> = []
    /// Containers whose startup probe has not yet succeeded.
    var notStarted: Set<String> = []
    var hostIP: String?
    var now: Date
}

enum PodStatusBuilder {
    static let runtimeScheme = "skiff://"

    static func build(_ input: PodStatusInputs) -> PodStatus {
        let pod = input.pod
        let spec = pod.spec ?? PodSpec()
        let old = pod.status ?? PodStatus()
        var status = PodStatus()
        status.observedGeneration = pod.metadata?.generation
        status.nominatedNodeName = old.nominatedNodeName
        status.qosClass = old.qosClass ?? qosClass(spec)
        status.startTime = old.startTime ?? Time(input.now)
        status.hostIP = input.hostIP
        status.hostIPs = input.hostIP.map { [HostIP(ip: $0)] } ?? []
        let sandbox = input.view.readySandbox ?? input.view.sandboxes.max { $0.createdAt < $1.createdAt }
        let ip = spec.hostNetwork == true ? input.hostIP : sandbox?.ip
        status.podIP = ip ?? old.podIP
        status.podIPs = status.podIP.map { [PodIP(ip: $0)] } ?? []

        status.initContainerStatuses = spec.initContainers.map { container in
            containerStatus(container, input: input, ready: false)
        }
        status.containerStatuses = spec.containers.map { container in
            let name = container.name ?? ""
            return containerStatus(container, input: input, ready: !input.notReady.contains(name))
        }
        let initialized = zip(spec.initContainers, status.initContainerStatuses).allSatisfy { $0.1.state?.terminated?.exitCode == 0 }
        if old.phase == "Succeeded" || old.phase == "Failed" {
            status.phase = old.phase
        } else {
            status.phase = phase(spec: spec, initStatuses: status.initContainerStatuses, statuses: status.containerStatuses,
                                 initialized: initialized)
        }
        let terminal = status.phase == "Succeeded" || status.phase == "Failed"

        var conditions: [PodCondition] = []
        if let scheduled = old.conditions.first(where: { $0.type == "PodScheduled" }) { conditions.append(scheduled) }
        conditions.append(condition("PodReadyToStartContainers", input.view.readySandbox != nil && !terminal))
        let pendingInit = zip(spec.initContainers, status.initContainerStatuses)
            .filter { $0.1.state?.terminated?.exitCode != 0 }.map { $0.0.name ?? "" }
        conditions.append(initialized ? condition("Initialized", true) :
            condition("Initialized", false, reason: "ContainersNotInitialized",
                      message: "containers with incomplete status: [\(pendingInit.joined(separator: " "))]"))
        let unready = status.containerStatuses.filter { $0.ready != true }.map { $0.name ?? "" }
        if terminal && status.phase == "Succeeded" {
            conditions.append(condition("ContainersReady", false, reason: "PodCompleted"))
            conditions.append(condition("Ready", false, reason: "PodCompleted"))
        } else if unready.isEmpty && !spec.containers.isEmpty {
            conditions.append(condition("ContainersReady", true))
            conditions.append(condition("Ready", true))
        } else {
            let message = "containers with unready status: [\(unready.joined(separator: " "))]"
            conditions.append(condition("ContainersReady", false, reason: "ContainersNotReady", message: message))
            conditions.append(condition("Ready", false, reason: "ContainersNotReady", message: message))
        }
        status.conditions = conditions.map { keepTransitionTime($0, old: old.conditions, now: input.now) }
        return status
    }

    static func containerStatus(_ container: Container, input: PodStatusInputs, ready: Bool) -> ContainerStatus {
        let name = container.name ?? ""
        let instances = input.view.instances(name)
        var status = ContainerStatus(name: name, ready: false, restartCount: 0, image: container.image ?? "",
                                     imageID: "", started: false)
        guard let latest = instances.first else {
            let waiting = input.waiting[name] ?? WaitingReason(reason: "ContainerCreating", message: "")
            status.state = ContainerState(waiting: ContainerStateWaiting(reason: waiting.reason,
                                                                         message: waiting.message.isEmpty ? nil : waiting.message))
            return status
        }
        status.restartCount = Int32(latest.attempt)
        status.imageID = latest.imageID
        status.image = latest.image
        status.containerID = runtimeScheme + latest.id
        if instances.count > 1 { status.lastState = ContainerState(terminated: terminated(instances[1])) }
        switch latest.state {
        case .running:
            status.state = ContainerState(running: ContainerStateRunning(startedAt: latest.startedAt.map(Time.init)))
            status.started = !input.notStarted.contains(name)
            status.ready = ready && status.started == true
        case .exited:
            if let waiting = input.waiting[name] {
                status.state = ContainerState(waiting: ContainerStateWaiting(reason: waiting.reason, message: waiting.message))
                status.lastState = ContainerState(terminated: terminated(latest))
            } else {
                status.state = ContainerState(terminated: terminated(latest))
            }
        case .created:
            let waiting = input.waiting[name] ?? WaitingReason(reason: "ContainerCreating", message: "")
            status.state = ContainerState(waiting: ContainerStateWaiting(reason: waiting.reason,
                                                                         message: waiting.message.isEmpty ? nil : waiting.message))
        }
        if latest.state != .running, let waiting = input.waiting[name], latest.state != .exited {
            status.state = ContainerState(waiting: ContainerStateWaiting(reason: waiting.reason, message: waiting.message))
        }
        return status
    }

    static func terminated(_ container: RuntimeContainer) -> ContainerStateTerminated {
        let code = container.exitCode ?? 0
        return ContainerStateTerminated(exitCode: code, signal: code > 128 ? code - 128 : nil, reason: container.reason,
                                        startedAt: container.startedAt.map(Time.init),
                                        finishedAt: container.finishedAt.map(Time.init),
                                        containerID: runtimeScheme + container.id)
    }

    /// Kubernetes' getPhase.
    static func phase(spec: PodSpec, initStatuses: [ContainerStatus], statuses: [ContainerStatus], initialized: Bool) -> String {
        let policy = spec.restartPolicy ?? "Always"
        if !initialized {
            // A failed init container under Never fails the pod; otherwise it is still starting.
            let failed = initStatuses.contains { ($0.state?.terminated?.exitCode ?? 0) != 0 }
            return failed && policy == "Never" ? "Failed" : "Pending"
        }
        var waiting = 0, running = 0, stopped = 0, succeeded = 0
        for status in statuses {
            if status.state?.running != nil {
                running += 1
            } else if let terminated = status.state?.terminated {
                stopped += 1
                if terminated.exitCode == 0 { succeeded += 1 }
            } else if status.lastState?.terminated != nil {
                stopped += 1
            } else {
                waiting += 1
            }
        }
        if waiting > 0 { return "Pending" }
        if running > 0 { return "Running" }
        if stopped > 0 {
            if policy == "Always" { return "Running" }
            if stopped == succeeded { return "Succeeded" }
            if policy == "Never" { return "Failed" }
            return "Running"
        }
        return "Pending"
    }

    /// Guaranteed when every container has limits equal to requests for cpu and memory,
    /// BestEffort when none has any, Burstable otherwise.
    static func qosClass(_ spec: PodSpec) -> String {
        let containers = spec.initContainers + spec.containers
        let any = containers.contains { container in
            ["cpu", "memory"].contains { container.resources?.requests[$0] != nil || container.resources?.limits[$0] != nil }
        }
        if !any { return "BestEffort" }
        let guaranteed = containers.allSatisfy { container in
            let limits = container.resources?.limits ?? [:]
            let requests = container.resources?.requests ?? [:]
            return ["cpu", "memory"].allSatisfy { name in
                guard let limit = limits[name] else { return false }
                return (requests[name] ?? limit).milliValue == limit.milliValue
            }
        }
        return guaranteed ? "Guaranteed" : "Burstable"
    }

    static func condition(_ type: String, _ value: Bool, reason: String? = nil, message: String? = nil) -> PodCondition {
        PodCondition(type: type, status: value ? "True" : "False", reason: reason, message: message)
    }

    static func keepTransitionTime(_ condition: PodCondition, old: [PodCondition], now: Date) -> PodCondition {
        var condition = condition
        if let previous = old.first(where: { $0.type == condition.type }), previous.status == condition.status {
            condition.lastTransitionTime = previous.lastTransitionTime ?? Time(now)
        } else if condition.lastTransitionTime == nil {
            condition.lastTransitionTime = Time(now)
        }
        return condition
    }
}
