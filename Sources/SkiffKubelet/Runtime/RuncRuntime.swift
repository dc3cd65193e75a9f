/// RuncRuntime: ContainerRuntime over Debian's runc, with no daemon in between.
/// - A sandbox is three persistent namespaces (network, IPC, UTS) bound to files by `unshare`
///   (no pause process to run), attached to the pod network by CNI, plus the pod's
///   /etc/hosts, /etc/resolv.conf and /etc/hostname.
/// - A container is an OCI bundle: an overlayfs root (the image read-only below, the
///   container's own layer above) and a generated config.json joining the sandbox's namespaces
///   by path, with its own PID and mount namespaces and cgroup limits.
/// - `skiff-shim` starts it and stays beside it: it keeps the log, reaps it and writes its exit
///   status (and whether the OOM killer ended it) to a file, so nothing is lost when the
///   kubelet restarts; the kubelet reads state from files and /proc, never from a daemon.
///
/// Layout under the data directory: sandboxes/ID/{sandbox.json,net,ipc,uts,hosts,...},
/// containers/ID/{container.json,config.json,rootfs,upper,work,status}, runc/ (runc's state).
///
/// Concurrency: Sendable; operations on different pods run concurrently. Must never: leave a
/// mount, namespace file or cgroup behind once the sandbox or container is removed.
import Foundation
import Logging
import SkiffImages
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

public final class RuncRuntime: ContainerRuntime {
    public struct Configuration: Sendable {
        public var dataDirectory: String
        public var runcPath: String
        public var shimPath: String
        /// nil: this node has no pod network (hostNetwork pods only).
        public var network: PodNetwork?
        /// Parent of every container's cgroup in each hierarchy, e.g. "skiff/node-1".
        public var cgroupParent: String
        public var logMaxBytes: Int64

        public init(dataDirectory: String, runcPath: String = "/usr/sbin/runc", shimPath: String,
                    network: PodNetwork?, cgroupParent: String, logMaxBytes: Int64 = 10 * 1024 * 1024) {
            self.dataDirectory = dataDirectory
            self.runcPath = runcPath
            self.shimPath = shimPath
            self.network = network
            self.cgroupParent = cgroupParent
            self.logMaxBytes = logMaxBytes
        }
    }

    public let configuration: Configuration
    public let version: String
    private let logger: Logger
    /// Every record on disk, in memory: the kubelet lists the runtime on every pod sync, and
    /// decoding each file each time cost more than everything else together. Loaded at start
    /// (adoption), written through on every change.
    private let records = Mutex(Records())

    private struct Records {
        var sandboxes: [String: RuntimeSandbox] = [:]
        var containers: [String: ContainerRecord] = [:]
    }
    private var sandboxesDirectory: String { configuration.dataDirectory + "/sandboxes" }
    private var containersDirectory: String { configuration.dataDirectory + "/containers" }
    private var runcRoot: String { configuration.dataDirectory + "/runc" }

    public init(_ configuration: Configuration, logger: Logger = Logger(label: "skiff.runtime")) throws {
        self.configuration = configuration
        self.logger = logger
        for dir in [configuration.dataDirectory + "/sandboxes", configuration.dataDirectory + "/containers",
                    configuration.dataDirectory + "/runc"] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        var loaded = Records()
        let fm = FileManager.default
        let decoder = JSONDecoder()
        for id in (try? fm.contentsOfDirectory(atPath: configuration.dataDirectory + "/sandboxes")) ?? [] {
            if let data = fm.contents(atPath: "\(configuration.dataDirectory)/sandboxes/\(id)/sandbox.json"),
               let sandbox = try? decoder.decode(RuntimeSandbox.self, from: data) { loaded.sandboxes[id] = sandbox }
        }
        for id in (try? fm.contentsOfDirectory(atPath: configuration.dataDirectory + "/containers")) ?? [] {
            if let data = fm.contents(atPath: "\(configuration.dataDirectory)/containers/\(id)/container.json"),
               let record = try? decoder.decode(ContainerRecord.self, from: data) { loaded.containers[id] = record }
        }
        records.withLock { $0 = loaded }
        let output = (try? HostCommand(configuration.runcPath, ["--version"]).runBlocking().stdoutText) ?? ""
        let number = output.split(separator: "\n").first?.split(separator: " ").last.map(String.init) ?? "unknown"
        version = "runc://\(number)"
    }

    // MARK: sandboxes

