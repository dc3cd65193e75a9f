/// `skiff-dns`: flags in, a DNSService running until SIGTERM or SIGINT. It finds the apiserver
/// through the run directory (or --server), waiting for one to register, as every component.
///
/// Concurrency: the main task runs the service; a signal source cancels it. Must never: start
/// serving on an address it could not validate, or exit on SIGTERM before it has taken its
/// address out of the kube-dns Endpoints (when it registered).
import ArgumentParser
import Foundation
import Logging
import SkiffClient
import SkiffCommandLine

public struct DNSCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "skiff-dns",
        abstract: "Serve the cluster's DNS (Services and Endpoints, as Kubernetes DNS does).")

    @Option(help: "Run directory where the apiserver is registered (default $SKIFF_RUN_DIR or ./var/run).")
    var runDir: String?

    @Option(help: "An apiserver's request endpoint, instead of looking in the run directory.")
    var server: String?

    @Option(help: "That apiserver's event publisher (watches), with --server.")
    var events: String?

    @Option(help: "Address and port to answer on, UDP and TCP (port 0: any free port, printed at start).")
    var listen = "0.0.0.0:53"

    @Option(help: "The cluster's DNS domain.")
    var clusterDomain = "cluster.local"

    @Option(help: "Service range, whose reverse zone is served (repeat for several).")
    var serviceCidr: [String] = ["10.96.0.0/16"]

    @Option(help: "Pod range, whose reverse zone is served (repeat for several).")
    var clusterCidr: [String] = ["10.244.0.0/16"]

    @Option(help: "Upstream server (ADDR:PORT) for names outside the cluster's zones; without it they are REFUSED.")
    var forward: String?

    @Option(help: "TTL of every answer, in seconds.")
    var ttl = 30

    @Option(help: "The cluster DNS Service IP: with --advertise-address, register as kube-system/kube-dns.")
    var serviceIp: String?

    @Option(help: "This server's address as the kube-dns Endpoints list it.")
    var advertiseAddress: String?

    @Option(help: "UDP threads (each with its own socket on the port).")
    var udpThreads = 2

    @Option(help: "Seconds an idle TCP connection stays open.")
    var tcpIdleSeconds = 10

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    public init() {}

    public mutating func validate() throws {
        _ = try settings()
        guard (serviceIp == nil) == (advertiseAddress == nil) else {
            throw ValidationError("--service-ip and --advertise-address go together")
        }
        guard udpThreads > 0, udpThreads <= 64 else { throw ValidationError("--udp-threads must be within 1...64") }
        guard tcpIdleSeconds > 0 else { throw ValidationError("--tcp-idle-seconds must be positive") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    /// The flags as a configuration, or the first one that is wrong.
    func settings() throws -> DNSConfiguration {
        guard let listen = SocketAddress(listen) else { throw ValidationError("--listen must be ADDR:PORT, got \(listen)") }
        guard let domain = try? DNSName(clusterDomain), domain.labelCount > 0 else {
            throw ValidationError("--cluster-domain is not a domain name: \(clusterDomain)")
        }
        var networks: [IPNetwork] = []
        for text in serviceCidr + clusterCidr {
            guard let network = IPNetwork(text), network.reverseZones != nil else {
                throw ValidationError("not a CIDR whose reverse zones can be served: \(text)")
            }
            networks.append(network)
        }
        guard (0...86_400).contains(ttl) else { throw ValidationError("--ttl must be within 0...86400") }
        var forwardAddress: SocketAddress?
        if let forward {
            guard let address = SocketAddress(forward) else { throw ValidationError("--forward must be ADDR:PORT, got \(forward)") }
            forwardAddress = address
        }
        var registration: (serviceIP: IPAddress, address: IPAddress)?
        var nameServerIP: IPAddress?
        if let serviceIp, let advertiseAddress {
            guard let serviceIP = IPAddress(serviceIp) else { throw ValidationError("--service-ip is not an address: \(serviceIp)") }
            guard let address = IPAddress(advertiseAddress) else {
                throw ValidationError("--advertise-address is not an address: \(advertiseAddress)")
            }
            // Kubernetes refuses loopback endpoint addresses; say so now rather than retry forever.
            guard !(address.isIPv4 && address.bytes[0] == 127) && "\(address)" != "::1" else {
                throw ValidationError("--advertise-address may not be a loopback address (Endpoints refuse them)")
            }
            registration = (serviceIP, address)
            nameServerIP = serviceIP
        }
        let zone = ZoneSettings(clusterDomain: domain, reverseNetworks: networks, ttl: UInt32(ttl), nameServerIP: nameServerIP)
        return DNSConfiguration(listen: listen, zone: zone, forward: forwardAddress, udpThreads: udpThreads,
                                tcpIdleTimeout: .seconds(tcpIdleSeconds), registration: registration)
    }

    public func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "skiff.dns")
        let configuration = try settings()
        let run = runDir ?? ProcessInfo.processInfo.environment["SKIFF_RUN_DIR"] ?? "./var/run"
        let clientConfig = ClientConfig(server: server, events: events, runDirectory: URL(fileURLWithPath: run).standardizedFileURL.path,
                                        component: "dns")
        try await runUntilTerminated {
            let client = try await APIClient.connect(clientConfig, logger: logger)
            let service = DNSService(client: client, configuration: configuration, logger: logger)
            try await service.run()
            await client.close()
        }
    }
}
