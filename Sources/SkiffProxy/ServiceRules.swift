/// ServiceRules: the proxy's decision, a pure function from the Services and Endpoints the API
/// holds to what this node must forward: one `ServicePortRule` per (service, port, protocol)
/// with its virtual IP, node port, ready backends and affinity. Both modes (nftables and
/// userspace) start from this list.
///
/// Kubernetes semantics kept here: a service port meets the Endpoints port of the same name
/// (and protocol); only `addresses` are backends (`notReadyAddresses` get no traffic);
/// headless (`clusterIP: None`), ExternalName and address-less services are skipped; NodePort
/// and LoadBalancer services get their node ports; `sessionAffinity: ClientIP` sticks for
/// `sessionAffinityConfig.clientIP.timeoutSeconds` (default 10800).
///
/// Concurrency: pure, no I/O. Must never: return a backend from `notReadyAddresses`, or a rule
/// for an address outside the service range (another process's address must not be captured).
import SkiffAPI
import SkiffWire

/// The transport protocols the proxy forwards. SCTP services are skipped.
public enum TransportProtocol: String, Sendable, Hashable, Comparable, CaseIterable {
    case tcp, udp

    /// From the API's spelling; nil for SCTP and anything unknown. Unset means TCP.
    public init?(api: String?) {
        switch api ?? "TCP" {
        case "TCP": self = .tcp
        case "UDP": self = .udp
        default: return nil
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// One backend: a ready endpoint address and its port.
public struct Backend: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var ip: IPv4Address
    public var port: UInt16

    public init(ip: IPv4Address, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    public var description: String { "\(ip):\(port)" }
    public static func < (a: Self, b: Self) -> Bool { (a.ip, a.port) < (b.ip, b.port) }
}

/// What one service port needs on this node.
public struct ServicePortRule: Sendable, Hashable, Comparable {
    public var namespace: String
    public var name: String
    /// The service port's name ("" for a service's single unnamed port).
    public var portName: String
    public var transport: TransportProtocol
    public var clusterIP: IPv4Address
    public var port: UInt16
    public var nodePort: UInt16?
    /// Ready backends, sorted; empty means refuse connections at once.
    public var backends: [Backend]
    /// ClientIP affinity's lifetime in seconds, nil without affinity.
    public var affinitySeconds: Int?

    public init(namespace: String, name: String, portName: String = "", transport: TransportProtocol = .tcp,
                clusterIP: IPv4Address, port: UInt16, nodePort: UInt16? = nil, backends: [Backend] = [],
                affinitySeconds: Int? = nil) {
        self.namespace = namespace
        self.name = name
        self.portName = portName
        self.transport = transport
        self.clusterIP = clusterIP
        self.port = port
        self.nodePort = nodePort
        self.backends = backends
        self.affinitySeconds = affinitySeconds
    }

    /// namespace/name/protocol/port: unique per rule, readable in `nft list`.
    public var identity: String { "\(namespace)/\(name)/\(transport.rawValue)/\(port)" }

    public static func < (a: Self, b: Self) -> Bool { a.identity < b.identity }
}

public enum ServiceRules {
    /// Kubernetes' default ClientIP affinity timeout (3 hours).
    public static let defaultAffinitySeconds = 10800

    /// Every rule for `services` and their same-named `endpoints`, sorted by identity.
    public static func build(services: [Service], endpoints: [Endpoints], serviceCIDR: IPv4Range) -> [ServicePortRule] {
        var endpointsByKey: [String: Endpoints] = [:]
        for item in endpoints {
            guard let meta = item.metadata, let name = meta.name else { continue }
            endpointsByKey["\(meta.namespace ?? "default")/\(name)"] = item
        }
        var rules: [ServicePortRule] = []
        for service in services {
            guard let meta = service.metadata, let name = meta.name else { continue }
            let endpoints = endpointsByKey["\(meta.namespace ?? "default")/\(name)"]
            rules += build(service: service, endpoints: endpoints, serviceCIDR: serviceCIDR)
        }
        return rules.sorted()
    }

    /// The rules of one service, given its same-named Endpoints (nil when there are none),
    /// sorted by identity. `build(services:endpoints:)` is this for every service.
    public static func build(service: Service, endpoints: Endpoints?, serviceCIDR: IPv4Range) -> [ServicePortRule] {
        guard let meta = service.metadata, let name = meta.name, let spec = service.spec,
              meta.deletionTimestamp == nil else { return [] }
        let namespace = meta.namespace ?? "default"
        guard spec.type != "ExternalName", let text = spec.clusterIP, let clusterIP = IPv4Address(text),
              serviceCIDR.contains(clusterIP) else { return [] }
        let affinity = spec.sessionAffinity == "ClientIP"
            ? Int(spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? Int32(defaultAffinitySeconds)) : nil
        let exposesNodePorts = spec.type == "NodePort" || spec.type == "LoadBalancer"
        let subsets = endpoints?.subsets ?? []
        var rules: [ServicePortRule] = []
        for port in spec.ports {
            guard let transport = TransportProtocol(api: port.protocol), let number = port.port,
                  let servicePort = UInt16(exactly: number), servicePort > 0 else { continue }
            let portName = port.name ?? ""
            let nodePort = exposesNodePorts ? port.nodePort.flatMap { UInt16(exactly: $0) }.flatMap { $0 > 0 ? $0 : nil } : nil
            rules.append(ServicePortRule(
                namespace: namespace, name: name, portName: portName, transport: transport, clusterIP: clusterIP,
                port: servicePort, nodePort: nodePort,
                backends: backends(subsets, portName: portName, transport: transport), affinitySeconds: affinity))
        }
        return rules.sorted()
    }

    /// The ready addresses of every subset that has a port of this name and protocol.
    static func backends(_ subsets: [EndpointSubset], portName: String, transport: TransportProtocol) -> [Backend] {
        var found: Set<Backend> = []
        for subset in subsets {
            guard let port = subset.ports.first(where: { ($0.name ?? "") == portName && TransportProtocol(api: $0.protocol) == transport }),
                  let number = port.port, let targetPort = UInt16(exactly: number), targetPort > 0 else { continue }
            for address in subset.addresses {
                if let ip = address.ip.flatMap({ IPv4Address($0) }) { found.insert(Backend(ip: ip, port: targetPort)) }
            }
        }
        return found.sorted()
    }
}
