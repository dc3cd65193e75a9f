/// HostPort: one port a pod opens on its node's network (a container port with a hostPort), and
/// the conflict rule of Kubernetes' NodePorts plugin: the same protocol and port conflict when
/// either side listens on every address (0.0.0.0, the default) or both name the same address.
///
/// Concurrency: plain values. Must never: count a containerPort without a hostPort.
import SkiffWire

public struct HostPort: Sendable, Hashable {
    public var ip: String
    public var `protocol`: String
    public var port: Int32

    public static let anyAddress = "0.0.0.0"

    public init(ip: String = HostPort.anyAddress, protocol: String = "TCP", port: Int32) {
        self.ip = ip.isEmpty ? Self.anyAddress : ip
        self.protocol = `protocol`.isEmpty ? "TCP" : `protocol`
        self.port = port
    }

    public func conflicts(with other: HostPort) -> Bool {
        guard port == other.port, self.protocol == other.protocol else { return false }
        return ip == Self.anyAddress || other.ip == Self.anyAddress || ip == other.ip
    }

    /// The host ports of a pod's containers and sidecars (restartable init containers), which
    /// are the ones running while the pod runs.
    public static func of(_ spec: PodSpec?) -> [HostPort] {
        guard let spec else { return [] }
        var ports: [HostPort] = []
        let running = spec.containers + spec.initContainers.filter { $0.restartPolicy == "Always" }
        for container in running {
            for port in container.ports {
                guard let hostPort = port.hostPort, hostPort > 0 else { continue }
                ports.append(HostPort(ip: port.hostIP ?? "", protocol: port.protocol ?? "", port: hostPort))
            }
        }
        return ports
    }
}
