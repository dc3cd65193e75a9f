/// The proxy's decision as a table: which Services and Endpoints become which rules.
import SkiffAPI
import SkiffProxy
import SkiffWire
import Testing

@Suite("ServiceRules: Services and Endpoints to forwarding rules")
struct ServiceRulesTests {
    let range = IPv4Range("10.96.0.0/16")!

    @Test("a ClusterIP service gets its ready addresses at the endpoints port; notReadyAddresses get nothing")
    func readyOnly() {
        let rules = ServiceRules.build(
            services: [Fixtures.service("web")],
            endpoints: [Fixtures.endpoints("web", ready: ["10.244.1.3", "10.244.1.2"], notReady: ["10.244.1.4"])],
            serviceCIDR: range)
        #expect(rules == [Fixtures.rule("web", backends: ["10.244.1.2:8080", "10.244.1.3:8080"])])
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var testDescription: String
        var service: Service
        var endpoints: [Endpoints]
        var expected: [ServicePortRule]
    }

    static let cases: [Case] = [
        Case(testDescription: "headless services are ignored",
             service: Fixtures.service("h", clusterIP: "None"), endpoints: [Fixtures.endpoints("h", ready: ["10.244.1.2"])],
             expected: []),
        Case(testDescription: "ExternalName services are ignored",
             service: Fixtures.service("x", clusterIP: nil, type: "ExternalName"), endpoints: [], expected: []),
        Case(testDescription: "a service without an address yet is ignored",
             service: Fixtures.service("n", clusterIP: nil), endpoints: [], expected: []),
        Case(testDescription: "a VIP outside the service range is never captured",
             service: Fixtures.service("o", clusterIP: "10.97.0.1"), endpoints: [Fixtures.endpoints("o", ready: ["10.244.1.2"])],
             expected: []),
        Case(testDescription: "no Endpoints object: a rule without backends (refused)",
             service: Fixtures.service("e"), endpoints: [],
             expected: [Fixtures.rule("e", backends: [])]),
        Case(testDescription: "ports meet by name and protocol",
             service: Fixtures.service("m", ports: [Fixtures.port("http", 80), Fixtures.port("dns", 53, protocol: "UDP")]),
             endpoints: [Fixtures.endpoints("m", ready: ["10.244.1.2"], ports: [
                EndpointPort(name: "http", port: 8080), EndpointPort(name: "dns", port: 5353, protocol: "UDP"),
                EndpointPort(name: "dns", port: 5354, protocol: "TCP"),
             ])],
             expected: [
                ServicePortRule(namespace: "default", name: "m", portName: "http", clusterIP: IPv4Address("10.96.0.20")!,
                                port: 80, backends: [Fixtures.backend("10.244.1.2:8080")]),
                ServicePortRule(namespace: "default", name: "m", portName: "dns", transport: .udp, clusterIP: IPv4Address("10.96.0.20")!,
                                port: 53, backends: [Fixtures.backend("10.244.1.2:5353")]),
             ]),
        Case(testDescription: "SCTP ports are skipped",
             service: Fixtures.service("s", ports: [Fixtures.port(nil, 9, protocol: "SCTP")]), endpoints: [], expected: []),
        Case(testDescription: "NodePort services carry their node ports; ClusterIP ones never do",
             service: Fixtures.service("np", type: "NodePort", ports: [Fixtures.port(nil, 80, nodePort: 30080)]),
             endpoints: [Fixtures.endpoints("np", ready: ["10.244.1.2"])],
             expected: [Fixtures.rule("np", nodePort: 30080, backends: ["10.244.1.2:8080"])]),
        Case(testDescription: "a stray nodePort on a ClusterIP service is not served",
             service: Fixtures.service("cp", ports: [Fixtures.port(nil, 80, nodePort: 30081)]),
             endpoints: [Fixtures.endpoints("cp", ready: ["10.244.1.2"])],
             expected: [Fixtures.rule("cp", backends: ["10.244.1.2:8080"])]),
        Case(testDescription: "ClientIP affinity defaults to 10800 seconds",
             service: Fixtures.service("a", affinity: "ClientIP"), endpoints: [Fixtures.endpoints("a", ready: ["10.244.1.2"])],
             expected: [Fixtures.rule("a", backends: ["10.244.1.2:8080"], affinity: 10800)]),
        Case(testDescription: "ClientIP affinity takes its configured timeout",
             service: Fixtures.service("a", affinity: "ClientIP", affinitySeconds: 60),
             endpoints: [Fixtures.endpoints("a", ready: ["10.244.1.2"])],
             expected: [Fixtures.rule("a", backends: ["10.244.1.2:8080"], affinity: 60)]),
        Case(testDescription: "Endpoints of another namespace do not count",
             service: Fixtures.service("w"), endpoints: [Fixtures.endpoints("w", namespace: "other", ready: ["10.244.1.2"])],
             expected: [Fixtures.rule("w", backends: [])]),
    ]

    @Test(arguments: cases)
    func table(_ example: Case) {
        #expect(ServiceRules.build(services: [example.service], endpoints: example.endpoints, serviceCIDR: range) == example.expected)
    }

    @Test("addresses listed in two subsets appear once")
    func duplicates() {
        var endpoints = Fixtures.endpoints("web", ready: ["10.244.1.2"])
        endpoints.subsets.append(EndpointSubset(addresses: [EndpointAddress(ip: "10.244.1.2"), EndpointAddress(ip: "10.244.2.2")],
                                                ports: [EndpointPort(port: 8080)]))
        let rules = ServiceRules.build(services: [Fixtures.service("web")], endpoints: [endpoints], serviceCIDR: range)
        #expect(rules.first?.backends == [Fixtures.backend("10.244.1.2:8080"), Fixtures.backend("10.244.2.2:8080")])
    }
}
