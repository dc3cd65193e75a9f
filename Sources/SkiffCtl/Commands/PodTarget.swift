/// The pod that a `logs` or `exec` argument names, as kubectl reads it: POD, pod/POD, or
/// TYPE/NAME of an object that selects pods (a deployment, replica set, replication
/// controller, stateful set, daemon set, job or service), in which case one of its pods is
/// picked the way kubectl picks one to log: scheduled before unscheduled, running before
/// anything else, ready before not, then the oldest.
///
/// Concurrency: pure, but for the lookups made through the session.
import SkiffAPI
import SkiffWire

extension Session {
    /// The name of the pod `argument` names in the session's namespace; says on the errors
    /// stream which pod it took when the object selects several.
    func podName(for argument: String) async throws -> String {
        guard let slash = argument.firstIndex(of: "/") else { return argument }
        let type = String(argument[..<slash]), name = String(argument[argument.index(after: slash)...])
        let resource = try ResourceArguments.resolve(type)
        if resource.plural == "pods" && resource.group.isEmpty { return name }
        let object = try await client.get(resource, name: name, namespace: namespace)
        let selector = try PodTarget.selector(of: object)
        guard let pods = ResourceCatalog.resource(for: Pod.self) else { throw CtlError("pods are not served") }
        let listed = try await client.list(pods, namespace: namespace, labelSelector: selector, fieldSelector: nil)
        let candidates = listed.items.compactMap { $0 as? Pod }
        guard let chosen = PodTarget.pick(candidates), let chosenName = chosen.metadata?.name else {
            throw CtlError("no pods found for \(resource.slashName(name))")
        }
        if candidates.count > 1 { errors.write(line: "Found \(candidates.count) pods, using pod/\(chosenName)") }
        return chosenName
    }
}

enum PodTarget {
    /// The label selector (query text) with which `object` picks its pods.
    static func selector(of object: any APIObject) throws -> String {
        func text(_ selector: LabelSelector?) -> String? {
            guard let selector, !selector.matchLabels.isEmpty || !selector.matchExpressions.isEmpty else { return nil }
            return ObjectTable.selectorText(selector)
        }
        func text(_ labels: [String: String]) -> String? {
            labels.isEmpty ? nil : labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        }
        let selector: String?
        switch object {
        case let o as Deployment: selector = text(o.spec?.selector)
        case let o as ReplicaSet: selector = text(o.spec?.selector)
        case let o as StatefulSet: selector = text(o.spec?.selector)
        case let o as DaemonSet: selector = text(o.spec?.selector)
        case let o as Job: selector = text(o.spec?.selector)
        case let o as ReplicationController: selector = text(o.spec?.selector ?? [:]) ?? text(o.spec?.template?.metadata?.labels ?? [:])
        case let o as Service: selector = text(o.spec?.selector ?? [:])
        default:
            throw CtlError("cannot find the pods of a \(type(of: object).kind): name a pod, deployment, replica set, "
                           + "replication controller, stateful set, daemon set, job or service")
        }
        guard let selector else {
            throw CtlError("\(type(of: object).kind) \(object.metadata?.name ?? "") has no selector to find its pods by")
        }
        return selector
    }

    /// The pod to use among `pods`, or nil when there is none.
    static func pick(_ pods: [Pod]) -> Pod? {
        func rank(_ pod: Pod) -> (Int, Int, Int) {
            let scheduled = (pod.spec?.nodeName ?? "").isEmpty ? 1 : 0
            let running = pod.status?.phase == "Running" ? 0 : 1
            let ready = (pod.status?.conditions ?? []).contains { $0.type == "Ready" && $0.status == "True" } ? 0 : 1
            return (scheduled, running, ready)
        }
        return pods.min { a, b in
            let (ra, rb) = (rank(a), rank(b))
            if ra != rb { return ra < rb }
            let (ca, cb) = (a.metadata?.creationTimestamp?.seconds ?? .max, b.metadata?.creationTimestamp?.seconds ?? .max)
            if ca != cb { return ca < cb }
            return (a.metadata?.name ?? "") < (b.metadata?.name ?? "")
        }
    }
}
