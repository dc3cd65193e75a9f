/// Shared by the DNS tests: Services and Endpoints as the API holds them, the cluster's zone
/// settings, and queries in and parsed responses out.
@testable import SkiffDNS
import SkiffWire

enum Fixture {
    static let settings = ZoneSettings(clusterDomain: try! DNSName("cluster.local"),
                                       reverseNetworks: [IPNetwork("10.96.0.0/16")!, IPNetwork("10.244.0.0/16")!],
                                       ttl: 30, nameServerIP: IPAddress("10.96.0.10"))

    static func service(_ name: String, namespace: String = "default", clusterIP: String? = nil,
                        ports: [ServicePort] = [], type: String? = nil, externalName: String? = nil,
                        publishNotReady: Bool? = nil) -> Service {
        Service(metadata: ObjectMeta(name: name, namespace: namespace),
                spec: ServiceSpec(ports: ports, clusterIP: clusterIP, type: type, externalName: externalName,
                                  publishNotReadyAddresses: publishNotReady))
    }

    static func endpoints(_ name: String, namespace: String = "default", ready: [(String, String?)],
                          notReady: [(String, String?)] = [], ports: [EndpointPort] = []) -> Endpoints {
        Endpoints(metadata: ObjectMeta(name: name, namespace: namespace),
                  subsets: [EndpointSubset(addresses: ready.map { EndpointAddress(ip: $0.0, hostname: $0.1) },
                                           notReadyAddresses: notReady.map { EndpointAddress(ip: $0.0, hostname: $0.1) },
                                           ports: ports)])
    }

    /// A small cluster: a ClusterIP service with a named and an unnamed port, a headless service
    /// with a StatefulSet-like pod, a plain pod and a not-ready pod, an ExternalName service.
    static let services = [
        service("web", clusterIP: "10.96.0.20", ports: [ServicePort(name: "http", protocol: "TCP", port: 80),
                                                        ServicePort(protocol: "UDP", port: 9000)]),
        service("db", clusterIP: "None", ports: [ServicePort(name: "pg", port: 5432)]),
        service("ext", type: "ExternalName", externalName: "www.example.com"),
    ]
    static let endpoints = [
        endpoints("db", ready: [("10.244.1.5", "db-0"), ("10.244.1.6", nil)], notReady: [("10.244.1.7", "db-2")],
                  ports: [EndpointPort(name: "pg", port: 5432, protocol: "TCP")]),
    ]

    static func snapshot(services: [Service] = services, endpoints: [Endpoints] = endpoints) -> ZoneSnapshot {
        ZoneBuilder.build(services: services, endpoints: endpoints, settings: settings, serial: 7)
    }

    static func table(services: [Service] = services, endpoints: [Endpoints] = endpoints) -> AnswerTable {
        AnswerTable(snapshot(services: services, endpoints: endpoints))
    }

    static func query(_ name: String, _ type: RecordType, id: UInt16 = 0x1234, edns: UInt16? = nil) -> [UInt8] {
        DNSMessage.query(id: id, name: try! DNSName(name), type: type, ednsUDPSize: edns).encoded()
    }

    /// Answers `query` and parses the response (fails the test through a thrown error).
    static func ask(_ table: AnswerTable, _ query: [UInt8], transport: Transport = .udp,
                    options: AnswerOptions = AnswerOptions()) throws -> DNSMessage {
        let (outcome, bytes) = QueryAnswerer.answer(query, table: table, options: options, transport: transport)
        guard case .respond = outcome else { throw DNSParseError("no response: \(outcome)") }
        return try DNSMessage(parsing: bytes)
    }

    static func ask(_ table: AnswerTable, _ name: String, _ type: RecordType, edns: UInt16? = nil,
                    transport: Transport = .udp) throws -> DNSMessage {
        try ask(table, query(name, type, edns: edns), transport: transport)
    }
}

extension DNSName: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { try! self.init(value) }
}
