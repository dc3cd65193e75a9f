/// DNSHarnesses: the cluster DNS server's parsers. Any pod can send a query, so the query path
/// (QueryAnswerer, which reads queries in place through raw pointers) is fed every byte string;
/// the forwarder's upstream replies go through the strict DNSMessage parser and CNAMEChase.
///
/// Concurrency: pure; the answer table is built once and only read. Must never: open a socket.
import SkiffDNS
import SkiffWire

enum DNSHarnesses {
    /// A small cluster zone: a ClusterIP service, a headless one with pods, an ExternalName.
    static let table: AnswerTable = {
        let settings = ZoneSettings(clusterDomain: try! DNSName("cluster.local"),
                                    reverseNetworks: [IPNetwork("10.96.0.0/16")!, IPNetwork("10.244.0.0/16")!],
                                    ttl: 30, nameServerIP: IPAddress("10.96.0.10"))
        let services = [
            Service(metadata: ObjectMeta(name: "web", namespace: "default"),
                    spec: ServiceSpec(ports: [ServicePort(name: "http", protocol: "TCP", port: 80)], clusterIP: "10.96.0.20")),
            Service(metadata: ObjectMeta(name: "db", namespace: "default"),
                    spec: ServiceSpec(ports: [ServicePort(name: "pg", port: 5432)], clusterIP: "None")),
            Service(metadata: ObjectMeta(name: "ext", namespace: "default"),
                    spec: ServiceSpec(type: "ExternalName", externalName: "www.example.com")),
        ]
        let endpoints = [
            Endpoints(metadata: ObjectMeta(name: "db", namespace: "default"),
                      subsets: [EndpointSubset(addresses: [EndpointAddress(ip: "10.244.1.5", hostname: "db-0")],
                                               ports: [EndpointPort(name: "pg", port: 5432, protocol: "TCP")])]),
        ]
        return AnswerTable(ZoneBuilder.build(services: services, endpoints: endpoints, settings: settings, serial: 1))
    }()

    static let query = FuzzHarness("dns-query", "QueryAnswerer on a query (UDP and TCP); a response fits its limit, keeps the ID and parses",
                                   seeds: { FuzzSeeds.dnsQueries }) { bytes in
        var answered = false
        for transport in [Transport.udp, .tcp] {
            let (outcome, response) = QueryAnswerer.answer(Array(bytes), table: table, options: AnswerOptions(forwarding: true),
                                                           transport: transport)
            // Relaying a name outside the zones is an answer too; only a dropped query is refused input.
            if outcome != .drop { answered = true }
            guard case .respond = outcome else { continue }
            FuzzInvariant.check(response.count >= 12 && response[0] == bytes[0] && response[1] == bytes[1],
                                "dns-query", "a response that does not carry the query's ID")
            FuzzInvariant.check(transport == .tcp || response.count <= AnswerOptions().maxUDPSize,
                                "dns-query", "a UDP response of \(response.count) bytes")
            do {
                let parsed = try DNSMessage(parsing: response)
                FuzzInvariant.check(parsed.flags.isResponse, "dns-query", "a response without QR")
            } catch {
                fatalError("dns-query: the server's own response does not parse: \(error)")
            }
        }
        return answered
    }

    /// The local answer to `ext.default.svc.cluster.local A`: a CNAME out of the zone.
    static let chaseQuery = DNSMessage.query(id: 7, name: try! DNSName("ext.default.svc.cluster.local"), type: .a).encoded()
    static let chaseAnswer = QueryAnswerer.answer(chaseQuery, table: table, options: AnswerOptions(forwarding: true)).bytes

    static let message = FuzzHarness("dns-message", "DNSMessage parse (upstream replies); re-encodes to an equal message; CNAMEChase merge stays in 512 bytes",
                                     seeds: { FuzzSeeds.dnsMessages }) { bytes in
        let input = Array(bytes)
        let parsed = try? DNSMessage(parsing: input)
        if let parsed {
            let encoded = parsed.encoded()
            let again: DNSMessage
            do { again = try DNSMessage(parsing: encoded) } catch {
                fatalError("dns-message: an encoded message does not parse: \(error)")
            }
            FuzzInvariant.check(again == parsed, "dns-message", "changed in a round trip")
        }
        let merged = CNAMEChase.merge(clientQuery: chaseQuery, answered: chaseAnswer, upstream: input, transport: .udp,
                                      options: AnswerOptions(forwarding: true))
        FuzzInvariant.check(merged.count <= 512, "dns-message", "a merged UDP answer of \(merged.count) bytes")
        return parsed != nil
    }
}
