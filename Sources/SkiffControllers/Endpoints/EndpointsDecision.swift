/// EndpointsDecision: the Endpoints a Service should have, from the pods it selects, as
/// Kubernetes' endpoints controller computes them: each running pod with an IP is an address,
/// ready pods under `addresses`, the others under `notReadyAddresses` (all of them ready when
/// the Service publishes not-ready addresses); a named targetPort is looked up in each pod's
/// containers; addresses with the same ports share a subset, sorted, so that an unchanged
/// cluster gives byte-identical Endpoints and no write.
///
/// Concurrency: pure functions. Must never: read a clock or the API.
import SkiffAPI
import SkiffWire

public enum EndpointsDecision {
    /// The label Kubernetes puts on the Endpoints of a headless Service.
    public static let headlessLabel = "service.kubernetes.io/headless"
    /// The label marking Endpoints this controller wrote (Kubernetes' own key and value), so
    /// that Endpoints a user wrote for a Service without a selector are never removed.
    public static let managedByLabel = "endpoints.kubernetes.io/managed-by"
    public static let managedByValue = "endpoint-controller"

    public static func isManaged(_ endpoints: Endpoints) -> Bool {
        endpoints.metadata?.labels[managedByLabel] == managedByValue
    }

    /// Whether this controller manages the Service's Endpoints: only Services with a selector
    /// (without one, the user writes the Endpoints), and never ExternalName ones.
    public static func manages(_ service: Service) -> Bool {
        guard let spec = service.spec, spec.type != "ExternalName" else { return false }
        return !spec.selector.isEmpty
    }

    /// The pods that count: selected, in the Service's namespace, with an IP, not finished and
    /// not being deleted.
    public static func members(of service: Service, among pods: [Pod]) -> [Pod] {
        let selector = LabelQuery(matching: service.spec?.selector ?? [:])
        return pods.filter { pod in
            guard pod.metadata?.namespace == service.metadata?.namespace,
                  selector.matches(pod.metadata?.labels ?? [:]),
                  let ip = pod.status?.podIP, !ip.isEmpty else { return false }
            return PodState.isActive(pod)
        }
    }

    /// The subsets for `service` over `pods` (already filtered by `members`).
    public static func subsets(for service: Service, pods: [Pod]) -> [EndpointSubset] {
        guard let spec = service.spec else { return [] }
        let publishNotReady = spec.publishNotReadyAddresses ?? false
        let headless = spec.clusterIP == "None"
        // Addresses grouped by their port set, the key being the ports' canonical text.
        var groups: [String: (ports: [EndpointPort], ready: [EndpointAddress], notReady: [EndpointAddress])] = [:]
        for pod in pods {
            var ports: [EndpointPort] = []
            for servicePort in spec.ports {
                guard let number = targetPort(servicePort, in: pod) else { continue }
                ports.append(EndpointPort(name: servicePort.name, port: number, protocol: servicePort.protocol ?? "TCP",
                                          appProtocol: servicePort.appProtocol))
            }
            // A pod serving none of the ports is no endpoint, except for a headless Service
            // without ports, whose addresses are what DNS publishes.
            if ports.isEmpty && !(headless && spec.ports.isEmpty) { continue }
            ports.sort { ($0.name ?? "", $0.port ?? 0, $0.protocol ?? "") < ($1.name ?? "", $1.port ?? 0, $1.protocol ?? "") }
            let key = ports.map { "\($0.name ?? "")/\($0.port ?? 0)/\($0.protocol ?? "")" }.joined(separator: ",")
            let address = address(of: pod, for: service)
            var group = groups[key] ?? (ports, [], [])
            if publishNotReady || PodState.isReady(pod) { group.ready.append(address) } else { group.notReady.append(address) }
            groups[key] = group
        }
        return groups.keys.sorted().map { key in
            let group = groups[key]!
            return EndpointSubset(addresses: group.ready.sorted(by: Self.addressOrder),
                                  notReadyAddresses: group.notReady.sorted(by: Self.addressOrder), ports: group.ports)
        }
    }

    /// The whole desired Endpoints object, named and labelled after the Service.
    public static func desired(for service: Service, pods: [Pod]) -> Endpoints {
        var labels = service.metadata?.labels ?? [:]
        if service.spec?.clusterIP == "None" { labels[headlessLabel] = "" } else { labels[headlessLabel] = nil }
        labels[managedByLabel] = managedByValue
        return Endpoints(metadata: ObjectMeta(name: service.metadata?.name, namespace: service.metadata?.namespace,
                                              labels: labels),
                         subsets: subsets(for: service, pods: members(of: service, among: pods)))
    }

    /// Whether `existing` already says what `desired` says (subsets and labels).
    public static func isCurrent(_ existing: Endpoints, _ desired: Endpoints) -> Bool {
        existing.subsets == desired.subsets && (existing.metadata?.labels ?? [:]) == (desired.metadata?.labels ?? [:])
    }

    /// The pod's port for a Service port: the number itself, or the container port of that name
    /// and protocol; nil when the pod has no such named port.
    static func targetPort(_ servicePort: ServicePort, in pod: Pod) -> Int32? {
        switch servicePort.targetPort {
        case .int(let number)?: return number
        case .string(let name)?:
            let protocolName = servicePort.protocol ?? "TCP"
            for container in pod.spec?.containers ?? [] {
                for port in container.ports where port.name == name && (port.protocol ?? "TCP") == protocolName {
                    return port.containerPort
                }
            }
            return nil
        case nil: return servicePort.port
        }
    }

    /// One pod as an address; its hostname only when it names this Service as its subdomain
    /// (a StatefulSet's pods under their headless Service).
    static func address(of pod: Pod, for service: Service) -> EndpointAddress {
        let meta = pod.metadata
        var hostname: String?
        if let name = pod.spec?.hostname, !name.isEmpty, pod.spec?.subdomain == service.metadata?.name {
            hostname = name
        }
        return EndpointAddress(ip: pod.status?.podIP, hostname: hostname, nodeName: pod.spec?.nodeName,
                               targetRef: ObjectReference(kind: "Pod", namespace: meta?.namespace, name: meta?.name,
                                                          uid: meta?.uid))
    }

    static func addressOrder(_ a: EndpointAddress, _ b: EndpointAddress) -> Bool {
        let x = IPv4Address(a.ip ?? "")?.value ?? 0, y = IPv4Address(b.ip ?? "")?.value ?? 0
        return (x, a.targetRef?.name ?? "") < (y, b.targetRef?.name ?? "")
    }
}
