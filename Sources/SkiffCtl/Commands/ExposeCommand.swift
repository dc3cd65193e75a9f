/// `skiffctl expose TYPE NAME --port P`: a Service in front of a Deployment, ReplicaSet,
/// ReplicationController, pod or Service, as `kubectl expose` makes it: the object's selector
/// (a pod's labels) becomes the Service's, its labels the Service's labels, and the port the one
/// its containers declare when there is exactly one and --port is not given.
///
/// Concurrency: one command, one task. Must never: create a Service whose selector could pick
/// pods the object does not (a selector with matchExpressions cannot be copied, and is refused).
import ArgumentParser
import SkiffAPI
import SkiffWire

public struct ExposeCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "expose", abstract: "Create a Service for a deployment, replica set, replication controller, pod or service.")

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "TYPE NAME or TYPE/NAME")
    public var arguments: [String] = []
    @Option(help: "The Service's port (default: the container port, when there is exactly one).")
    public var port: Int32?
    @Option(name: .customLong("target-port"), help: "The pods' port, a number or a container port's name (default: --port).")
    public var targetPort: String?
    @Option(help: "The Service's name (default: the object's).")
    public var name: String?
    @Option(help: "ClusterIP, NodePort or LoadBalancer.")
    public var type: String?
    @Option(name: .customLong("protocol"), help: "TCP, UDP or SCTP.")
    public var portProtocol: String = "TCP"
    @Option(name: .customLong("cluster-ip"), help: "A virtual IP to ask for, or None for a headless Service.")
    public var clusterIP: String?

    public init() {}

    public func perform(in session: Session) async throws {
        let targets = try namedObjects(arguments)
        guard targets.count == 1, let (resource, objectName) = targets.first else {
            throw CtlError("expose takes exactly one object: TYPE NAME or TYPE/NAME")
        }
        let object = try await session.client.get(resource, name: objectName, namespace: session.namespace)
        var request = ServiceRequest(name: name ?? objectName, port: port, portProtocol: portProtocol, serviceType: type,
                                     clusterIP: clusterIP)
        if let targetPort { request.targetPort = Int32(targetPort).map(IntOrString.int) ?? .string(targetPort) }
        let service = try request.service(exposing: object)
        guard let services = ResourceCatalog.resource(group: "", plural: "services") else { return }
        _ = try await session.client.create(services, service, namespace: session.namespace)
        session.output.write(line: "\(services.slashName(service.metadata?.name ?? "")) exposed")
    }
}

/// What `expose` asked for, and the pure step from an object to its Service.
struct ServiceRequest {
    var name: String
    var port: Int32?
    var targetPort: IntOrString?
    var portProtocol: String
    var serviceType: String?
    var clusterIP: String?

    func service(exposing object: any APIObject) throws -> Service {
        let (selector, declared) = try Self.selector(of: object)
        guard !selector.isEmpty else {
            throw CtlError("couldn't find a selector for \(Swift.type(of: object).kind) \(object.metadata?.name ?? ""): it has no labels to select pods by")
        }
        guard let number = port ?? (declared.count == 1 ? declared[0] : nil) else {
            throw CtlError("couldn't find a port: give --port (the object declares \(declared.count) ports)")
        }
        let servicePort = ServicePort(protocol: portProtocol, port: number, targetPort: targetPort ?? .int(number))
        var spec = ServiceSpec(ports: [servicePort], selector: selector)
        spec.type = serviceType
        spec.clusterIP = clusterIP
        let labels = object.metadata?.labels ?? [:]
        return Service(metadata: ObjectMeta(name: name, labels: labels), spec: spec)
    }

    /// The pods an object stands for: its selector's matchLabels (pods: their own labels), and
    /// the ports it declares (its containers', or a Service's own).
    static func selector(of object: any APIObject) throws -> ([String: String], [Int32]) {
        func ports(_ spec: PodSpec?) -> [Int32] { (spec?.containers ?? []).flatMap(\.ports).compactMap(\.containerPort) }
        func labels(_ selector: LabelSelector?) throws -> [String: String] {
            guard (selector?.matchExpressions ?? []).isEmpty else {
                throw CtlError("couldn't retrieve selectors via --selector flag or introspection: \(Swift.type(of: object).kind) "
                               + "\(object.metadata?.name ?? "") selects with matchExpressions, which a Service cannot")
            }
            return selector?.matchLabels ?? [:]
        }
        switch object {
        case let o as Deployment: return (try labels(o.spec?.selector), ports(o.spec?.template?.spec))
        case let o as ReplicaSet: return (try labels(o.spec?.selector), ports(o.spec?.template?.spec))
        case let o as ReplicationController:
            let selector = o.spec?.selector ?? [:]
            return (selector.isEmpty ? (o.spec?.template?.metadata?.labels ?? [:]) : selector, ports(o.spec?.template?.spec))
        case let o as Pod: return (o.metadata?.labels ?? [:], ports(o.spec))
        case let o as Service: return (o.spec?.selector ?? [:], (o.spec?.ports ?? []).compactMap(\.port))
        default:
            throw CtlError("cannot expose a \(Swift.type(of: object).kind): use a deployment, replica set, replication controller, pod or service")
        }
    }
}
