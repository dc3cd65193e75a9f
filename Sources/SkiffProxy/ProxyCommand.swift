/// `skiff-proxy`: flags in, the node's service proxy running until SIGTERM or SIGINT (or, with
/// --cleanup, everything it made removed). Runs inside the node's network namespace
/// (`nsenter --net=/run/netns/NODE --`); it refuses the machine's own namespace.
///
/// Concurrency: the main task runs the service; a signal source cancels it. Must never: start
/// with a flag it could not parse (the error names the flag), or touch the network before the
/// namespace passed `NodeNetwork.ensureIsolated`.
import ArgumentParser
import Foundation
import Logging
import SkiffAPI
import SkiffClient
import SkiffCommandLine

public struct ProxyCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "skiff-proxy",
        abstract: "Make this node's Service virtual IPs and node ports reach ready pods, as kube-proxy does.")

    @Option(help: "This node's name (default: the host name).")
    var nodeName: String?

    @Option(help: "Run directory where the apiserver is registered (default $SKIFF_RUN_DIR or ./var/run).")
    var runDir: String?

    @Option(help: "An apiserver's request endpoint, instead of looking in the run directory.")
    var server: String?

    @Option(help: "That apiserver's event publisher (watches), with --server.")
    var events: String?

    @Option(help: "Every pod's range: service traffic from elsewhere is masqueraded.")
    var clusterCIDR = "10.244.0.0/16"

    @Option(help: "The service virtual IP range (the apiserver's --service-cluster-ip-range).")
    var serviceCIDR = "10.96.0.0/16"

    @Option(help: "nftables (rules in the kernel) or userspace (a relay in this process).")
    var mode = "nftables"

    @Option(help: "Serve node ports only on local addresses in these ranges (comma-separated CIDRs; default: every non-loopback address).")
    var nodeportAddresses: String = ""

    @Option(help: "The nftables table this proxy owns.")
    var table = "skiff-proxy"

    @Option(help: "Seconds between full resyncs.")
    var syncSeconds = 30

    @Option(help: "Shortest gap between two syncs in milliseconds; changes within it are applied together.")
    var minSyncMilliseconds = 2

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Flag(help: "Remove the nftables table and the service route this proxy made, then exit.")
    var cleanup = false

    public init() {}

    public mutating func validate() throws {
        _ = try proxyConfiguration(node: "validate")
        guard syncSeconds > 0 else { throw ValidationError("--sync-seconds must be positive") }
        guard minSyncMilliseconds >= 0 else { throw ValidationError("--min-sync-milliseconds must not be negative") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    func proxyConfiguration(node: String) throws -> ProxyConfiguration {
        guard let cluster = IPv4Range(clusterCIDR) else {
            throw ValidationError("--cluster-cidr: \(clusterCIDR) is not an IPv4 CIDR (e.g. 10.244.0.0/16)")
        }
        guard let service = IPv4Range(serviceCIDR) else {
            throw ValidationError("--service-cidr: \(serviceCIDR) is not an IPv4 CIDR (e.g. 10.96.0.0/16)")
        }
        guard let proxyMode = ProxyConfiguration.Mode(rawValue: mode) else {
            throw ValidationError("--mode must be nftables or userspace, not \(mode)")
        }
        var nodePorts: [IPv4Range] = []
        for text in nodeportAddresses.split(separator: ",") {
            guard let range = IPv4Range(text.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--nodeport-addresses: \(text) is not an IPv4 CIDR (e.g. 10.250.0.0/24)")
            }
            nodePorts.append(range)
        }
        guard !table.isEmpty, table.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw ValidationError("--table: \(table) must be letters, digits, - and _")
        }
        let configuration = ProxyConfiguration(
            nodeName: node, clusterCIDR: cluster, serviceCIDR: service, mode: proxyMode, nodePortAddresses: nodePorts,
            tableName: table, syncPeriod: .seconds(syncSeconds), minSyncInterval: .milliseconds(minSyncMilliseconds))
        do {
            try configuration.validate()
        } catch let error as ProxyError {
            throw ValidationError(error.description)
        }
        return configuration
    }

    public func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let node = nodeName ?? ProcessInfo.processInfo.hostName.lowercased()
        let logger = {
            var logger = Logger(label: "skiff.proxy")
            logger[metadataKey: "node"] = "\(node)"
            return logger
        }()
        let settings = try proxyConfiguration(node: node)
        let network = NodeNetwork()
        try await network.ensureIsolated()
        if cleanup {
            try await Self.cleanup(settings, network: network)
            logger.info("removed table ip \(settings.tableName) and the route for \(settings.serviceCIDR)")
            return
        }
        // A relay writing to a client that went away must not kill the proxy.
        signal(SIGPIPE, SIG_IGN)
        try await network.ensureServiceRoute(settings.serviceCIDR)
        let dataPath: any ServiceDataPath
        switch settings.mode {
        case .nftables:
            if let warning = await network.ensureBridgeNetfilter() { logger.warning("\(warning)") }
            dataPath = NFTablesDataPath(configuration: settings, logger: logger)
        case .userspace:
            dataPath = UserspaceDataPath(logger: logger)
        }
        let run = URL(fileURLWithPath: runDir ?? ProcessInfo.processInfo.environment["SKIFF_RUN_DIR"] ?? "./var/run").standardizedFileURL.path
        let clientConfig = ClientConfig(server: server, events: events, runDirectory: run, component: "proxy-\(node)")
        try await runUntilTerminated {
            let client = try await APIClient.connect(clientConfig, logger: logger)
            let service = ProxyService(client: client, configuration: settings, dataPath: dataPath, logger: logger)
            try await service.run()
            await client.close()
        }
        // The nftables table stays, so service traffic keeps flowing until the next proxy
        // replaces it; the userspace relays are this process's own and go with it.
        await dataPath.close()
    }

    /// Removes the table and the service route; both may already be gone.
    static func cleanup(_ settings: ProxyConfiguration, network: NodeNetwork) async throws {
        if FileManager.default.isExecutableFile(atPath: RuleApplier().command[0]) {
            try await RuleApplier().deleteTable(settings.tableName)
        }
        try await network.removeServiceRoute(settings.serviceCIDR)
    }
}
