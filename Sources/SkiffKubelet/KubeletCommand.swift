/// `skiff-kubelet`: flags in, a Kubelet running until SIGTERM or SIGINT. Containers keep
/// running when it stops; the next kubelet on the same data directory adopts them.
///
/// Concurrency: the main task runs the kubelet; a signal source cancels it. Must never: start
/// with a flag it could not parse (the error names the flag).
import ArgumentParser
import Foundation
import Logging
import SkiffAPI
import SkiffCommandLine
import SkiffWire

public struct KubeletCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "skiff-kubelet",
        abstract: "Run a node: register it, and run the pods bound to it as containers.")

    @Option(help: "This node's name (default: the host name).")
    var nodeName: String?

    @Option(help: "Run directory of the cluster (default $SKIFF_RUN_DIR or ./var/run).")
    var runDir: String?

    @Option(help: "Where this kubelet keeps its containers, logs and volumes (default ./var/lib/kubelet-NODE).")
    var dataDir: String?

    @Option(help: "The machine's image store, shared by its kubelets (default ./var/images).")
    var imageDir: String?

    @Option(help: "This node's pod range, e.g. 10.244.1.0/24. Without it only hostNetwork pods run.")
    var podCIDR: String?

    @Option(parsing: .singleValue, help: "A cluster range (all pods', the services') that must not leave the node; repeatable.")
    var clusterCIDR: [String] = []

    @Option(parsing: .singleValue, help: "Cluster DNS server address for pods' resolv.conf; repeatable.")
    var clusterDNS: [String] = []

    @Option(help: "The cluster's DNS domain.")
    var clusterDomain: String = "cluster.local"

    @Option(help: "CPU capacity to report, e.g. 2 or 1500m (default: the machine's cores).")
    var cpu: String?

    @Option(help: "Memory capacity to report, e.g. 4Gi (default: the machine's memory).")
    var memory: String?

    @Option(help: "Most pods this node runs.")
    var maxPods: Int = 110

    @Option(help: "Labels for the Node, key=value,...")
    var nodeLabels: String = ""

    @Option(help: "Taints for the Node, key=value:Effect,...")
    var registerWithTaints: String = ""

    @Option(help: "The node's InternalIP address.")
    var nodeIP: String?

    @Option(help: "Container runtime: runc (real containers) or fake (in memory, for scale runs).")
    var runtime: String = "runc"

    @Option(help: "The runc binary.")
    var runc: String = "/usr/sbin/runc"

    @Option(help: "The skiff-shim binary (default: beside skiff-kubelet).")
    var shim: String?

    @Option(help: "The CNI plugins' directory.")
    var cniBinDir: String = "/usr/lib/cni"

    @Option(help: "Seconds between full syncs of every pod.")
    var syncSeconds: Int = 1

    @Option(help: "Seconds between Node status posts.")
    var statusSeconds: Int = 10

    @Option(help: "CrashLoopBackOff's first delay in seconds (Kubernetes: 10).")
    var crashLoopBackoffSeconds: Int = 10

    @Option(help: "CrashLoopBackOff's longest delay in seconds (Kubernetes: 300).")
    var crashLoopBackoffMaxSeconds: Int = 300

    @Option(help: "Most processes in one container (0: no limit).")
    var podPidsLimit: Int64 = 4096

    @Option(help: "The apiserver's request endpoint, e.g. tcp://10.250.0.2:6443 (default: found in the run directory).")
    var server: String?

    @Option(help: "The apiserver's event publisher, with --server (default: found in the run directory).")
    var events: String?

    @Option(help: "Where to serve logs and exec (default ipc://RUN/kubelet-NODE.sock); another host needs tcp://.")
    var listen: String?

    @Option(help: "Where to publish usage reports (default ipc://RUN/kubelet-NODE-events.sock).")
    var publish: String?

    @Option(help: "A directory of static pod manifests, run without the apiserver and mirrored into it.")
    var manifestDir: String?

    @Option(help: "A container's log is rotated (to LOG.1) past this size, e.g. 10Mi.")
    var containerLogMaxSize: String = "10Mi"

    @Option(help: "Seconds between usage reports.")
    var metricsSeconds: Int = 10

    @Flag(help: "Stop and remove every container, sandbox, mount and cgroup this node made, then exit.")
    var teardown = false

    public init() {}

    func capacity() throws -> [String: Quantity] {
        var capacity: [String: Quantity] = [:]
        if let cpu {
            guard let value = Quantity(cpu) else { throw ValidationError("--cpu: \(cpu) is not a quantity") }
            capacity["cpu"] = value
        } else {
            capacity["cpu"] = Quantity(String(ProcessInfo.processInfo.activeProcessorCount))!
        }
        if let memory {
            guard let value = Quantity(memory) else { throw ValidationError("--memory: \(memory) is not a quantity") }
            capacity["memory"] = value
        } else {
            capacity["memory"] = Quantity("\(ProcessInfo.processInfo.physicalMemory / 1024)Ki")!
        }
        capacity["pods"] = Quantity(String(maxPods))!
        capacity["ephemeral-storage"] = "20Gi"
        return capacity
    }

    static func parseLabels(_ text: String) throws -> [String: String] {
        var labels: [String: String] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("--node-labels: \(pair) is not key=value") }
            labels[String(parts[0])] = String(parts[1])
        }
        return labels
    }

    static func parseTaints(_ text: String) throws -> [Taint] {
        try text.split(separator: ",").map { item in
            let effectSplit = item.split(separator: ":", maxSplits: 1)
            guard effectSplit.count == 2, ["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(String(effectSplit[1])) else {
                throw ValidationError("--register-with-taints: \(item) is not key[=value]:NoSchedule|PreferNoSchedule|NoExecute")
            }
            let keyValue = effectSplit[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard !keyValue[0].isEmpty else { throw ValidationError("--register-with-taints: \(item) has no key") }
            return Taint(key: String(keyValue[0]), value: keyValue.count > 1 ? String(keyValue[1]) : nil, effect: String(effectSplit[1]))
        }
    }

    public mutating func validate() throws {
        guard ["runc", "fake"].contains(runtime) else { throw ValidationError("--runtime must be runc or fake, not \(runtime)") }
        for cidr in [podCIDR].compactMap({ $0 }) + clusterCIDR where IPv4Range(cidr) == nil {
            throw ValidationError("\(cidr) is not an IPv4 CIDR (e.g. 10.244.1.0/24)")
        }
        for address in clusterDNS where IPv4Address(address) == nil {
            throw ValidationError("--cluster-dns: \(address) is not an IPv4 address (e.g. 10.96.0.10)")
        }
        guard syncSeconds > 0, statusSeconds > 0, crashLoopBackoffSeconds > 0, crashLoopBackoffMaxSeconds >= crashLoopBackoffSeconds else {
            throw ValidationError("--sync-seconds, --status-seconds and the back-off seconds must be positive, the maximum at least the first")
        }
        _ = try capacity()
        _ = try Self.parseLabels(nodeLabels)
        _ = try Self.parseTaints(registerWithTaints)
        guard let size = Quantity(containerLogMaxSize), size.value > 0 else {
            throw ValidationError("--container-log-max-size: \(containerLogMaxSize) is not a positive quantity (e.g. 10Mi)")
        }
    }

    public func run() async throws {
        let node = nodeName ?? ProcessInfo.processInfo.hostName.lowercased()
        let run = URL(fileURLWithPath: runDir ?? ProcessInfo.processInfo.environment["SKIFF_RUN_DIR"] ?? "./var/run").standardizedFileURL.path
        let data = URL(fileURLWithPath: dataDir ?? "./var/lib/kubelet-\(node)").standardizedFileURL.path
        let images = URL(fileURLWithPath: imageDir ?? "./var/images").standardizedFileURL.path
        let shimPath = shim ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("skiff-shim").path
        let resolv = ClusterDNS(servers: clusterDNS, domain: clusterDomain)
        // A child that exits before reading its stdin (exec -i, a CNI plugin) must not kill
        // the node agent: write errors are handled where they happen.
        signal(SIGPIPE, SIG_IGN)
        if teardown {
            try await Kubelet.teardown(configuration(node: node, run: run, data: data, images: images, shimPath: shimPath, resolv: resolv))
            return
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let kubelet = try Kubelet(try configuration(node: node, run: run, data: data, images: images, shimPath: shimPath, resolv: resolv))
        try await runUntilTerminated { try await kubelet.run() }
        await kubelet.close()
    }

    func configuration(node: String, run: String, data: String, images: String, shimPath: String,
                       resolv: ClusterDNS) throws -> Kubelet.Configuration {
        var configuration = Kubelet.Configuration(
            nodeName: node, runDirectory: run, dataDirectory: data, imageDirectory: images, podCIDR: podCIDR,
            clusterCIDRs: clusterCIDR, clusterDNS: resolv, capacity: try capacity(), labels: try Self.parseLabels(nodeLabels),
            taints: try Self.parseTaints(registerWithTaints), nodeIP: nodeIP,
            runtime: Kubelet.Configuration.RuntimeKind(rawValue: runtime) ?? .runc, runcPath: runc, shimPath: shimPath,
            cniBinDirectory: cniBinDir, syncPeriod: .seconds(syncSeconds),
            crashLoopBackoff: (.seconds(crashLoopBackoffSeconds), .seconds(crashLoopBackoffMaxSeconds)),
            pidsLimit: podPidsLimit > 0 ? podPidsLimit : nil, listenURL: listen, statusPeriod: .seconds(statusSeconds),
            metricsPeriod: .seconds(max(1, metricsSeconds)), eventsURL: publish,
            manifestDirectory: manifestDir.map { URL(fileURLWithPath: $0).standardizedFileURL.path })
        configuration.apiServerURL = server
        configuration.apiEventsURL = events
        configuration.containerLogMaxBytes = Quantity(containerLogMaxSize)?.value ?? configuration.containerLogMaxBytes
        return configuration
    }
}