    public func runPodSandbox(_ config: SandboxConfig) async throws -> RuntimeSandbox {
        let id = Self.newID()
        let dir = "\(sandboxesDirectory)/\(id)"
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // Recorded not ready until its namespaces, address and files exist: a kubelet that dies
        // halfway leaves a sandbox the next one replaces rather than adopts.
        var sandbox = RuntimeSandbox(id: id, podUID: config.podUID, namespace: config.namespace, name: config.name,
                                     hostNetwork: config.hostNetwork, ip: nil, state: .notReady, createdAt: Date(), etcFiles: [:])
        do {
            try save(sandbox, to: dir)
            var unshare = ["--ipc=\(dir)/ipc"]
            fm.createFile(atPath: "\(dir)/ipc", contents: nil)
            if !config.hostNetwork {
                for name in ["net", "uts"] { fm.createFile(atPath: "\(dir)/\(name)", contents: nil) }
                unshare += ["--net=\(dir)/net", "--uts=\(dir)/uts", "/bin/hostname", config.hostname]
            } else {
                unshare += ["/bin/true"]
            }
            try await HostCommand("/usr/bin/unshare", unshare, timeout: .seconds(30)).check()
            if config.hostNetwork {
                sandbox.ip = nil
            } else {
                guard let network = configuration.network else {
                    throw RuntimeError("this node has no pod network (start the kubelet with --pod-cidr)")
                }
                sandbox.ip = try await network.attach(sandboxID: id, netns: "\(dir)/net")
            }
            sandbox.etcFiles = try writeEtcFiles(config, ip: sandbox.ip, into: dir)
            sandbox.state = .ready
            try save(sandbox, to: dir)
            return sandbox
        } catch {
            try? await stopPodSandbox(id)
            try? await removePodSandbox(id)
            throw error
        }
    }

    public func stopPodSandbox(_ id: String) async throws {
        let dir = "\(sandboxesDirectory)/\(id)"
        guard var sandbox = records.withLock({ $0.sandboxes[id] }) else { return }
        if !sandbox.hostNetwork, let network = configuration.network {
            try await network.detach(sandboxID: id, netns: "\(dir)/net")
        }
        sandbox.state = .notReady
        try save(sandbox, to: dir)
    }

    public func removePodSandbox(_ id: String) async throws {
        let dir = "\(sandboxesDirectory)/\(id)"
        for name in ["net", "ipc", "uts"] {
            let path = "\(dir)/\(name)"
            if FileManager.default.fileExists(atPath: path) { Mounts.detach(path) }
        }
        if FileManager.default.fileExists(atPath: dir) { try FileManager.default.removeItem(atPath: dir) }
        records.withLock { _ = $0.sandboxes.removeValue(forKey: id) }
    }

    public func listPodSandboxes() async throws -> [RuntimeSandbox] {
        records.withLock { Array($0.sandboxes.values) }
    }

    // MARK: containers

    /// What the runtime keeps about a container besides its public state.
    private struct ContainerRecord: Codable {
        var container: RuntimeContainer
        var cgroupsPath: String
        var initPid: Int32?
        /// The shim watching the container: while it lives, a dead init is still being
        /// written up (its status file is on the way).
        var shimPid: Int32?
    }

