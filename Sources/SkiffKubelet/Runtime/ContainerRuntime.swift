/// ContainerRuntime: the kubelet's small CRI-like view of a container runtime. A pod is a
/// sandbox (its network, IPC and UTS namespaces, its IP) holding containers, each created from
/// a resolved image and started, stopped and removed by id. `RuncRuntime` drives runc through
/// OCI bundles; `FakeRuntime` keeps everything in memory for logic tests and scale runs.
///
/// Concurrency: implementations are Sendable and safe to call concurrently for different
/// pods; the kubelet never works on one pod from two tasks at once. Must never: lose track of
/// something it created (everything it made is listed until removed), or report a container
/// running that has exited.
import Foundation
import SkiffImages

public protocol ContainerRuntime: Sendable {
    /// A short name for Node.status.nodeInfo.containerRuntimeVersion, e.g. "runc://1.1.5".
    var version: String { get }

    func runPodSandbox(_ config: SandboxConfig) async throws -> RuntimeSandbox
    /// Releases the sandbox's network (its IP); idempotent.
    func stopPodSandbox(_ id: String) async throws
    /// Removes a stopped sandbox and everything the runtime made for it; idempotent.
    func removePodSandbox(_ id: String) async throws
    func listPodSandboxes() async throws -> [RuntimeSandbox]

    /// Creates (but does not start) a container in a sandbox; returns its id.
    func createContainer(in sandbox: RuntimeSandbox, _ config: ContainerConfig, image: Image) async throws -> String
    func startContainer(_ id: String) async throws
    /// SIGTERM, then SIGKILL once `gracePeriod` has passed; returns when it has exited.
    func stopContainer(_ id: String, gracePeriod: Duration) async throws
    /// Removes an exited container (its log stays); idempotent.
    func removeContainer(_ id: String) async throws
    func listContainers() async throws -> [RuntimeContainer]

    /// Runs a command inside a running container and returns its output once it exits.
    func exec(_ id: String, command: [String], stdin: [UInt8], timeout: Duration) async throws -> ExecResult
    /// CPU (cumulative nanoseconds) and memory (working set bytes) of a running container.
    func usage(_ id: String) async -> ContainerUsage?
    /// Why the runtime cannot run containers now (the node reports NotReady), or nil.
    func unhealthyReason() async -> String?
}

/// What the kubelet asks for when it starts a pod.
public struct SandboxConfig: Sendable, Equatable {
    public var podUID: String
    public var namespace: String
    public var name: String
    public var hostname: String
    public var hostNetwork: Bool
    /// The pod's /etc/resolv.conf, written into the sandbox and mounted into each container.
    public var resolvConf: String
    /// Extra /etc/hosts lines (hostAliases); the pod's own entry is added once its IP is known.
    public var hostAliases: [String]

    public init(podUID: String, namespace: String, name: String, hostname: String, hostNetwork: Bool = false,
                resolvConf: String = "", hostAliases: [String] = []) {
        self.podUID = podUID
        self.namespace = namespace
        self.name = name
        self.hostname = hostname
        self.hostNetwork = hostNetwork
        self.resolvConf = resolvConf
        self.hostAliases = hostAliases
    }
}

public struct RuntimeSandbox: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable { case ready, notReady }
    public var id: String
    public var podUID: String
    public var namespace: String
    public var name: String
    public var hostNetwork: Bool
    public var ip: String?
    public var state: State
    public var createdAt: Date
    /// Files the containers mount: /etc/hosts, /etc/resolv.conf, /etc/hostname.
    public var etcFiles: [String: String]
}

/// One container as the kubelet wants it run.
public struct ContainerConfig: Sendable, Equatable {
    public struct Mount: Sendable, Equatable, Codable {
        public var source: String
        public var destination: String
        public var readOnly: Bool
        public init(source: String, destination: String, readOnly: Bool = false) {
            self.source = source
            self.destination = destination
            self.readOnly = readOnly
        }
    }
    public var name: String
    /// 0 for the first instance, then one more per restart.
    public var attempt: Int
    /// The whole command line: image entrypoint/cmd already merged with command/args.
    public var argv: [String]
    public var environment: [String]
    public var workingDirectory: String
    public var mounts: [Mount]
    public var memoryLimitBytes: Int64?
    /// CPU limit in millicores (CFS quota), and the request (CPU shares).
    public var cpuLimitMillis: Int64?
    public var cpuRequestMillis: Int64?
    public var pidsLimit: Int64?
    public var logPath: String
    /// The hash of the container's spec: a changed spec restarts the container.
    public var specHash: String
    public var privileged: Bool

    public init(name: String, attempt: Int = 0, argv: [String], environment: [String] = [], workingDirectory: String = "/",
                mounts: [Mount] = [], memoryLimitBytes: Int64? = nil, cpuLimitMillis: Int64? = nil,
                cpuRequestMillis: Int64? = nil, pidsLimit: Int64? = nil, logPath: String, specHash: String = "",
                privileged: Bool = false) {
        self.name = name
        self.attempt = attempt
        self.argv = argv
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.mounts = mounts
        self.memoryLimitBytes = memoryLimitBytes
        self.cpuLimitMillis = cpuLimitMillis
        self.cpuRequestMillis = cpuRequestMillis
        self.pidsLimit = pidsLimit
        self.logPath = logPath
        self.specHash = specHash
        self.privileged = privileged
    }
}

public struct RuntimeContainer: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable { case created, running, exited }
    public var id: String
    public var sandboxID: String
    public var podUID: String
    public var name: String
    public var attempt: Int
    public var image: String
    public var imageID: String
    public var specHash: String
    public var state: State
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var exitCode: Int32?
    /// OOMKilled, Error or Completed once exited.
    public var reason: String?
    public var logPath: String
}

public struct ExecResult: Sendable, Equatable {
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    public var exitCode: Int32
    public init(stdout: [UInt8], stderr: [UInt8], exitCode: Int32) {
        self.stdout = stdout
        self.stderr = stderr
        self.exitCode = exitCode
    }
}

public struct ContainerUsage: Sendable, Equatable {
    public var cpuNanoseconds: UInt64
    public var memoryWorkingSetBytes: UInt64
}

/// A failure of the runtime, worded for the pod's status and events.
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
