/// PodInfo: what the scheduler needs of a pod, parsed once when the pod enters the scheduler
/// (Kubernetes' `framework.PodInfo`): its key, requests, host ports, tolerations, node
/// affinity, priority and the controller that owns it. Filters and scores read only this, so the
/// hot path never parses a Quantity or walks containers.
///
/// Concurrency: an immutable Sendable value. Must never: hold on to the Pod itself; NodeInfo
/// keeps one of these per assigned pod, for every pod in the cluster.
import SkiffClient
import SkiffWire

public struct PodInfo: Sendable {
    public let key: ObjectKey
    public let uid: String
    /// spec.nodeName as the API has it ("" while unscheduled).
    public let nodeName: String
    public let priority: Int32
    public let requests: PodRequests
    public let hostPorts: [HostPort]
    public let tolerations: [Toleration]
    public let requiredAffinity: RequiredNodeAffinity
    public let preferredAffinity: [PreferredSchedulingTerm]
    /// The uid of the controller owning the pod (a ReplicaSet, StatefulSet...): spreading keeps
    /// such siblings apart. Nil for a bare pod.
    public let controllerUID: String?

    public init(_ pod: Pod) {
        key = ObjectKey(pod)
        uid = pod.metadata?.uid ?? ""
        nodeName = pod.spec?.nodeName ?? ""
        priority = pod.spec?.priority ?? 0
        requests = PodRequests(pod.spec)
        hostPorts = HostPort.of(pod.spec)
        tolerations = pod.spec?.tolerations ?? []
        requiredAffinity = RequiredNodeAffinity(pod.spec)
        preferredAffinity = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []
        let controller = pod.metadata?.ownerReferences.first { $0.controller == true }
        controllerUID = controller.flatMap { reference in
            reference.uid.flatMap { $0.isEmpty ? nil : $0 } ?? reference.name.map { "\(reference.kind ?? "")/\($0)" }
        }
    }
}
