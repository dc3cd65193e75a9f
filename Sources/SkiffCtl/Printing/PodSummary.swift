/// PodSummary: the READY, STATUS and RESTARTS a pod shows in `get pods`, derived as kubectl
/// derives them: the phase, overridden by the pod's reason, then by the first init container
/// still working (`Init:1/2`, `Init:CrashLoopBackOff`), else by the last container that is
/// waiting or terminated with a reason (`ContainerCreating`, `CrashLoopBackOff`, `Error`);
/// `Terminating` once deletion has begun.
///
/// Concurrency: pure functions.
import Foundation
import SkiffWire

public struct PodSummary: Sendable, Equatable {
    /// "1/2": containers running and ready, of those the spec declares.
    public var ready: String
    public var status: String
    public var restarts: Int32
    /// When the most recently restarted container last stopped: RESTARTS shows "3 (5m ago)".
    public var lastRestart: Time?

    public init(_ pod: Pod) {
        let status = pod.status ?? PodStatus()
        let spec = pod.spec ?? PodSpec()
        var reason = status.phase ?? ""
        if let podReason = status.reason, !podReason.isEmpty { reason = podReason }
        var restarts: Int32 = 0
        var lastRestart: Time?
        func noteRestarts(_ container: ContainerStatus) {
            restarts += container.restartCount ?? 0
            if let finished = container.lastState?.terminated?.finishedAt, lastRestart.map({ finished > $0 }) ?? true {
                lastRestart = finished
            }
        }

        var initializing = false
        for (index, container) in status.initContainerStatuses.enumerated() {
            noteRestarts(container)
            let state = container.state ?? ContainerState()
            if let terminated = state.terminated, terminated.exitCode ?? 0 == 0 { continue }
            if Self.isSidecar(container.name, in: spec), container.started == true { continue }
            if let terminated = state.terminated {
                if let why = terminated.reason, !why.isEmpty {
                    reason = "Init:" + why
                } else if let signal = terminated.signal, signal != 0 {
                    reason = "Init:Signal:\(signal)"
                } else {
                    reason = "Init:ExitCode:\(terminated.exitCode ?? 0)"
                }
            } else if let why = state.waiting?.reason, !why.isEmpty, why != "PodInitializing" {
                reason = "Init:" + why
            } else {
                reason = "Init:\(index)/\(spec.initContainers.count)"
            }
            initializing = true
            break
        }

        var readyCount = 0
        if !initializing {
            restarts = 0
            lastRestart = nil
            var anyRunning = false
            for container in status.containerStatuses.reversed() {
                noteRestarts(container)
                let state = container.state ?? ContainerState()
                if let why = state.waiting?.reason, !why.isEmpty {
                    reason = why
                } else if let terminated = state.terminated, let why = terminated.reason, !why.isEmpty {
                    reason = why
                } else if let terminated = state.terminated {
                    if let signal = terminated.signal, signal != 0 {
                        reason = "Signal:\(signal)"
                    } else {
                        reason = "ExitCode:\(terminated.exitCode ?? 0)"
                    }
                } else if container.ready == true, state.running != nil {
                    anyRunning = true
                    readyCount += 1
                }
            }
            // A pod whose sidecar keeps running after the main containers completed.
            if reason == "Completed", anyRunning {
                let podReady = status.conditions.contains { $0.type == "Ready" && $0.status == "True" }
                reason = podReady ? "Running" : "NotReady"
            }
        }

        if pod.metadata?.deletionTimestamp != nil {
            reason = status.reason == "NodeLost" ? "Unknown" : "Terminating"
        }
        self.ready = "\(readyCount)/\(spec.containers.count)"
        self.status = reason.isEmpty ? "Unknown" : reason
        self.restarts = restarts
        self.lastRestart = lastRestart
    }

    /// The RESTARTS cell: "0", or "3 (5m ago)" when the last restart's time is known.
    public func restartsText(now: Date) -> String {
        guard restarts > 0, let lastRestart else { return "\(restarts)" }
        return "\(restarts) (\(Age.since(lastRestart, now: now)) ago)"
    }

    private static func isSidecar(_ name: String?, in spec: PodSpec) -> Bool {
        spec.initContainers.contains { $0.name == name && $0.restartPolicy == "Always" }
    }
}
