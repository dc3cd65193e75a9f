/// FakeRuntime: an in-memory ContainerRuntime for logic tests and scale runs (`skiff-kubelet
/// --runtime fake`): sandboxes get addresses from a counter, containers "run" until a test
/// says they exited (or, with `autoExit`, exit at once with a given code). It records every
/// call so that tests can compare the actions taken with the ones expected.
///
/// Concurrency: Sendable, one lock around its state. Must never: block.
import Foundation
import SkiffImages
import Synchronization

public final class FakeRuntime: ContainerRuntime {
    public enum Call: Sendable, Equatable {
        case runPodSandbox(pod: String)
        case stopPodSandbox(String)
        case removePodSandbox(String)
        case createContainer(pod: String, name: String, attempt: Int)
        case startContainer(String)
        case stopContainer(String)
        case removeContainer(String)
        case exec(String, [String])
    }

    private struct State {
        var sandboxes: [String: RuntimeSandbox] = [:]
        var containers: [String: RuntimeContainer] = [:]
        var calls: [Call] = []
        var nextID = 0
        var nextAddress = 2
        var failStart: [String: String] = [:]
        var exitOnStart: [String: Int32] = [:]
    }

    public let version = "fake://1.0"
    private let state = Mutex(State())
    private let subnetPrefix: String

    /// - Parameter subnetPrefix: the first three octets of the addresses handed out.
    public init(subnetPrefix: String = "10.244.0") {
        self.subnetPrefix = subnetPrefix
    }

    public var calls: [Call] { state.withLock { $0.calls } }

    /// Containers named `name` fail to start with this message.
    public func failStart(container name: String, message: String) { state.withLock { $0.failStart[name] = message } }

    /// Containers named `name` exit with `code` as soon as they start.
    public func exitOnStart(container name: String, code: Int32) { state.withLock { $0.exitOnStart[name] = code } }

    /// Makes a running container exit now.
    public func exit(_ id: String, code: Int32, reason: String? = nil) {
        state.withLock { state in
            guard var container = state.containers[id], container.state == .running else { return }
            Self.finish(&container, code: code, reason: reason)
            state.containers[id] = container
        }
    }

    public func runPodSandbox(_ config: SandboxConfig) async throws -> RuntimeSandbox {
        state.withLock { state in
            state.nextID += 1
            let id = "sandbox-\(state.nextID)"
            var ip: String? = nil
            if !config.hostNetwork {
                ip = "\(subnetPrefix).\(state.nextAddress)"
                state.nextAddress += 1
            }
            let sandbox = RuntimeSandbox(id: id, podUID: config.podUID, namespace: config.namespace, name: config.name,
                                         hostNetwork: config.hostNetwork, ip: ip, state: .ready, createdAt: Date(), etcFiles: [:])
            state.sandboxes[id] = sandbox
            state.calls.append(.runPodSandbox(pod: "\(config.namespace)/\(config.name)"))
            return sandbox
        }
    }

    public func stopPodSandbox(_ id: String) async throws {
        state.withLock { state in
            state.sandboxes[id]?.state = .notReady
            state.calls.append(.stopPodSandbox(id))
        }
    }

    public func removePodSandbox(_ id: String) async throws {
        state.withLock { state in
            state.sandboxes[id] = nil
            state.calls.append(.removePodSandbox(id))
        }
    }

    public func listPodSandboxes() async throws -> [RuntimeSandbox] {
        state.withLock { Array($0.sandboxes.values) }
    }

    public func createContainer(in sandbox: RuntimeSandbox, _ config: ContainerConfig, image: Image) async throws -> String {
        state.withLock { state in
            state.nextID += 1
            let id = "container-\(state.nextID)"
            state.containers[id] = RuntimeContainer(id: id, sandboxID: sandbox.id, podUID: sandbox.podUID, name: config.name,
                                                    attempt: config.attempt, image: image.reference, imageID: image.id,
                                                    specHash: config.specHash, state: .created, createdAt: Date(),
                                                    startedAt: nil, finishedAt: nil, exitCode: nil, reason: nil,
                                                    logPath: config.logPath)
            state.calls.append(.createContainer(pod: "\(sandbox.namespace)/\(sandbox.name)", name: config.name,
                                                attempt: config.attempt))
            return id
        }
    }

    public func startContainer(_ id: String) async throws {
        try state.withLock { state in
            state.calls.append(.startContainer(id))
            guard var container = state.containers[id] else { throw RuntimeError("container \(id) not found") }
            if let message = state.failStart[container.name] { throw RuntimeError(message) }
            container.state = .running
            container.startedAt = Date()
            if let code = state.exitOnStart[container.name] { Self.finish(&container, code: code, reason: nil) }
            state.containers[id] = container
        }
    }

    public func stopContainer(_ id: String, gracePeriod: Duration) async throws {
        state.withLock { state in
            state.calls.append(.stopContainer(id))
            guard var container = state.containers[id], container.state != .exited else { return }
            Self.finish(&container, code: 137, reason: "Error")
            state.containers[id] = container
        }
    }

    public func removeContainer(_ id: String) async throws {
        state.withLock { state in
            state.containers[id] = nil
            state.calls.append(.removeContainer(id))
        }
    }

    public func listContainers() async throws -> [RuntimeContainer] {
        state.withLock { Array($0.containers.values) }
    }

    public func exec(_ id: String, command: [String], stdin: [UInt8], timeout: Duration) async throws -> ExecResult {
        try state.withLock { state in
            state.calls.append(.exec(id, command))
            guard state.containers[id]?.state == .running else { throw RuntimeError("container \(id) is not running") }
            return ExecResult(stdout: Array(command.joined(separator: " ").utf8), stderr: [], exitCode: 0)
        }
    }

    public func unhealthyReason() async -> String? { nil }

    public func usage(_ id: String) async -> ContainerUsage? {
        state.withLock { $0.containers[id]?.state == .running ? ContainerUsage(cpuNanoseconds: 0, memoryWorkingSetBytes: 0) : nil }
    }

    private static func finish(_ container: inout RuntimeContainer, code: Int32, reason: String?) {
        container.state = .exited
        container.exitCode = code
        container.finishedAt = Date()
        container.reason = reason ?? (code == 0 ? "Completed" : "Error")
    }
}
