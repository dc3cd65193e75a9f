/// The commands that reach a pod's node rather than the apiserver: `logs` and `exec` find the
/// pod (PodTarget: a pod, or one of a workload's), then its node's kubelet (the endpoint its Node advertises in the
/// skiff.io/kubelet-endpoint annotation) and ask it over the bus; `image` works on this
/// machine's image store directly, as the kubelets on it read it.
///
/// Concurrency: one command at a time, on the main task. Must never: print a log twice when
/// following it, or exit 0 when the command in the container failed.
import ArgumentParser
import Foundation
import SkiffAPI
import SkiffBus
import SkiffClient
import SkiffCommandLine
import SkiffImages
import SkiffWire

/// Calls a node's kubelet.
public protocol KubeletClient: Sendable {
    /// `token`: the user's bearer token; the kubelet asks the apiserver whether it may.
    func call(_ request: KubeletRequest, endpoint: String, token: String?) async throws -> KubeletResponse
}

/// The live KubeletClient: one bus request per call.
public struct BusKubeletClient: KubeletClient {
    public init() {}
    public func call(_ request: KubeletRequest, endpoint: String, token: String?) async throws -> KubeletResponse {
        let client = try RequestClient(connectingTo: endpoint, component: "skiffctl", options: RequestClient.Options(token: token))
        defer { Task { await client.close() } }
        let timeout = Duration.seconds(Int64(request.exec?.timeoutSeconds ?? 60) + 10)
        do {
            return try await client.call(request, replyType: KubeletResponse.self, timeout: timeout)
        } catch let error as BusError where error.code == .timeout {
            throw CtlError("the kubelet at \(endpoint) did not answer")
        }
    }
}

extension Session {
    /// The pod's node's kubelet endpoint, or why there is none.
    func kubeletEndpoint(forPod name: String) async throws -> (Pod, String) {
        guard let podResource = ResourceCatalog.resource(for: Pod.self),
              let nodeResource = ResourceCatalog.resource(for: Node.self) else { throw CtlError("pods are not served") }
        guard let pod = try await client.get(podResource, name: name, namespace: namespace) as? Pod else {
            throw CtlError("pods \"\(name)\" not found")
        }
        guard let nodeName = pod.spec?.nodeName, !nodeName.isEmpty else {
            throw CtlError("pod \(name) is not scheduled to a node yet")
        }
        guard let node = try await client.get(nodeResource, name: nodeName, namespace: nil) as? Node,
              let endpoint = node.metadata?.annotations["skiff.io/kubelet-endpoint"], !endpoint.isEmpty else {
            throw CtlError("node \(nodeName) does not say where its kubelet listens")
        }
        return (pod, endpoint)
    }
}

func checked(_ response: KubeletResponse) throws -> KubeletResponse {
    guard let code = response.code, (200..<300).contains(code) else {
        throw CtlError(response.status?.message ?? "the kubelet failed (\(response.code ?? 0))")
    }
    return response
}

/// Splits bytes into lines, keeping a partial last line for the next chunk.
struct LineAssembler {
    private var pending: [UInt8] = []

    mutating func lines(_ bytes: [UInt8]) -> [String] {
        pending += bytes
        var lines: [String] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: pending[..<newline], as: UTF8.self))
            pending.removeSubrange(...newline)
        }
        return lines
    }

    mutating func rest() -> String? {
        defer { pending = [] }
        return pending.isEmpty ? nil : String(decoding: pending, as: UTF8.self)
    }
}

public struct LogsCommand: SessionCommand {
    public static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print the logs of a container in a pod.")

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "POD, pod/POD, or TYPE/NAME of a workload or service (one of its pods).") public var pod: String
    @Option(name: [.short, .customLong("container")], help: "The container (default: the pod's only one).")
    public var container: String?
    @Flag(name: [.short, .customLong("follow")], help: "Keep printing new output until the container exits.")
    public var follow = false
    @Flag(name: [.short, .customLong("previous")], help: "The previous, terminated instance of the container.")
    public var previous = false
    @Option(help: "Only the last lines (-1: all).") public var tail: Int64 = -1
    public var kubelet: any KubeletClient = BusKubeletClient()
    /// Pause between reads while following.
    public var pollInterval: Duration = .milliseconds(250)

    public init() {}
    enum CodingKeys: CodingKey { case global, pod, container, follow, previous, tail }

    public func perform(in session: Session) async throws {
        let name = try await session.podName(for: pod)
        let (_, endpoint) = try await session.kubeletEndpoint(forPod: name)
        var request = ContainerLogRequest(namespace: session.namespace, pod: name, container: container, previous: previous,
                                          tailLines: tail >= 0 ? tail : nil)
        var assembler = LineAssembler()
        while true {
            let response = try checked(try await kubelet.call(KubeletRequest(logs: request), endpoint: endpoint, token: session.token))
            let logs = response.logs ?? ContainerLogResponse()
            session.output.write(lines: assembler.lines(logs.data ?? []))
            request.offset = logs.nextOffset ?? request.offset
            request.tailLines = nil
            request.container = logs.container ?? request.container
            let more = (logs.data?.count ?? 0) >= 1 << 20
            if more { continue }
            guard follow, !previous, logs.running == true else { break }
            try await Task.sleep(for: pollInterval)
        }
        if let rest = assembler.rest() { session.output.write(line: rest) }
    }
}

