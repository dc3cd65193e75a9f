/// ZoneBuilder: the pure function from the cluster's Services and Endpoints to a ZoneSnapshot,
/// following the Kubernetes DNS specification (schema 1.1.0):
/// - `SVC.NS.svc.DOMAIN` A/AAAA: the ClusterIPs; for a headless service the ready endpoint
///   addresses (no ready endpoint: the name does not exist); ExternalName: a CNAME;
/// - `_PORT._PROTO.SVC.NS.svc.DOMAIN` SRV per named port: the service name as target, or
///   (headless) one per ready endpoint naming `HOSTNAME.SVC.NS.svc.DOMAIN`, HOSTNAME being the
///   endpoint's hostname or its dashed IP, with A/AAAA records for those names;
/// - PTR for ClusterIPs and for endpoint addresses that have a hostname;
/// - the zone's SOA and NS, `dns-version.DOMAIN` TXT, and SOA/NS of each reverse zone.
/// "Ready" includes notReadyAddresses when the service publishes them.
///
/// Concurrency: pure and synchronous. Must never: fail on bad input: an object whose names
/// or addresses are not valid DNS is skipped (it cannot be asked for anyway).
import SkiffWire

public struct ZoneSettings: Sendable, Equatable {
    public var clusterDomain: DNSName
    /// Service and pod ranges: their reverse zones are served.
    public var reverseNetworks: [IPNetwork]
    public var ttl: UInt32
    /// The DNS service's own ClusterIP: the address of the zone's name server, ns.dns.DOMAIN.
    public var nameServerIP: IPAddress?

    public init(clusterDomain: DNSName, reverseNetworks: [IPNetwork], ttl: UInt32 = 30, nameServerIP: IPAddress? = nil) {
        self.clusterDomain = clusterDomain.lowercased
        self.reverseNetworks = reverseNetworks
        self.ttl = ttl
        self.nameServerIP = nameServerIP
    }
}

public enum ZoneBuilder {
    public static let schemaVersion = "1.1.0"

    /// - Parameter serial: the SOA serial (the caller's change counter or clock).
    public static func build(services: [Service], endpoints: [Endpoints], settings: ZoneSettings,
                             serial: UInt32) -> ZoneSnapshot {
        let domain = settings.clusterDomain
        let nameServer = name(["ns", "dns"], domain)!
        let mailbox = name(["hostmaster"], domain)!
        let apexes = [domain] + settings.reverseNetworks.flatMap { $0.reverseZones ?? [] }
        var seen = Set<DNSName>()
        let zones = apexes.filter { seen.insert($0).inserted }.map { apex in
            ZoneSnapshot.Zone(apex: apex, soa: ResourceRecord(name: apex, ttl: settings.ttl, data: .soa(StartOfAuthority(
                primary: nameServer, mailbox: mailbox, serial: serial, refresh: 7200, retry: 1800, expire: 86400,
                minimum: settings.ttl))))
        }
        let svcZone = name(["svc"], domain)!
        let podZone = name(["pod"], domain)!
        var snapshot = ZoneSnapshot(zones: zones, podZone: podZone, ttl: settings.ttl)
        for zone in zones {
            snapshot.add(zone.soa)
            snapshot.add(ResourceRecord(name: zone.apex, ttl: settings.ttl, data: .ns(nameServer)))
        }
        if let ip = settings.nameServerIP { snapshot.add(address(nameServer, ip, settings.ttl)) }
        snapshot.add(ResourceRecord(name: name(["dns-version"], domain)!, ttl: settings.ttl,
                                    data: .txt([Array(schemaVersion.utf8)])))
        snapshot.addEmptyNonTerminal(svcZone)
        snapshot.addEmptyNonTerminal(podZone)

        var endpointsByKey: [String: Endpoints] = [:]
        for item in endpoints {
            guard let meta = item.metadata, let name = meta.name, let namespace = meta.namespace else { continue }
            endpointsByKey["\(namespace)/\(name)"] = item
        }
        let ordered = services.sorted { key($0) < key($1) }
        for service in ordered {
            guard let meta = service.metadata, let serviceName = meta.name, let namespace = meta.namespace,
                  let spec = service.spec, let base = name([serviceName, namespace], svcZone) else { continue }
            if spec.type == "ExternalName" {
                if let target = spec.externalName.flatMap({ try? DNSName($0) }), target.wire.count > 1 {
                    snapshot.add(ResourceRecord(name: base, ttl: settings.ttl, data: .cname(target)))
                }
                continue
            }
            if spec.clusterIP == "None" {
                addHeadless(base, service, endpointsByKey["\(namespace)/\(serviceName)"], settings, &snapshot)
            } else {
                addClusterIP(base, spec, settings, &snapshot)
            }
        }
        return snapshot
    }

