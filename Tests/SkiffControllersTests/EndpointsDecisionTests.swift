/// EndpointsDecision: which pods become a Service's addresses, ready or not, on which ports.
import Testing
import SkiffControllers
import SkiffWire

@Suite struct EndpointsDecisionTests {
    static func service(_ ports: [ServicePort] = [ServicePort(name: "http", port: 80, targetPort: .int(8080))],
                        clusterIP: String = "10.96.0.20", publishNotReady: Bool = false) -> Service {
        Service(metadata: ObjectMeta(name: "web", namespace: "default", labels: ["tier": "front"]),
                spec: ServiceSpec(ports: ports, selector: ["app": "web"], clusterIP: clusterIP,
                                  publishNotReadyAddresses: publishNotReady))
    }

    static func pod(_ name: String, ip: String?, ready: Bool = true, phase: String = "Running", deleting: Bool = false,
                    labels: [String: String] = ["app": "web"], ports: [ContainerPort] = []) -> Pod {
        var pod = Fixtures.pod(name, labels: labels, owner: nil, phase: phase, ready: ready, deleting: deleting)
        pod.status?.podIP = ip
        pod.spec?.containers = [Container(name: "c", image: "busybox", ports: ports)]
        return pod
    }

    static func ips(_ addresses: [EndpointAddress]) -> [String] { addresses.compactMap(\.ip) }

    @Test func readyPodsAreAddressesAndTheRestNotReadyAddresses() {
        let pods = [Self.pod("b", ip: "10.244.1.12"), Self.pod("a", ip: "10.244.1.3"),
                    Self.pod("slow", ip: "10.244.2.7", ready: false)]
        let endpoints = EndpointsDecision.desired(for: Self.service(), pods: pods)
        #expect(endpoints.subsets.count == 1)
        let subset = endpoints.subsets[0]
        #expect(Self.ips(subset.addresses) == ["10.244.1.3", "10.244.1.12"])  // numeric order, not text
        #expect(Self.ips(subset.notReadyAddresses) == ["10.244.2.7"])
        #expect(subset.ports == [EndpointPort(name: "http", port: 8080, protocol: "TCP")])
        #expect(subset.addresses[0].targetRef == ObjectReference(kind: "Pod", namespace: "default", name: "a", uid: "uid-a"))
        #expect(subset.addresses[0].nodeName == "node-1")
        #expect(endpoints.metadata?.labels == ["tier": "front", EndpointsDecision.managedByLabel: EndpointsDecision.managedByValue])
    }

    @Test(arguments: [
        ("no IP yet", Self.pod("p", ip: nil)),
        ("finished", Self.pod("p", ip: "10.244.1.5", phase: "Succeeded")),
        ("failed", Self.pod("p", ip: "10.244.1.5", phase: "Failed")),
        ("being deleted", Self.pod("p", ip: "10.244.1.5", deleting: true)),
        ("not selected", Self.pod("p", ip: "10.244.1.5", labels: ["app": "db"])),
    ])
    func podsThatCannotServeAreLeftOut(_ why: String, pod: Pod) {
        #expect(EndpointsDecision.desired(for: Self.service(), pods: [pod]).subsets.isEmpty, "\(why)")
    }

    @Test func publishNotReadyAddressesMakesEveryPodReady() {
        let endpoints = EndpointsDecision.desired(for: Self.service(publishNotReady: true),
                                                  pods: [Self.pod("slow", ip: "10.244.2.7", ready: false)])
        #expect(Self.ips(endpoints.subsets.first?.addresses ?? []) == ["10.244.2.7"])
        #expect(endpoints.subsets.first?.notReadyAddresses == [])
    }

    @Test func aNamedTargetPortIsLookedUpPerPodAndPodsWithoutItAreSkipped() {
        let service = Self.service([ServicePort(name: "http", protocol: "TCP", port: 80, targetPort: .string("web"))])
        let pods = [
            Self.pod("old", ip: "10.244.1.2", ports: [ContainerPort(name: "web", containerPort: 8080)]),
            Self.pod("new", ip: "10.244.1.3", ports: [ContainerPort(name: "web", containerPort: 9090)]),
            Self.pod("udp", ip: "10.244.1.4", ports: [ContainerPort(name: "web", containerPort: 8080, protocol: "UDP")]),
            Self.pod("none", ip: "10.244.1.5"),
        ]
        let subsets = EndpointsDecision.desired(for: service, pods: pods).subsets
        // Different port numbers make different subsets; the UDP-only and portless pods serve nothing.
        #expect(subsets.map { Self.ips($0.addresses) } == [["10.244.1.2"], ["10.244.1.3"]])
        #expect(subsets.map { $0.ports.first?.port } == [8080, 9090])
    }

    @Test func aHeadlessServiceIsLabelledAndPublishesHostnamesOfItsSubdomain() {
        var member = Self.pod("web-0", ip: "10.244.1.9")
        member.spec?.hostname = "web-0"
        member.spec?.subdomain = "web"
        var stranger = Self.pod("x", ip: "10.244.1.10")
        stranger.spec?.hostname = "x"
        stranger.spec?.subdomain = "other"
        let endpoints = EndpointsDecision.desired(for: Self.service([], clusterIP: "None"), pods: [member, stranger])
        #expect(endpoints.metadata?.labels[EndpointsDecision.headlessLabel] == "")
        let addresses = endpoints.subsets.first?.addresses ?? []
        #expect(addresses.map(\.hostname) == ["web-0", nil])
        #expect(endpoints.subsets.first?.ports == [])
    }

    @Test func onlyServicesWithASelectorAreManaged() {
        var manual = Self.service()
        manual.spec?.selector = [:]
        var external = Self.service()
        external.spec?.type = "ExternalName"
        #expect(EndpointsDecision.manages(Self.service()))
        #expect(!EndpointsDecision.manages(manual))
        #expect(!EndpointsDecision.manages(external))
    }

    @Test func theSameClusterGivesTheSameEndpoints() {
        let pods = [Self.pod("a", ip: "10.244.1.3"), Self.pod("b", ip: "10.244.1.2", ready: false)]
        let once = EndpointsDecision.desired(for: Self.service(), pods: pods)
        let again = EndpointsDecision.desired(for: Self.service(), pods: pods.reversed())
        #expect(EndpointsDecision.isCurrent(once, again))
    }
}