public struct ExecCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "exec", abstract: "Run a command in a container.",
        discussion: "skiffctl exec POD [-c CONTAINER] -- COMMAND [ARGS...]; the command's output is printed once it exits.")

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "POD, pod/POD, or TYPE/NAME of a workload or service (one of its pods).") public var pod: String
    @Option(name: [.short, .customLong("container")], help: "The container (default: the pod's only one).")
    public var container: String?
    @Flag(name: [.short, .customLong("stdin")], help: "Pass standard input to the command.")
    public var stdin = false
    @Option(help: "Seconds before the command is killed.") public var timeout: Int32 = 60
    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.")
    public var command: [String] = []
    public var kubelet: any KubeletClient = BusKubeletClient()

    public init() {}
    enum CodingKeys: CodingKey { case global, pod, container, stdin, timeout, command }

    public func perform(in session: Session) async throws {
        guard !command.isEmpty else { throw CtlError("you must specify at least one command for the container") }
        let name = try await session.podName(for: pod)
        let (_, endpoint) = try await session.kubeletEndpoint(forPod: name)
        let input = stdin ? Array(try session.standardInput().utf8) : []
        let request = ExecRequest(namespace: session.namespace, pod: name, container: container, command: command,
                                  stdin: input, timeoutSeconds: timeout)
        let response = try checked(try await kubelet.call(KubeletRequest(exec: request), endpoint: endpoint, token: session.token))
        let result = response.exec ?? ExecResponse()
        var out = LineAssembler(), err = LineAssembler()
        session.output.write(lines: out.lines(result.stdout ?? []))
        if let rest = out.rest() { session.output.write(line: rest) }
        session.errors.write(lines: err.lines(result.stderr ?? []))
        if let rest = err.rest() { session.errors.write(line: rest) }
        let code = result.exitCode ?? 0
        if code != 0 {
            session.errors.write(line: "command terminated with exit code \(code)")
            throw ExitCode(code)
        }
    }
}

public struct ImageCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Manage this machine's image store (shared by its kubelets).",
        subcommands: [ImageImportCommand.self, ImageListCommand.self, ImageRemoveCommand.self])
    public init() {}
}

struct ImageStoreOption: ParsableArguments {
    @Option(name: .customLong("image-dir"), help: "The image store (default $SKIFF_IMAGE_DIR or ./var/images).")
    var directory: String?

    var store: ImageStore {
        ImageStore(directory: directory ?? ProcessInfo.processInfo.environment["SKIFF_IMAGE_DIR"] ?? "./var/images")
    }
}

public struct ImageImportCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import a rootfs directory, rootfs tarball or OCI image archive as NAME[:TAG].")
    @OptionGroup var options: ImageStoreOption
    @Argument(help: "NAME[:TAG]") var reference: String
    @Argument(help: "A directory, a tarball or an OCI archive.") var path: String
    public init() {}

    public func run() async throws {
        do {
            let image = try options.store.importImage(reference, from: path)
            FileDescriptorSink.standardOutput.write(line: "image/\(image.reference) imported")
        } catch {
            FileDescriptorSink.standardError.write(line: "error: \(error)")
            throw ExitCode.failure
        }
    }
}

public struct ImageListCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the images in the store.")
    @OptionGroup var options: ImageStoreOption
    public init() {}

    public func run() async throws {
        let out = FileDescriptorSink.standardOutput
        let rows = options.store.list().map { image -> [String] in
            let parts = image.reference.split(separator: ":", maxSplits: 1)
            return [String(parts[0]), parts.count > 1 ? String(parts[1]) : "", String(image.id.prefix(19))]
        }
        out.write(lines: TopFormat.table([["IMAGE", "TAG", "ID"]] + rows))
    }
}

public struct ImageRemoveCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove an image from the store.")
    @OptionGroup var options: ImageStoreOption
    @Argument(help: "NAME[:TAG]") var reference: String
    public init() {}

    public func run() async throws {
        do {
            try options.store.remove(reference)
            FileDescriptorSink.standardOutput.write(line: "image/\(reference) removed")
        } catch {
            FileDescriptorSink.standardError.write(line: "error: \(error)")
            throw ExitCode.failure
        }
    }
}

public struct TopCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "top", abstract: "Show CPU and memory use of nodes or pods, as their kubelets measure them.",
        subcommands: [TopNodesCommand.self, TopPodsCommand.self])
    public init() {}
}

/// Quantities as `kubectl top` prints them: CPU in millicores, memory in Mi.
enum TopFormat {
    static func cpu(_ quantity: Quantity?) -> String { "\(quantity?.milliValue ?? 0)m" }
    static func memory(_ quantity: Quantity?) -> String { "\((quantity?.value ?? 0) / (1024 * 1024))Mi" }
    static func percent(_ used: Int64, of total: Int64) -> String { total > 0 ? "\(used * 100 / total)%" : "<unknown>" }
}