    private static func addClusterIP(_ base: DNSName, _ spec: ServiceSpec, _ settings: ZoneSettings,
                                     _ snapshot: inout ZoneSnapshot) {
        let texts = spec.clusterIPs.isEmpty ? [spec.clusterIP ?? ""] : spec.clusterIPs
        let ips = texts.compactMap(IPAddress.init)
        // Not yet allocated: the service has no name until it has an address.
        guard !ips.isEmpty else { return }
        for ip in ips {
            snapshot.add(address(base, ip, settings.ttl))
            snapshot.add(ResourceRecord(name: ip.reverseName, ttl: settings.ttl, data: .ptr(base)))
        }
        for port in spec.ports {
            guard let portName = port.name, !portName.isEmpty, let number = port.port, let owner = srvName(portName, port.protocol, base)
            else { continue }
            snapshot.add(ResourceRecord(name: owner, ttl: settings.ttl,
                                        data: .srv(priority: 0, weight: 100, port: UInt16(truncatingIfNeeded: number), target: base)))
        }
    }

    private static func addHeadless(_ base: DNSName, _ service: Service, _ endpoints: Endpoints?, _ settings: ZoneSettings,
                                    _ snapshot: inout ZoneSnapshot) {
        guard let endpoints else { return }
        let publishNotReady = service.spec?.publishNotReadyAddresses == true
            || service.metadata?.annotations["service.alpha.kubernetes.io/tolerate-unready-endpoints"] == "true"
        // SRV records per owner name, weighted once all are known.
        var services: [DNSName: [(port: UInt16, target: DNSName)]] = [:]
        var owners: [DNSName] = []
        for subset in endpoints.subsets {
            let addresses = subset.addresses + (publishNotReady ? subset.notReadyAddresses : [])
            for endpoint in addresses {
                guard let ip = endpoint.ip.flatMap(IPAddress.init) else { continue }
                snapshot.add(address(base, ip, settings.ttl))
                let explicit = endpoint.hostname.flatMap { $0.isEmpty ? nil : name([$0], base) }
                guard let host = explicit ?? name([ip.dashedLabel], base) else { continue }
                snapshot.add(address(host, ip, settings.ttl))
                if explicit != nil {
                    snapshot.add(ResourceRecord(name: ip.reverseName, ttl: settings.ttl, data: .ptr(host)))
                }
                for port in subset.ports {
                    guard let portName = port.name, !portName.isEmpty, let number = port.port,
                          let owner = srvName(portName, port.protocol, base) else { continue }
                    if services[owner] == nil { owners.append(owner) }
                    let entry = (UInt16(truncatingIfNeeded: number), host)
                    if !(services[owner] ?? []).contains(where: { $0.port == entry.0 && $0.target == host }) {
                        services[owner, default: []].append(entry)
                    }
                }
            }
        }
        for owner in owners {
            let entries = services[owner] ?? []
            // Equal shares of 100, as RFC 2782 weights among records of one priority.
            let weight = UInt16(max(1, 100 / max(1, entries.count)))
            for entry in entries {
                snapshot.add(ResourceRecord(name: owner, ttl: settings.ttl,
                                            data: .srv(priority: 0, weight: weight, port: entry.port, target: entry.target)))
            }
        }
    }

    /// `_PORT._PROTO.base`, the protocol lower-cased (TCP by default).
    private static func srvName(_ port: String, _ proto: String?, _ base: DNSName) -> DNSName? {
        name(["_" + port.lowercased(), "_" + (proto ?? "TCP").lowercased()], base)
    }

    private static func address(_ owner: DNSName, _ ip: IPAddress, _ ttl: UInt32) -> ResourceRecord {
        ResourceRecord(name: owner, ttl: ttl, data: ip.isIPv4 ? .a(ip) : .aaaa(ip))
    }

    /// `labels.suffix`, or nil when that is not a valid name: each label letters, digits,
    /// hyphens and (for SRV's service and protocol labels) underscores.
    private static func name(_ labels: [String], _ suffix: DNSName) -> DNSName? {
        let lowered = labels.map { Array($0.lowercased().utf8) }
        for label in lowered where !label.allSatisfy(isHostnameByte) { return nil }
        return try? DNSName(labels: lowered + suffix.labels.map(Array.init))
    }

    private static func isHostnameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    private static func key(_ service: Service) -> String {
        "\(service.metadata?.namespace ?? "")/\(service.metadata?.name ?? "")"
    }
}
