/// TestCluster: a whole cluster for controller end-to-end tests: a real store and apiserver, the
/// scheduler, nodes (each a kubelet in its own network namespace, with runc or the fake
/// runtime) and any controllers, each its own `skiff-controller NAME` process as in production.
/// skiffctl runs as a user runs it.
///
/// Concurrency: used from one test task. Must never: leave a process, namespace or directory
/// behind; `withCluster` tears everything down on every path.
import Foundation
import SkiffClient
import SkiffWire

public final class TestCluster: @unchecked Sendable {
    public let plane: ControlPlane
    public private(set) var nodes: [TestNode] = []
    public private(set) var scheduler: ChildProcess?
    /// Running controller processes by controller name.
    public private(set) var controllers: [String: [ChildProcess]] = [:]
    public var client: APIClient { plane.client! }
    public var directory: String { plane.directory }

    public init(plane: ControlPlane) { self.plane = plane }

    /// Adds a node named node-N with pod range 10.244.N.0/24 and waits until it is Ready.
    /// `fakeRuntime` runs pods in memory (Running and Ready at once), for tests about controllers
    /// rather than containers.
    @discardableResult
    public func addNode(fakeRuntime: Bool = false, arguments: [String] = []) async throws -> TestNode {
        let index = nodes.count + 1
        let node = try TestNode(plane: plane, name: "node-\(index)", podCIDR: "10.244.\(index).0/24")
        nodes.append(node)
        try await node.startKubelet((fakeRuntime ? ["--runtime", "fake"] : []) + arguments)
        return node
    }

    public func startScheduler() throws {
        scheduler = try ChildProcess("skiff-scheduler", ["--run-dir", plane.runDirectory])
    }

    /// Starts one more process of controller `name` (short leases, so handoffs happen within
    /// a test's patience). Returns once it is running; it reconciles once its caches sync.
    @discardableResult
    public func startController(_ name: String, arguments: [String] = []) throws -> ChildProcess {
        let process = try ChildProcess("skiff-controller", [name, "--run-dir", plane.runDirectory, "--lease-seconds", "3"]
                                       + arguments)
        controllers[name, default: []].append(process)
        return process
    }

    /// kill -9 of one process of controller `name`.
    public func crashController(_ name: String, index: Int = 0) async {
        guard let process = controllers[name]?[index] else { return }
        process.crash()
        _ = await process.exitStatus(within: .seconds(10))
        await process.stop()
        controllers[name]?.remove(at: index)
    }

    /// Writes a manifest and applies it with skiffctl; throws with skiffctl's error if it fails.
    public func apply(_ yaml: String) async throws {
        let path = "\(directory)/manifest-\(UUID().uuidString.prefix(8)).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await skiffctl(["apply", "-f", path])
        guard result.status == 0 else { throw HarnessError("skiffctl apply failed: \(result.stderr)") }
    }

    /// Runs skiffctl against this cluster.
    public func skiffctl(_ arguments: [String]) async throws -> (status: Int32?, stdout: String, stderr: String) {
        var full = arguments
        full.insert(contentsOf: ["--run-dir", plane.runDirectory], at: arguments.firstIndex(of: "--") ?? arguments.endIndex)
        let child = try ChildProcess("skiffctl", full,
                                     environment: ["SKIFF_IMAGE_DIR": nodes.first?.imageDirectory ?? directory + "/images"])
        let status = await child.exitStatus(within: .seconds(60))
        let result = (status, child.stdout, child.stderr)
        await child.stop()
        return result
    }

    /// Waits until `condition` holds, or throws with `what` and the last value seen.
    @discardableResult
    public func waitFor<T: Sendable>(_ what: String, timeout: Duration = .seconds(60),
                                     _ read: @escaping @Sendable () async throws -> T,
                                     until condition: @escaping @Sendable (T) -> Bool) async throws -> T {
        let last = LastValue<T>()
        let held = await eventually(timeout: timeout, interval: .milliseconds(100)) {
            guard let value = try? await read() else { return false }
            last.value = value
            return condition(value)
        }
        guard held, let value = last.value else {
            throw HarnessError("never \(what); last seen: \(last.value.map { "\($0)" } ?? "nothing")\n\(diagnostics())")
        }
        return value
    }

    /// The pods of namespace `namespace` matching `selector` (label selector text).
    public func pods(_ selector: String? = nil, namespace: String = "default") async throws -> [Pod] {
        try await client.list(Pod.self, namespace: namespace, labelSelector: selector).items
    }

    /// The last lines every component wrote, for a failure's message.
    public func diagnostics() -> String {
        var lines: [String] = []
        for (name, processes) in controllers.sorted(by: { $0.key < $1.key }) {
            for process in processes { lines.append("controller \(name) [\(process.pid)]: \(process.stderr.suffix(1500))") }
        }
        if let scheduler { lines.append("scheduler: \(scheduler.stderr.suffix(800))") }
        for node in nodes { lines.append("kubelet \(node.name): \(node.kubelet?.stderr.suffix(800) ?? "stopped")") }
        return lines.joined(separator: "\n")
    }

    public func stop() async {
        for processes in controllers.values { for process in processes { await process.stop() } }
        controllers = [:]
        await scheduler?.stop()
        for node in nodes { await node.teardown() }
        nodes = []
        await plane.stop()
    }
}

/// Runs `body` against a new cluster (control plane, plus a scheduler unless told otherwise);
/// tears it all down on every path.
public func withCluster(scheduler: Bool = true, _ body: (TestCluster) async throws -> Void) async throws {
    let cluster = TestCluster(plane: try ControlPlane())
    do {
        try await cluster.plane.start()
        if scheduler { try cluster.startScheduler() }
        try await body(cluster)
    } catch {
        await cluster.stop()
        throw error
    }
    await cluster.stop()
}

private final class LastValue<T>: @unchecked Sendable {
    var value: T?
}
