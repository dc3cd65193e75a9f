/// KubeDNSRegistration: how a skiff-dns instance makes itself reachable at the cluster's DNS
/// address: it ensures the selector-less Service kube-system/kube-dns (clusterIP = the DNS
/// service IP, ports dns 53/UDP and dns-tcp 53/TCP, label k8s-app: kube-dns) and lists its own
/// address in that Service's Endpoints, so the per-node proxy forwards SERVICE_IP:53 to it; on a
/// graceful exit it takes its address out again. Several instances share the Endpoints, each
/// adding and removing only its own address (optimistic concurrency, retried on conflict).
///
/// The decisions (`desiredService`, `adding`, `removing`) are pure; `ensure` and `remove` apply
/// them through the API.
///
/// Concurrency: Sendable; call `ensure`/`remove` from one task at a time. Must never: change a
/// kube-dns Service someone else made with another clusterIP, or touch another instance's address.
import Logging
import SkiffAPI
import SkiffClient
import SkiffWire

public struct KubeDNSRegistration: Sendable {
    public static let namespace = "kube-system"
    public static let name = "kube-dns"
    public static let labels = ["k8s-app": "kube-dns"]

    public let serviceIP: IPAddress
    public let address: IPAddress
    /// The port this instance answers on (the Endpoints' port; the Service's is always 53).
    public let port: UInt16

    public init(serviceIP: IPAddress, address: IPAddress, port: UInt16) {
        self.serviceIP = serviceIP
        self.address = address
        self.port = port
    }

    // MARK: decisions

    public static func desiredService(serviceIP: IPAddress) -> Service {
        Service(metadata: ObjectMeta(name: name, namespace: namespace, labels: labels),
                spec: ServiceSpec(ports: [ServicePort(name: "dns", protocol: "UDP", port: 53, targetPort: .int(53)),
                                          ServicePort(name: "dns-tcp", protocol: "TCP", port: 53, targetPort: .int(53))],
                                  clusterIP: "\(serviceIP)", type: "ClusterIP"))
    }

    var ports: [EndpointPort] {
        [EndpointPort(name: "dns", port: Int32(port), protocol: "UDP"),
         EndpointPort(name: "dns-tcp", port: Int32(port), protocol: "TCP")]
    }

    /// `endpoints` with this instance's address ready under its ports, or nil if it already is.
    public func adding(to endpoints: Endpoints) -> Endpoints? {
        var result = endpoints
        let ip = "\(address)"
        if let index = result.subsets.firstIndex(where: { Self.samePorts($0.ports, ports) }) {
            var subset = result.subsets[index]
            if subset.addresses.contains(where: { $0.ip == ip }) { return nil }
            subset.notReadyAddresses.removeAll { $0.ip == ip }
            subset.addresses.append(EndpointAddress(ip: ip))
            result.subsets[index] = subset
        } else {
            result.subsets.append(EndpointSubset(addresses: [EndpointAddress(ip: ip)], ports: ports))
        }
        return result
    }

    /// `endpoints` without this instance's address, or nil if it is not there.
    public func removing(from endpoints: Endpoints) -> Endpoints? {
        let ip = "\(address)"
        var changed = false
        var result = endpoints
        for index in result.subsets.indices where Self.samePorts(result.subsets[index].ports, ports) {
            let before = result.subsets[index].addresses.count + result.subsets[index].notReadyAddresses.count
            result.subsets[index].addresses.removeAll { $0.ip == ip }
            result.subsets[index].notReadyAddresses.removeAll { $0.ip == ip }
            changed = changed || before != result.subsets[index].addresses.count + result.subsets[index].notReadyAddresses.count
        }
        result.subsets.removeAll { $0.addresses.isEmpty && $0.notReadyAddresses.isEmpty }
        return changed ? result : nil
    }

    static func samePorts(_ lhs: [EndpointPort], _ rhs: [EndpointPort]) -> Bool {
        func key(_ ports: [EndpointPort]) -> [String] {
            ports.map { "\($0.name ?? "")/\($0.port ?? 0)/\(($0.protocol ?? "TCP").uppercased())" }.sorted()
        }
        return key(lhs) == key(rhs)
    }

    // MARK: applying

    /// Creates the Service if missing and adds this address to the Endpoints.
    public func ensure(_ client: APIClient, logger: Logger) async throws {
        do {
            let existing = try await client.get(Service.self, name: Self.name, namespace: Self.namespace)
            if let ip = existing.spec?.clusterIP, ip != "\(serviceIP)" {
                logger.warning("kube-system/kube-dns exists with another clusterIP; leaving it", metadata: [
                    "clusterIP": "\(ip)", "wanted": "\(serviceIP)"])
            }
        } catch let error as APIError where error.reason == .notFound {
            do {
                _ = try await client.create(Self.desiredService(serviceIP: serviceIP))
                logger.info("created Service kube-system/kube-dns", metadata: ["clusterIP": "\(serviceIP)"])
            } catch let error as APIError where error.reason == .alreadyExists {}
        }
        while true {
            do {
                let current = try await client.get(Endpoints.self, name: Self.name, namespace: Self.namespace)
                guard let next = adding(to: current) else { return }
                _ = try await client.update(next)
                logger.info("added this server to kube-system/kube-dns endpoints", metadata: ["address": "\(address):\(port)"])
                return
            } catch let error as APIError where error.reason == .notFound {
                let fresh = Endpoints(metadata: ObjectMeta(name: Self.name, namespace: Self.namespace, labels: Self.labels))
                do {
                    _ = try await client.create(adding(to: fresh)!)
                    logger.info("added this server to kube-system/kube-dns endpoints", metadata: ["address": "\(address):\(port)"])
                    return
                } catch let error as APIError where error.reason == .alreadyExists {
                    continue
                }
            } catch let error as APIError where error.reason == .conflict {
                continue
            }
        }
    }

    /// Takes this address out of the Endpoints (the Service stays: other instances may serve it).
    public func remove(_ client: APIClient, logger: Logger) async throws {
        while true {
            do {
                let current = try await client.get(Endpoints.self, name: Self.name, namespace: Self.namespace)
                guard let next = removing(from: current) else { return }
                _ = try await client.update(next)
                logger.info("removed this server from kube-system/kube-dns endpoints")
                return
            } catch let error as APIError where error.reason == .notFound {
                return
            } catch let error as APIError where error.reason == .conflict {
                continue
            }
        }
    }
}
