/// TestNode: one cluster node for end-to-end tests: a network namespace of its own (no
/// default route, so nothing a pod sends can leave the machine), a real skiff-kubelet in it
/// (started through nsenter, so it shares the host's mount namespace and its mounts can be
/// seen and removed), and its data directory. `teardown()` removes every container, sandbox,
/// mount, cgroup and the namespace itself.
///
/// Concurrency: used from one test task. Must never: leave a namespace, mount, cgroup or
/// process behind (callers `defer { await node.teardown() }`).
import Foundation
import SkiffClient
import SkiffWire

public final class TestNode: @unchecked Sendable {
    public let name: String
    public let podCIDR: String
    public let networkNamespace: String
    public let dataDirectory: String
    public let imageDirectory: String
    public let plane: ControlPlane
    public private(set) var kubelet: ChildProcess?
    private var extraArguments: [String] = []

    /// Why end-to-end node tests cannot run here, or nil when they can.
    public static var missingCapability: String? {
        if getuid() != 0 { return "needs root (network namespaces, mounts, cgroups)" }
        for tool in ["/usr/sbin/runc", "/usr/lib/cni/bridge", "/usr/lib/cni/host-local", "/bin/busybox", "/usr/bin/nsenter"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is missing (scripts/install-deps installs it)"
        }
        return nil
    }

    /// Creates the node's network namespace; `podCIDR` must lie in 10.244.0.0/16.
    public init(plane: ControlPlane, name: String = "node-1", podCIDR: String = "10.244.1.0/24") throws {
        self.plane = plane
        self.name = name
        self.podCIDR = podCIDR
        networkNamespace = "skiff-test-\(UUID().uuidString.prefix(8).lowercased())"
        dataDirectory = plane.directory + "/kubelet-\(name)"
        imageDirectory = plane.directory + "/images"
        try Self.run("/sbin/ip", ["netns", "add", networkNamespace])
        try Self.run("/sbin/ip", ["-n", networkNamespace, "link", "set", "lo", "up"])
    }

    /// Starts the kubelet and waits until its Node is Ready.
    public func startKubelet(_ arguments: [String] = []) async throws {
        if !arguments.isEmpty { extraArguments = arguments }
        let kubelet = try ChildProcess(path: "/usr/bin/nsenter", name: "skiff-kubelet",
                                       ["--net=/run/netns/\(networkNamespace)", "--", try Products.path(of: "skiff-kubelet")]
                                       + baseArguments + ["--crash-loop-backoff-seconds", "1", "--crash-loop-backoff-max-seconds", "4",
                                                          "--status-seconds", "2"] + extraArguments)
        self.kubelet = kubelet
        let client = try plane.newClient()
        defer { Task { await client.close() } }
        let ready = await eventually(timeout: .seconds(60), interval: .milliseconds(100)) {
            guard kubelet.isRunning else { return true }
            let node = try? await client.get(Node.self, name: self.name)
            return node?.status?.conditions.contains { $0.type == "Ready" && $0.status == "True" } == true
        }
        guard ready, kubelet.isRunning else {
            throw HarnessError("skiff-kubelet did not become ready: \(kubelet.stderr)")
        }
    }

    var baseArguments: [String] {
        ["--node-name", name, "--run-dir", plane.runDirectory, "--data-dir", dataDirectory, "--image-dir", imageDirectory,
         "--pod-cidr", podCIDR, "--cluster-cidr", "10.244.0.0/16", "--cluster-cidr", "10.96.0.0/16", "--cpu", "4", "--memory", "8Gi"]
    }

    /// kill -9 of the kubelet (its containers keep running).
    public func crashKubelet() async {
        kubelet?.crash()
        _ = await kubelet?.exitStatus(within: .seconds(10))
        await kubelet?.stop()
        kubelet = nil
    }

    public func stopKubelet() async {
        await kubelet?.stop()
        kubelet = nil
    }

    /// Runs a command in the node's network namespace; its standard output.
    @discardableResult
    public func inNamespace(_ command: [String]) throws -> String {
        try Self.run("/sbin/ip", ["netns", "exec", networkNamespace] + command)
    }

    public func teardown() async {
        await stopKubelet()
        let teardown = try? ChildProcess(path: "/usr/bin/nsenter", name: "skiff-kubelet-teardown",
                                         ["--net=/run/netns/\(networkNamespace)", "--", try Products.path(of: "skiff-kubelet"),
                                          "--teardown"] + baseArguments)
        _ = await teardown?.exitStatus(within: .seconds(60))
        await teardown?.stop()
        _ = try? Self.run("/sbin/ip", ["netns", "del", networkNamespace])
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    /// Runs a host program to its end; its standard output, or an error carrying its stderr.
    @discardableResult
    public static func run(_ path: String, _ arguments: [String]) throws -> String {
        try Program.check(path, arguments)
    }
}
