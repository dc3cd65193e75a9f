import SkiffAPI
import SkiffValidation
import SkiffWire
import Testing

/// Services and Endpoints: ports, types, cluster IPs, node ports, affinity, addresses.
@Suite struct ValidationServiceTests {
    static let services: [Change<Service>] = [
        Change("no ports", [.required("spec.ports")]) { $0.spec?.ports = [] },
        Change("headless without ports", []) {
            $0.spec?.ports = []
            $0.spec?.clusterIP = "None"
            $0.spec?.clusterIPs = ["None"]
        },
        Change("port 0", [.invalid("spec.ports[0].port")]) { $0.spec?.ports[0].port = 0 },
        Change("two unnamed ports", [.required("spec.ports[0].name"), .required("spec.ports[1].name")]) {
            $0.spec?.ports = [ServicePort(protocol: "TCP", port: 80, targetPort: 8080),
                              ServicePort(protocol: "TCP", port: 443, targetPort: 8443)]
        },
        Change("two ports with one name", [.duplicate("spec.ports[1].name")]) {
            $0.spec?.ports.append(ServicePort(name: "http", protocol: "TCP", port: 8080, targetPort: 8080))
        },
        Change("one port twice", [.duplicate("spec.ports[1]")]) {
            $0.spec?.ports.append(ServicePort(name: "http-alt", protocol: "TCP", port: 80, targetPort: 8081))
        },
        Change("one port over two protocols", []) {
            $0.spec?.ports.append(ServicePort(name: "http-udp", protocol: "UDP", port: 80, targetPort: 8080))
        },
        Change("port name not a label", [.invalid("spec.ports[0].name")]) { $0.spec?.ports[0].name = "HTTP" },
        Change("protocol unknown", [.notSupported("spec.ports[0].protocol")]) { $0.spec?.ports[0].protocol = "HTTP" },
        Change("target port 0", [.invalid("spec.ports[0].targetPort")]) { $0.spec?.ports[0].targetPort = 0 },
        Change("target port by a bad name", [.invalid("spec.ports[0].targetPort")]) { $0.spec?.ports[0].targetPort = "http_web" },
        Change("target port by name", []) { $0.spec?.ports[0].targetPort = "http-web" },
        Change("node port on a ClusterIP service", [.forbidden("spec.ports[0].nodePort")]) { $0.spec?.ports[0].nodePort = 30080 },
        Change("NodePort service on a node port", []) {
            $0.spec?.type = "NodePort"
            $0.spec?.externalTrafficPolicy = "Cluster"
            $0.spec?.ports[0].nodePort = 30080
        },
        Change("node port outside the range", [.invalid("spec.ports[0].nodePort")]) {
            $0.spec?.type = "NodePort"
            $0.spec?.externalTrafficPolicy = "Cluster"
            $0.spec?.ports[0].nodePort = 8080
        },
        Change("NodePort without its traffic policy", [.required("spec.externalTrafficPolicy")]) { $0.spec?.type = "NodePort" },
        Change("external traffic policy on an internal service", [.invalid("spec.externalTrafficPolicy")]) {
            $0.spec?.externalTrafficPolicy = "Local"
        },
        Change("type unknown", [.notSupported("spec.type")]) { $0.spec?.type = "Internal" },
        Change("type not defaulted", [.required("spec.type")]) { $0.spec?.type = nil },
        Change("LoadBalancer that is headless", [.invalid("spec.clusterIP")]) {
            $0.spec?.type = "LoadBalancer"
            $0.spec?.externalTrafficPolicy = "Cluster"
            $0.spec?.clusterIP = "None"
            $0.spec?.clusterIPs = ["None"]
        },
        Change("ExternalName without a name", [.required("spec.externalName")]) {
            $0.spec = ServiceSpec(type: "ExternalName", sessionAffinity: "None")
        },
        Change("ExternalName with a cluster IP", [.forbidden("spec.clusterIP")]) {
            $0.spec?.type = "ExternalName"
            $0.spec?.externalName = "db.example.com."
            $0.spec?.internalTrafficPolicy = nil
        },
        Change("affinity unknown", [.notSupported("spec.sessionAffinity")]) { $0.spec?.sessionAffinity = "Sticky" },
        Change("ClientIP affinity without its timeout", [.required("spec.sessionAffinityConfig")]) {
            $0.spec?.sessionAffinity = "ClientIP"
        },
        Change("ClientIP affinity for no time", [.invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds")]) {
            $0.spec?.sessionAffinity = "ClientIP"
            $0.spec?.sessionAffinityConfig = SessionAffinityConfig(clientIP: ClientIPConfig(timeoutSeconds: 0))
        },
        Change("affinity config without affinity", [.forbidden("spec.sessionAffinityConfig")]) {
            $0.spec?.sessionAffinityConfig = SessionAffinityConfig(clientIP: ClientIPConfig(timeoutSeconds: 10800))
        },
        Change("cluster IP out of range", [.invalid("spec.clusterIP"), .invalid("spec.clusterIPs[0]")]) {
            $0.spec?.clusterIP = "10.96.0.300"
            $0.spec?.clusterIPs = ["10.96.0.300"]
        },
        Change("cluster IP with leading zeros", [.invalid("spec.clusterIP"), .invalid("spec.clusterIPs[0]")]) {
            $0.spec?.clusterIP = "10.96.0.010"
            $0.spec?.clusterIPs = ["10.96.0.010"]
        },
        Change("IPv6 cluster IP", []) {
            $0.spec?.clusterIP = "fd00:10:96::a"
            $0.spec?.clusterIPs = ["fd00:10:96::a"]
        },
        Change("IPv6 cluster IP not canonical", [.invalid("spec.clusterIP"), .invalid("spec.clusterIPs[0]")]) {
            $0.spec?.clusterIP = "fd00:10:96:0:0:0:0:a"
            $0.spec?.clusterIPs = ["fd00:10:96:0:0:0:0:a"]
        },
        Change("cluster IPs not led by the cluster IP", [.invalid("spec.clusterIPs")]) { $0.spec?.clusterIPs = ["10.96.0.11"] },
        Change("external IP on loopback", [.invalid("spec.externalIPs[0]"), .required("spec.externalTrafficPolicy")]) {
            $0.spec?.externalIPs = ["127.0.0.1"]
        },
        Change("source ranges on a ClusterIP service", [.forbidden("spec.loadBalancerSourceRanges")]) {
            $0.spec?.loadBalancerSourceRanges = ["10.0.0.0/8"]
        },
        Change("selector value invalid", [.invalid("spec.selector")]) { $0.spec?.selector["app"] = "web!" },
    ]

    @Test(arguments: services)
    func creatingServices(_ change: Change<Service>) {
        expectCreate(change.applied(to: Fixtures.service), change.expected)
    }

    static let serviceUpdates: [Change<Service>] = [
        Change("another port", []) { $0.spec?.ports[0].port = 8000 },
        Change("another cluster IP", [.invalid("spec.clusterIP"), .invalid("spec.clusterIPs")]) {
            $0.spec?.clusterIP = "10.96.0.20"
        },
        Change("cluster IP left out", []) {
            $0.spec?.clusterIP = nil
            $0.spec?.clusterIPs = []
        },
        Change("turned into ExternalName", []) {
            $0.spec = ServiceSpec(type: "ExternalName", sessionAffinity: "None", externalName: "db.example.com")
        },
    ]

    @Test(arguments: serviceUpdates)
    func updatingServices(_ change: Change<Service>) {
        expectUpdate(change.applied(to: Fixtures.service), from: Fixtures.service, change.expected)
    }

    static let endpoints: [Change<Endpoints>] = [
        Change("subset without addresses", [.required("subsets[0]")]) { $0.subsets[0].addresses = [] },
        Change("not-ready addresses only", []) {
            $0.subsets[0].notReadyAddresses = $0.subsets[0].addresses
            $0.subsets[0].addresses = []
        },
        Change("address that is no IP", [.invalid("subsets[0].addresses[0].ip")]) { $0.subsets[0].addresses[0].ip = "web-1" },
        Change("loopback address", [.invalid("subsets[0].addresses[0].ip")]) { $0.subsets[0].addresses[0].ip = "127.0.0.1" },
        Change("link-local address", [.invalid("subsets[0].addresses[0].ip")]) { $0.subsets[0].addresses[0].ip = "169.254.169.254" },
        Change("hostname not a label", [.invalid("subsets[0].addresses[0].hostname")]) {
            $0.subsets[0].addresses[0].hostname = "web.1"
        },
        Change("two unnamed ports", [.required("subsets[0].ports[0].name"), .required("subsets[0].ports[1].name")]) {
            $0.subsets[0].ports = [EndpointPort(port: 80, protocol: "TCP"), EndpointPort(port: 443, protocol: "TCP")]
        },
        Change("port out of range", [.invalid("subsets[0].ports[0].port")]) { $0.subsets[0].ports[0].port = 65536 },
    ]

    @Test(arguments: endpoints)
    func creatingEndpoints(_ change: Change<Endpoints>) {
        expectCreate(change.applied(to: Fixtures.endpoints), change.expected)
    }
}
