/// Test support for the kubelet's end-to-end suites: a real control plane and one real node
/// (a kubelet with runc in its own network namespace) per test, skiffctl as a user runs it,
/// and waits on pod state with deadlines.
import Foundation
import SkiffClient
import SkiffTestSupport
import SkiffWire
import Testing

/// Why the end-to-end node tests are skipped here (printed), or nil.
let nodeTestsUnavailable: String? = {
    let reason = TestNode.missingCapability
    if let reason { print("skipping kubelet end-to-end tests: \(reason)") }
    return reason
}()

struct Cluster {
    let plane: ControlPlane
    let node: TestNode
    let client: APIClient
    let directory: String

    /// Writes a manifest and applies it with skiffctl; fails the test if skiffctl does.
    func apply(_ yaml: String) async throws {
        let path = "\(directory)/manifest-\(UUID().uuidString.prefix(8)).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await skiffctl(["apply", "-f", path])
        guard result.status == 0 else { throw HarnessError("skiffctl apply failed: \(result.stderr)") }
    }

    /// Runs skiffctl against this cluster: `arguments[0]` is the subcommand.
    func skiffctl(_ arguments: [String]) async throws -> (status: Int32?, stdout: String, stderr: String) {
        // `image` works on the machine's store, not the API: it takes no --run-dir.
        let global = arguments.first == "image" ? [] : ["--run-dir", plane.runDirectory]
        // Global options go last, or before `--` (after it everything is the command's).
        var full = arguments
        full.insert(contentsOf: global, at: arguments.firstIndex(of: "--") ?? arguments.endIndex)
        let child = try ChildProcess("skiffctl", full, environment: ["SKIFF_IMAGE_DIR": node.imageDirectory])
        let status = await child.exitStatus(within: .seconds(60))
        let result = (status, child.stdout, child.stderr)
        await child.stop()
        return result
    }

    func pod(_ name: String) async throws -> Pod {
        try await client.get(Pod.self, name: name, namespace: "default")
    }

    /// Waits until the pod satisfies `condition`; fails with the pod's last status if not.
    @discardableResult
    func waitForPod(_ name: String, timeout: Duration = .seconds(60), _ what: String,
                    _ condition: @escaping @Sendable (Pod) -> Bool) async throws -> Pod {
        let client = self.client
        let held = await eventually(timeout: timeout, interval: .milliseconds(100)) {
            guard let pod = try? await client.get(Pod.self, name: name, namespace: "default") else { return false }
            return condition(pod)
        }
        let pod = try? await self.pod(name)
        guard held, let pod else {
            throw HarnessError("pod \(name) never became \(what); last status: \(String(describing: pod?.status))\nkubelet: \(node.kubelet?.stderr.suffix(2000) ?? "")")
        }
        return pod
    }

    func waitRunning(_ name: String) async throws -> Pod {
        try await waitForPod(name, "Running and ready") { pod in
            pod.status?.phase == "Running" && pod.status?.conditions.contains { $0.type == "Ready" && $0.status == "True" } == true
        }
    }

    func containerStatus(_ pod: Pod, _ name: String? = nil) -> ContainerStatus? {
        pod.status?.containerStatuses.first { name == nil || $0.name == name }
    }
}

/// Runs `body` against a fresh control plane and one node; removes everything on every path.
/// With `scheduler`, a real skiff-scheduler runs too.
func withNode(kubeletArguments: [String] = [], scheduler: Bool = false, _ body: (Cluster) async throws -> Void) async throws {
    let plane = try ControlPlane()
    var node: TestNode?
    var schedulerProcess: ChildProcess?
    do {
        try await plane.start()
        let started = try TestNode(plane: plane)
        node = started
        try await started.startKubelet(kubeletArguments)
        if scheduler { schedulerProcess = try ChildProcess("skiff-scheduler", ["--run-dir", plane.runDirectory]) }
        try await body(Cluster(plane: plane, node: started, client: plane.client!, directory: plane.directory))
    } catch {
        await schedulerProcess?.stop()
        await node?.teardown()
        await plane.stop()
        throw error
    }
    await schedulerProcess?.stop()
    await node?.teardown()
    await plane.stop()
}

extension Pod {
    var restartCount: Int32 { status?.containerStatuses.first?.restartCount ?? 0 }
}
