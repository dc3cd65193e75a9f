/// ZoneBuilder: Services and Endpoints to records, per the Kubernetes DNS specification.
@testable import SkiffDNS
import SkiffWire
import Testing

@Suite struct ZoneBuilderTests {
    let zone = Fixture.snapshot()

    func data(_ name: DNSName, _ type: RecordType) -> [RecordData] {
        zone.records(at: name, type: type).map(\.data)
    }

    @Test func clusterIPServiceHasAddressSRVAndPTR() {
        #expect(data("web.default.svc.cluster.local", .a) == [.a(IPAddress("10.96.0.20")!)])
        #expect(data("_http._tcp.web.default.svc.cluster.local", .srv)
                == [.srv(priority: 0, weight: 100, port: 80, target: "web.default.svc.cluster.local")])
        #expect(data("20.0.96.10.in-addr.arpa", .ptr) == [.ptr("web.default.svc.cluster.local")])
        // The unnamed UDP port has no SRV record.
        #expect(!zone.exists("_udp.web.default.svc.cluster.local"))
    }

    @Test func headlessServiceListsReadyEndpoints() {
        #expect(data("db.default.svc.cluster.local", .a) == [.a(IPAddress("10.244.1.5")!), .a(IPAddress("10.244.1.6")!)])
        #expect(data("db-0.db.default.svc.cluster.local", .a) == [.a(IPAddress("10.244.1.5")!)])
        #expect(data("10-244-1-6.db.default.svc.cluster.local", .a) == [.a(IPAddress("10.244.1.6")!)])
        #expect(data("_pg._tcp.db.default.svc.cluster.local", .srv) == [
            .srv(priority: 0, weight: 50, port: 5432, target: "db-0.db.default.svc.cluster.local"),
            .srv(priority: 0, weight: 50, port: 5432, target: "10-244-1-6.db.default.svc.cluster.local"),
        ])
        // PTR only for the endpoint with a hostname; nothing for the not-ready one.
        #expect(data("5.1.244.10.in-addr.arpa", .ptr) == [.ptr("db-0.db.default.svc.cluster.local")])
        #expect(data("6.1.244.10.in-addr.arpa", .ptr).isEmpty)
        #expect(!zone.exists("db-2.db.default.svc.cluster.local"))
    }

    @Test func publishNotReadyAddressesIncludesThem() {
        var services = Fixture.services
        services[1].spec?.publishNotReadyAddresses = true
        let zone = Fixture.snapshot(services: services)
        #expect(zone.records(at: "db-2.db.default.svc.cluster.local", type: .a).map(\.data) == [.a(IPAddress("10.244.1.7")!)])
        #expect(zone.records(at: "db.default.svc.cluster.local", type: .a).count == 3)
    }

    @Test func headlessWithoutReadyEndpointsDoesNotExist() {
        let zone = Fixture.snapshot(endpoints: [Fixture.endpoints("db", ready: [], notReady: [("10.244.1.7", nil)])])
        #expect(!zone.exists("db.default.svc.cluster.local"))
        #expect(zone.exists("default.svc.cluster.local"))  // web still lives there
    }

    @Test func externalNameIsACNAME() {
        #expect(data("ext.default.svc.cluster.local", .cname) == [.cname("www.example.com")])
    }

    @Test func zoneApexAndEmptyNonTerminals() {
        #expect(zone.records(at: "cluster.local", type: .soa).count == 1)
        #expect(data("cluster.local", .ns) == [.ns("ns.dns.cluster.local")])
        #expect(data("ns.dns.cluster.local", .a) == [.a(IPAddress("10.96.0.10")!)])
        #expect(data("dns-version.cluster.local", .txt) == [.txt([Array("1.1.0".utf8)])])
        #expect(zone.records(at: "96.10.in-addr.arpa", type: .soa).count == 1)
        for name: DNSName in ["svc.cluster.local", "pod.cluster.local", "default.svc.cluster.local",
                              "_tcp.web.default.svc.cluster.local"] {
            #expect(zone.exists(name), "\(name)")
        }
    }

    @Test(arguments: [
        ("no address yet", Fixture.service("pending", clusterIP: "")),
        ("bad address", Fixture.service("bad", clusterIP: "10.96.0.300")),
        ("name not a DNS label", Fixture.service("Bad_Name.x", clusterIP: "10.96.0.40")),
        ("externalName not a name", Fixture.service("e2", type: "ExternalName", externalName: "a..b")),
        ("no metadata", Service(spec: ServiceSpec(clusterIP: "10.96.0.41"))),
    ])
    func invalidObjectsAreSkipped(why: String, service: Service) {
        let zone = Fixture.snapshot(services: Fixture.services + [service])
        #expect(zone == Fixture.snapshot(), "\(why)")
    }

    @Test func serviceOutsideTheReverseZonesGetsNoPTR() {
        let zone = Fixture.snapshot(services: [Fixture.service("far", clusterIP: "172.16.0.1")])
        #expect(zone.records(at: "far.default.svc.cluster.local", type: .a).count == 1)
        #expect(!zone.exists("1.0.16.172.in-addr.arpa"))
    }
}
