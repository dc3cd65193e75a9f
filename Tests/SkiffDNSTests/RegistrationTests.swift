/// KubeDNSRegistration's pure decisions: the Service it wants, and its address in and out of
/// shared Endpoints without touching anyone else's.
@testable import SkiffDNS
import SkiffWire
import Testing

@Suite struct RegistrationTests {
    let me = KubeDNSRegistration(serviceIP: IPAddress("10.96.0.10")!, address: IPAddress("10.250.0.11")!, port: 53)
    let other = KubeDNSRegistration(serviceIP: IPAddress("10.96.0.10")!, address: IPAddress("10.250.0.12")!, port: 53)

    @Test func desiredServiceIsKubeDNS() {
        let service = KubeDNSRegistration.desiredService(serviceIP: IPAddress("10.96.0.10")!)
        #expect(service.metadata?.name == "kube-dns")
        #expect(service.metadata?.namespace == "kube-system")
        #expect(service.metadata?.labels == ["k8s-app": "kube-dns"])
        #expect(service.spec?.clusterIP == "10.96.0.10")
        #expect(service.spec?.selector.isEmpty == true)
        #expect(service.spec?.ports.map { "\($0.name!)/\($0.port!)/\($0.protocol!)" } == ["dns/53/UDP", "dns-tcp/53/TCP"])
    }

    @Test func addingIsIdempotentAndSharesTheSubset() throws {
        let empty = Endpoints(metadata: ObjectMeta(name: "kube-dns", namespace: "kube-system"))
        let mine = try #require(me.adding(to: empty))
        #expect(me.adding(to: mine) == nil)
        let both = try #require(other.adding(to: mine))
        #expect(both.subsets.count == 1)
        #expect(both.subsets[0].addresses.map(\.ip) == ["10.250.0.11", "10.250.0.12"])
        #expect(both.subsets[0].ports.map(\.name) == ["dns", "dns-tcp"])
    }

    @Test func addingPromotesANotReadyAddress() throws {
        var endpoints = Endpoints(metadata: ObjectMeta(name: "kube-dns", namespace: "kube-system"))
        endpoints = try #require(me.adding(to: endpoints))
        endpoints.subsets[0].notReadyAddresses = endpoints.subsets[0].addresses
        endpoints.subsets[0].addresses = []
        let ready = try #require(me.adding(to: endpoints))
        #expect(ready.subsets[0].addresses.map(\.ip) == ["10.250.0.11"])
        #expect(ready.subsets[0].notReadyAddresses.isEmpty)
    }

    @Test func removingTakesOnlyItsOwnAddress() throws {
        let empty = Endpoints(metadata: ObjectMeta(name: "kube-dns", namespace: "kube-system"))
        let mine = try #require(me.adding(to: empty))
        let both = try #require(other.adding(to: mine))
        let left = try #require(me.removing(from: both))
        #expect(left.subsets.flatMap(\.addresses).map(\.ip) == ["10.250.0.12"])
        #expect(me.removing(from: left) == nil)
        let none = try #require(other.removing(from: left))
        #expect(none.subsets.isEmpty)
    }

    @Test func differentPortsGetTheirOwnSubset() throws {
        let elsewhere = KubeDNSRegistration(serviceIP: IPAddress("10.96.0.10")!, address: IPAddress("10.250.0.13")!, port: 5353)
        let empty = Endpoints(metadata: ObjectMeta(name: "kube-dns", namespace: "kube-system"))
        let mine = try #require(me.adding(to: empty))
        let both = try #require(elsewhere.adding(to: mine))
        #expect(both.subsets.count == 2)
        #expect(both.subsets[1].ports.map(\.port) == [5353, 5353])
    }
}