extension Session {
    /// Every node with its latest usage report (nil where its kubelet has none yet).
    func usageReports(namespace: String?, kubelet: any KubeletClient) async throws -> [(Node, UsageReport?)] {
        guard let nodeResource = ResourceCatalog.resource(for: Node.self) else { throw CtlError("nodes are not served") }
        let nodes = try await client.list(nodeResource, namespace: nil, labelSelector: nil, fieldSelector: nil).items.compactMap { $0 as? Node }
        var reports: [(Node, UsageReport?)] = []
        for node in nodes.sorted(by: { ($0.metadata?.name ?? "") < ($1.metadata?.name ?? "") }) {
            guard let endpoint = node.metadata?.annotations["skiff.io/kubelet-endpoint"] else { reports.append((node, nil)); continue }
            let response = try? await kubelet.call(KubeletRequest(metrics: MetricsRequest(namespace: namespace)), endpoint: endpoint,
                                                token: token)
            reports.append((node, response?.code == 200 ? response?.metrics : nil))
        }
        return reports
    }
}

public struct TopNodesCommand: SessionCommand {
    public static let configuration = CommandConfiguration(commandName: "nodes", abstract: "CPU and memory use of each node.",
                                                           aliases: ["node", "no"])
    @OptionGroup public var global: GlobalOptions
    public var kubelet: any KubeletClient = BusKubeletClient()
    public init() {}
    enum CodingKeys: CodingKey { case global }

    public func perform(in session: Session) async throws {
        let reports = try await session.usageReports(namespace: nil, kubelet: kubelet)
        let measured = reports.compactMap { node, report in report?.node.map { (node, $0) } }
        guard !measured.isEmpty else { throw CtlError("metrics not available yet") }
        var rows = [["NAME", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%"]]
        for (node, metrics) in measured {
            let cpu = metrics.usage["cpu"], memory = metrics.usage["memory"]
            let allocatable = node.status?.allocatable ?? [:]
            rows.append([node.metadata?.name ?? "", TopFormat.cpu(cpu),
                         TopFormat.percent(cpu?.milliValue ?? 0, of: allocatable["cpu"]?.milliValue ?? 0),
                         TopFormat.memory(memory), TopFormat.percent(memory?.value ?? 0, of: allocatable["memory"]?.value ?? 0)])
        }
        session.output.write(lines: TopFormat.table(rows))
    }
}

public struct TopPodsCommand: SessionCommand {
    public static let configuration = CommandConfiguration(commandName: "pods", abstract: "CPU and memory use of each pod.",
                                                           aliases: ["pod", "po"])
    @OptionGroup public var global: GlobalOptions
    @Flag(name: .customLong("containers"), help: "One line per container.") public var containers = false
    @Flag(name: [.short, .customLong("all-namespaces")], help: "Pods of every namespace.") public var allNamespaces = false
    public var kubelet: any KubeletClient = BusKubeletClient()
    public init() {}
    enum CodingKeys: CodingKey { case global, containers, allNamespaces }

    public func perform(in session: Session) async throws {
        let reports = try await session.usageReports(namespace: allNamespaces ? nil : session.namespace, kubelet: kubelet)
        let pods = reports.flatMap { $0.1?.pods ?? [] }
            .sorted { ($0.metadata?.namespace ?? "", $0.metadata?.name ?? "") < ($1.metadata?.namespace ?? "", $1.metadata?.name ?? "") }
        guard !pods.isEmpty else {
            throw CtlError(allNamespaces ? "no pod metrics are available yet" : "no pod metrics are available yet in namespace \(session.namespace)")
        }
        var rows = [(allNamespaces ? ["NAMESPACE"] : []) + ["NAME"] + (containers ? ["CONTAINER"] : []) + ["CPU(cores)", "MEMORY(bytes)"]]
        for pod in pods {
            let prefix = (allNamespaces ? [pod.metadata?.namespace ?? ""] : []) + [pod.metadata?.name ?? ""]
            if containers {
                for container in pod.containers {
                    rows.append(prefix + [container.name ?? "", TopFormat.cpu(container.usage["cpu"]), TopFormat.memory(container.usage["memory"])])
                }
            } else {
                let cpu = pod.containers.reduce(0) { $0 + ($1.usage["cpu"]?.milliValue ?? 0) }
                let memory = pod.containers.reduce(0) { $0 + ($1.usage["memory"]?.value ?? 0) }
                rows.append(prefix + ["\(cpu)m", "\(memory / (1024 * 1024))Mi"])
            }
        }
        session.output.write(lines: TopFormat.table(rows))
    }
}

extension TopFormat {
    /// Left-aligned columns three spaces apart, as kubectl prints them.
    static func table(_ rows: [[String]]) -> [String] {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).map { $0.0.padding(toLength: $0.1 + 3, withPad: " ", startingAt: 0) }.joined()
                .trimmingCharacters(in: .whitespaces)
        }
    }
}
