/// Builders for the Services and Endpoints the proxy's table tests feed in.
import SkiffAPI
import SkiffProxy
import SkiffWire

enum Fixtures {
    static let configuration = ProxyConfiguration(nodeName: "node-1", clusterCIDR: IPv4Range("10.244.0.0/16")!,
                                                  serviceCIDR: IPv4Range("10.96.0.0/16")!)

    static func service(_ name: String, namespace: String = "default", clusterIP: String? = "10.96.0.20", type: String? = nil,
                        ports: [ServicePort] = [port()], affinity: String? = nil, affinitySeconds: Int32? = nil) -> Service {
        var spec = ServiceSpec(ports: ports, clusterIP: clusterIP, type: type, sessionAffinity: affinity)
        if let affinitySeconds {
            spec.sessionAffinityConfig = SessionAffinityConfig(clientIP: ClientIPConfig(timeoutSeconds: affinitySeconds))
        }
        return Service(metadata: ObjectMeta(name: name, namespace: namespace), spec: spec)
    }

    static func port(_ name: String? = nil, _ port: Int32 = 80, protocol: String? = nil, nodePort: Int32? = nil) -> ServicePort {
        ServicePort(name: name, protocol: `protocol`, port: port, targetPort: nil, nodePort: nodePort)
    }

    static func endpoints(_ name: String, namespace: String = "default", ready: [String], notReady: [String] = [],
                          ports: [EndpointPort] = [EndpointPort(port: 8080)]) -> Endpoints {
        Endpoints(metadata: ObjectMeta(name: name, namespace: namespace), subsets: [
            EndpointSubset(addresses: ready.map { EndpointAddress(ip: $0) }, notReadyAddresses: notReady.map { EndpointAddress(ip: $0) },
                           ports: ports),
        ])
    }

    static func backend(_ text: String) -> Backend {
        let parts = text.split(separator: ":")
        return Backend(ip: IPv4Address(parts[0])!, port: UInt16(parts[1])!)
    }

    static func rule(_ name: String, vip: String = "10.96.0.20", port: UInt16 = 80, transport: TransportProtocol = .tcp,
                     nodePort: UInt16? = nil, backends: [String], affinity: Int? = nil) -> ServicePortRule {
        ServicePortRule(namespace: "default", name: name, transport: transport, clusterIP: IPv4Address(vip)!, port: port,
                        nodePort: nodePort, backends: backends.map(backend), affinitySeconds: affinity)
    }
}
