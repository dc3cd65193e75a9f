/// UserspaceDataPath: the mode for machines without nftables. Every service port with ready
/// backends gets a relay listening on VIP:port (TCP and UDP), and on 0.0.0.0:nodePort for node
/// ports (TCP and UDP; --nodeport-addresses does not narrow this mode). The VIPs need no
/// address of their own: the node's `local` route for the service range lets a socket bind any
/// of them. A port without ready backends has no listener, so the kernel refuses connections
/// at once (TCP reset); a relay whose port goes away is closed at the next sync, and all are
/// closed on exit.
///
/// Concurrency: `sync` and `close` come from the sync loop, one at a time; relays run on their
/// own threads. Must never: keep a listener for a port that has no ready backend.
import Logging
import SkiffAPI
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

public final class UserspaceDataPath: ServiceDataPath {
    struct ListenerKey: Hashable, CustomStringConvertible {
        var ip: IPv4Address
        var port: UInt16
        var transport: TransportProtocol
        var description: String { "\(transport.rawValue)/\(ip):\(port)" }
    }

    enum Relay {
        case tcp(TCPRelay)
        case udp(UDPRelay)

        var chooser: BackendChooser {
            switch self {
            case .tcp(let relay): relay.chooser
            case .udp(let relay): relay.chooser
            }
        }

        func close() {
            switch self {
            case .tcp(let relay): relay.close()
            case .udp(let relay): relay.close()
            }
        }
    }

    private let relays = Mutex<[ListenerKey: Relay]>([:])
    private let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// The addresses and ports relays listen on, e.g. "tcp/10.96.0.10:80" (tests, logs).
    public var listening: [String] { relays.withLock { $0.keys.map(\.description).sorted() } }

    public func sync(_ rules: [ServicePortRule]) async throws -> SyncReport {
        var wanted: [ListenerKey: (backends: [Backend], affinity: Int?)] = [:]
        for rule in rules where !rule.backends.isEmpty {
            wanted[ListenerKey(ip: rule.clusterIP, port: rule.port, transport: rule.transport)] = (rule.backends, rule.affinitySeconds)
            if let nodePort = rule.nodePort {
                wanted[ListenerKey(ip: IPv4Address(0), port: nodePort, transport: rule.transport)] = (rule.backends, rule.affinitySeconds)
            }
        }
        var failures: [String] = []
        relays.withLock { relays in
            for (key, relay) in relays where wanted[key] == nil {
                relay.close()
                relays[key] = nil
            }
            for (key, want) in wanted.sorted(by: { $0.key.description < $1.key.description }) {
                if let relay = relays[key] {
                    relay.chooser.update(backends: want.backends, affinitySeconds: want.affinity)
                    continue
                }
                let chooser = BackendChooser(backends: want.backends, affinitySeconds: want.affinity)
                do {
                    switch key.transport {
                    case .tcp: relays[key] = .tcp(try TCPRelay(ip: key.ip, port: key.port, chooser: chooser))
                    case .udp: relays[key] = .udp(try UDPRelay(ip: key.ip, port: key.port, chooser: chooser))
                    }
                } catch {
                    failures.append("\(key): \(error)")
                }
            }
        }
        if !failures.isEmpty { throw ProxyError("cannot listen on \(failures.joined(separator: "; "))") }
        return SyncReport(outcome: "relays")
    }

    public func verify() async {}

    public func close() async {
        relays.withLock { relays in
            for relay in relays.values { relay.close() }
            relays = [:]
        }
    }
}
