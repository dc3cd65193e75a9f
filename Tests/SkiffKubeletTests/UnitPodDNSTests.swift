// PodDNS: the resolv.conf each dnsPolicy gives a pod.
import Testing
@testable import SkiffKubelet
import SkiffWire

@Suite struct UnitPodDNSTests {
    static let cluster = ClusterDNS(servers: ["10.96.0.10"], domain: "cluster.local")
    static let node = "# the machine's\nnameserver 10.255.255.53\nsearch example.internal\noptions edns0\n"

    static func pod(policy: String? = nil, hostNetwork: Bool = false, config: PodDNSConfig? = nil) -> Pod {
        Pod(metadata: ObjectMeta(name: "p", namespace: "shop"),
            spec: PodSpec(dnsPolicy: policy, hostNetwork: hostNetwork, dnsConfig: config))
    }

    @Test(arguments: [
        ("ClusterFirst (default)", Self.pod(),
         "nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n"),
        ("ClusterFirst", Self.pod(policy: "ClusterFirst"),
         "nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n"),
        ("hostNetwork falls back to the node's", Self.pod(hostNetwork: true),
         "nameserver 10.255.255.53\nsearch example.internal\noptions edns0\n"),
        ("ClusterFirstWithHostNet", Self.pod(policy: "ClusterFirstWithHostNet", hostNetwork: true),
         "nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n"),
        ("Default", Self.pod(policy: "Default"), "nameserver 10.255.255.53\nsearch example.internal\noptions edns0\n"),
        ("None with dnsConfig", Self.pod(policy: "None", config: PodDNSConfig(nameservers: ["10.244.1.53"], searches: ["a.b"],
                                                                            options: [PodDNSConfigOption(name: "ndots", value: "2")])),
         "nameserver 10.244.1.53\nsearch a.b\noptions ndots:2\n"),
        ("ClusterFirst merged with dnsConfig", Self.pod(config: PodDNSConfig(searches: ["extra.example"],
                                                                              options: [PodDNSConfigOption(name: "ndots", value: "1"),
                                                                                        PodDNSConfigOption(name: "rotate")])),
         "nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local extra.example\noptions ndots:1 rotate\n"),
    ] as [(String, Pod, String)])
    func resolvConfByPolicy(_ what: String, pod: Pod, expected: String) {
        #expect(PodDNS.resolvConf(for: pod, cluster: Self.cluster, nodeResolver: Self.node) == expected, "\(what)")
    }

    @Test func aNodeWithoutClusterDNSGivesPodsItsOwnResolver() {
        let text = PodDNS.resolvConf(for: Self.pod(), cluster: ClusterDNS(servers: []), nodeResolver: Self.node)
        #expect(text == "nameserver 10.255.255.53\nsearch example.internal\noptions edns0\n")
    }
}