    public func createContainer(in sandbox: RuntimeSandbox, _ config: ContainerConfig, image: Image) async throws -> String {
        let id = Self.newID()
        let dir = "\(containersDirectory)/\(id)"
        let fm = FileManager.default
        for sub in ["rootfs", "upper", "work"] { try fm.createDirectory(atPath: "\(dir)/\(sub)", withIntermediateDirectories: true) }
        let sandboxDir = "\(sandboxesDirectory)/\(sandbox.id)"
        let cgroupsPath = "/\(configuration.cgroupParent)/pod\(sandbox.podUID)/\(id)"
        do {
            try Mounts.overlay(lower: image.rootfs, upper: "\(dir)/upper", work: "\(dir)/work", target: "\(dir)/rootfs")
            var withEtc = config
            for (destination, source) in sandbox.etcFiles.sorted(by: { $0.key < $1.key })
            where !config.mounts.contains(where: { $0.destination == destination }) {
                withEtc.mounts.append(ContainerConfig.Mount(source: source, destination: destination, readOnly: false))
            }
            let namespaces = SandboxNamespaces(network: sandbox.hostNetwork ? nil : "\(sandboxDir)/net",
                                               ipc: "\(sandboxDir)/ipc", uts: sandbox.hostNetwork ? nil : "\(sandboxDir)/uts")
            let oci = OCIConfigBuilder.build(withEtc, rootfs: "\(dir)/rootfs", namespaces: namespaces, cgroupsPath: cgroupsPath,
                                             annotations: ["io.kubernetes.pod.uid": sandbox.podUID,
                                                           "io.kubernetes.container.name": config.name])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(oci).write(to: URL(fileURLWithPath: "\(dir)/config.json"))
            try fm.createDirectory(atPath: (config.logPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let container = RuntimeContainer(id: id, sandboxID: sandbox.id, podUID: sandbox.podUID, name: config.name,
                                             attempt: config.attempt, image: image.reference, imageID: image.id,
                                             specHash: config.specHash, state: .created, createdAt: Date(), startedAt: nil,
                                             finishedAt: nil, exitCode: nil, reason: nil, logPath: config.logPath)
            try save(ContainerRecord(container: container, cgroupsPath: cgroupsPath), to: dir)
            return id
        } catch {
            try? await removeContainer(id)
            throw error
        }
    }

    public func startContainer(_ id: String) async throws {
        let dir = "\(containersDirectory)/\(id)"
        guard var record = records.withLock({ $0.containers[id] }) else {
            throw RuntimeError("container \(id) not found")
        }
        let result = try await HostCommand(configuration.shimPath, [
            "--runc", configuration.runcPath, "--root", runcRoot, "--id", id, "--bundle", dir,
            "--log", record.container.logPath, "--status", "\(dir)/status",
            "--oom-control", "/sys/fs/cgroup/memory\(record.cgroupsPath)/memory.oom_control",
            "--log-max-bytes", String(configuration.logMaxBytes),
        ], timeout: .seconds(60)).run()
        let text = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let words = text.split(separator: " ")
        guard result.status == 0, words.count == 3, words[0] == "started", let pid = Int32(words[1]), let shim = Int32(words[2]) else {
            throw RuntimeError(Self.cleanRuncError(result.stderrText.isEmpty ? text : result.stderrText))
        }
        record.initPid = pid
        record.shimPid = shim
        record.container.startedAt = Date()
        record.container.state = .running
        try save(record, to: dir)
    }

    public func stopContainer(_ id: String, gracePeriod: Duration) async throws {
        let dir = "\(containersDirectory)/\(id)"
        guard let record = records.withLock({ $0.containers[id] }) else { return }
        guard record.initPid != nil, !FileManager.default.fileExists(atPath: "\(dir)/status") else { return }
        let exited = { FileManager.default.fileExists(atPath: "\(dir)/status") || !Self.alive(record.initPid) }
        if gracePeriod > .zero {
            _ = try? await HostCommand(configuration.runcPath, ["--root", runcRoot, "kill", id, "TERM"], timeout: .seconds(10)).run()
            let deadline = ContinuousClock.now + gracePeriod
            while ContinuousClock.now < deadline, !exited() { try await Task.sleep(for: .milliseconds(50)) }
        }
        if !exited() {
            _ = try? await HostCommand(configuration.runcPath, ["--root", runcRoot, "kill", "--all", id, "KILL"], timeout: .seconds(10)).run()
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline, !FileManager.default.fileExists(atPath: "\(dir)/status"), Self.alive(record.initPid) {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    public func removeContainer(_ id: String) async throws {
        let dir = "\(containersDirectory)/\(id)"
        let record = records.withLock { $0.containers[id] }
        _ = try? await HostCommand(configuration.runcPath, ["--root", runcRoot, "delete", "--force", id], timeout: .seconds(30)).run()
        if FileManager.default.fileExists(atPath: dir + "/rootfs") { Mounts.detach(dir + "/rootfs") }
        if let record {
            // The container's cgroup and, once empty, its pod's; the node's stays (usage).
            CgroupTree.remove(record.cgroupsPath, keepingTop: 2)
            try? FileManager.default.removeItem(atPath: record.container.logPath)
            try? FileManager.default.removeItem(atPath: record.container.logPath + ".1")
        }
        if FileManager.default.fileExists(atPath: dir) { try FileManager.default.removeItem(atPath: dir) }
        records.withLock { _ = $0.containers.removeValue(forKey: id) }
    }

    public func listContainers() async throws -> [RuntimeContainer] {
        let current = records.withLock { Array($0.containers.values) }
        return current.map { record in
            // An exited container's record already says so; the others are looked at.
            if record.container.state == .exited { return record.container }
            let observed = observe(record, in: "\(containersDirectory)/\(record.container.id)")
            if observed.state == .exited {
                var finished = record
                finished.container = observed
                try? save(finished, to: "\(containersDirectory)/\(record.container.id)")
            }
            return observed
        }
    }

    /// The record's container with its state read from the shim's status file and /proc.
    private func observe(_ record: ContainerRecord, in dir: String) -> RuntimeContainer {
        var container = record.container
        if let data = FileManager.default.contents(atPath: "\(dir)/status"),
           let status = try? JSONDecoder().decode(ShimStatus.self, from: data) {
            container.state = .exited
            container.exitCode = status.exitCode
            container.finishedAt = Date(timeIntervalSince1970: status.finishedAt)
            container.reason = status.oomKilled ? "OOMKilled" : (status.exitCode == 0 ? "Completed" : "Error")
        } else if record.initPid != nil, !Self.alive(record.initPid), !Self.alive(record.shimPid) {
            // Died without a status: the shim itself was killed. Kubernetes' wording for this.
            container.state = .exited
            container.exitCode = 137
            container.finishedAt = Date()
            container.reason = "ContainerStatusUnknown"
        }
        return container
    }

    private struct ShimStatus: Decodable {
        var exitCode: Int32
        var signal: Int32
        var oomKilled: Bool
        var finishedAt: Double
    }

    public func exec(_ id: String, command: [String], stdin: [UInt8], timeout: Duration) async throws -> ExecResult {
        guard !command.isEmpty else { throw RuntimeError("exec needs a command") }
        // The process runc starts in the container is not runc's child once it runs: on a
        // timeout it is killed through its pid file, not only runc.
        let pidFile = "\(containersDirectory)/\(id)/exec-\(Self.newID()).pid"
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        let result = try await HostCommand(configuration.runcPath, ["--root", runcRoot, "exec", "--pid-file", pidFile, id] + command,
                                           stdin: stdin, timeout: timeout).run()
        if result.timedOut {
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
               let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 {
                kill(pid, SIGKILL)
            }
            throw RuntimeError("command timed out after \(timeout)")
        }
        // runc's own failures (no such container, executable not found) come as exit 255 with
        // a log line on stderr; report them as errors rather than as the command's output.
        if result.status == 255, result.stderrText.contains("level=error") {
            throw RuntimeError(Self.cleanRuncError(result.stderrText))
        }
        return ExecResult(stdout: result.stdout, stderr: result.stderr, exitCode: result.status)
    }

    public func unhealthyReason() async -> String? {
        for program in [configuration.runcPath, configuration.shimPath] where !FileManager.default.isExecutableFile(atPath: program) {
            return "\(program) is missing"
        }
        guard access(configuration.dataDirectory, W_OK) == 0 else { return "\(configuration.dataDirectory) is not writable" }
        return nil
    }

    public func usage(_ id: String) async -> ContainerUsage? {
        guard let record = records.withLock({ $0.containers[id] }) else { return nil }
        return CgroupTree.usage(record.cgroupsPath)
    }

    // MARK: helpers

    static func newID() -> String {
        (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    static func alive(_ pid: Int32?) -> Bool {
        guard let pid, pid > 0 else { return false }
        // A zombie still answers kill(0); its /proc stat state is Z.
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    /// runc's error lines look like `time=... level=error msg="..."`: keep the message.
    static func cleanRuncError(_ text: String) -> String {
        let lines = text.split(separator: "\n").map { line -> String in
            guard let start = line.range(of: "msg=\"") else { return String(line) }
            var message = String(line[start.upperBound...])
            if message.hasSuffix("\"") { message.removeLast() }
            return message.replacingOccurrences(of: "\\\"", with: "\"")
        }
        return lines.filter { !$0.isEmpty }.joined(separator: "; ")
    }

    private func writeEtcFiles(_ config: SandboxConfig, ip: String?, into dir: String) throws -> [String: String] {
        var hosts = "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        if let ip { hosts += "\(ip)\t\(config.hostname)\n" }
        for alias in config.hostAliases { hosts += alias + "\n" }
        var files = ["/etc/hosts": "\(dir)/hosts"]
        try hosts.write(toFile: "\(dir)/hosts", atomically: true, encoding: .utf8)
        if !config.resolvConf.isEmpty {
            try config.resolvConf.write(toFile: "\(dir)/resolv.conf", atomically: true, encoding: .utf8)
            files["/etc/resolv.conf"] = "\(dir)/resolv.conf"
        }
        if !config.hostNetwork {
            try (config.hostname + "\n").write(toFile: "\(dir)/hostname", atomically: true, encoding: .utf8)
            files["/etc/hostname"] = "\(dir)/hostname"
        }
        return files
    }

    private func save(_ sandbox: RuntimeSandbox, to dir: String) throws {
        try JSONEncoder().encode(sandbox).write(to: URL(fileURLWithPath: dir + "/sandbox.json"), options: .atomic)
        records.withLock { $0.sandboxes[sandbox.id] = sandbox }
    }

    private func save(_ record: ContainerRecord, to dir: String) throws {
        try JSONEncoder().encode(record).write(to: URL(fileURLWithPath: dir + "/container.json"), options: .atomic)
        records.withLock { $0.containers[record.container.id] = record }
    }
}
