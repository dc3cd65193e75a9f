/// Shared by the controllers' end-to-end suites: whether they can run here, and common waits.
import Foundation
import SkiffClient
import SkiffControllers
import SkiffTestSupport
import SkiffWire

/// Why the end-to-end controller tests are skipped here (printed once), or nil.
let clusterTestsUnavailable: String? = {
    let reason = TestNode.missingCapability
    if let reason { print("skipping controller end-to-end tests: \(reason)") }
    return reason
}()

extension TestCluster {
    /// Active (not finished, not deleting) pods controlled by the object with `uid`.
    func activePods(controlledBy uid: String?, namespace: String = "default") async throws -> [Pod] {
        try await pods(namespace: namespace).filter {
            OwnerRefs.controllerOf($0.metadata)?.uid == uid && PodState.isActive($0)
        }
    }

    /// Waits until `count` running, ready pods are controlled by the object with `uid`.
    @discardableResult
    func waitForReadyPods(_ count: Int, controlledBy uid: String?, namespace: String = "default",
                          timeout: Duration = .seconds(60)) async throws -> [Pod] {
        try await waitFor("\(count) ready pods of \(uid ?? "?")", timeout: timeout, {
            try await self.activePods(controlledBy: uid, namespace: namespace)
        }, until: { pods in
            pods.count == count && pods.allSatisfy { PodState.isReady($0) }
        })
    }
}

/// PIDs (as the host sees them) of the processes in a pod's containers whose command line starts
/// with `command`: found by the pod's cgroup (`.../pod<uid>/...`).
func hostProcesses(ofPod uid: String, command: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let cgroup = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8), cgroup.contains("pod\(uid)"),
              let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: cmdline, as: UTF8.self).hasPrefix(command)
    }
}
