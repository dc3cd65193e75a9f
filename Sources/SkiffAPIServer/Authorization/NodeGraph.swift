/// NodeGraph: which objects each node may read, Kubernetes' node authorizer graph as a value.
/// It is fed Pods (a pod counts from the moment spec.nodeName is set) and
/// PersistentVolumeClaims (a claim leads to its bound volume, spec.volumeName), and answers
/// "does node N run a pod that references this object?" in constant time: each node keeps a
/// count of references per object (`PodReferences`), and volumes are reached through the
/// claims bound to them.
///
/// Concurrency: a Sendable value; the apiserver updates its copy from watch events and hands
/// snapshots to `NodeAuthorizer`. Must never: keep a reference after its last pod is removed
/// or moved (a node must lose access when its pods go).
import SkiffWire

struct NodeGraph: Sendable, Equatable {
    private struct BoundPod: Equatable {
        var node: String
        var references: Set<GraphObject>
    }

    /// Pods bound to a node, by "namespace/name".
    private var pods: [String: BoundPod] = [:]
    /// Per node, how many of its pods reference each object.
    private var references: [String: [GraphObject: Int]] = [:]
    /// Claims' bound volumes, and the reverse.
    private var claimVolumes: [GraphObject: String] = [:]
    private var volumeClaims: [String: Set<GraphObject>] = [:]

    init(pods: [Pod] = [], claims: [PersistentVolumeClaim] = []) {
        for pod in pods { apply(pod) }
        for claim in claims { apply(claim) }
    }

    // MARK: keeping current

    /// Adds or replaces a Pod or a PersistentVolumeClaim; other objects are ignored.
    mutating func apply(_ object: any APIObject) {
        switch object {
        case let pod as Pod: apply(pod)
        case let claim as PersistentVolumeClaim: apply(claim)
        default: return
        }
    }

    /// Forgets a Pod or a PersistentVolumeClaim (by namespace and name).
    mutating func remove(_ object: any APIObject) {
        switch object {
        case is Pod: removePod(Self.key(object.metadata))
        case is PersistentVolumeClaim: removeClaim(Self.claimObject(object.metadata))
        default: return
        }
    }

    mutating func apply(_ pod: Pod) {
        let key = Self.key(pod.metadata)
        removePod(key)
        guard let node = pod.spec?.nodeName, !node.isEmpty else { return }
        let bound = BoundPod(node: node, references: PodReferences.of(pod))
        pods[key] = bound
        for object in bound.references { references[node, default: [:]][object, default: 0] += 1 }
    }

    mutating func apply(_ claim: PersistentVolumeClaim) {
        let object = Self.claimObject(claim.metadata)
        removeClaim(object)
        guard let volume = claim.spec?.volumeName, !volume.isEmpty else { return }
        claimVolumes[object] = volume
        volumeClaims[volume, default: []].insert(object)
    }

    private mutating func removePod(_ key: String) {
        guard let old = pods.removeValue(forKey: key) else { return }
        for object in old.references {
            references[old.node]?[object]? -= 1
            if references[old.node]?[object] == 0 { references[old.node]?[object] = nil }
        }
        if references[old.node]?.isEmpty == true { references[old.node] = nil }
    }

    private mutating func removeClaim(_ claim: GraphObject) {
        guard let volume = claimVolumes.removeValue(forKey: claim) else { return }
        volumeClaims[volume]?.remove(claim)
        if volumeClaims[volume]?.isEmpty == true { volumeClaims[volume] = nil }
    }

    private static func key(_ meta: ObjectMeta?) -> String { "\(meta?.namespace ?? "")/\(meta?.name ?? "")" }

    private static func claimObject(_ meta: ObjectMeta?) -> GraphObject {
        GraphObject(kind: .persistentVolumeClaim, namespace: meta?.namespace ?? "", name: meta?.name ?? "")
    }

    // MARK: questions

    /// Whether a pod bound to `node` references `object`; a PersistentVolume is reached
    /// through any claim bound to it that such a pod uses.
    func reaches(node: String, _ object: GraphObject) -> Bool {
        guard let objects = references[node] else { return false }
        guard object.kind == .persistentVolume else { return objects[object] != nil }
        return volumeClaims[object.name]?.contains { objects[$0] != nil } ?? false
    }

    /// Whether the pod `namespace/name` is bound to `node`.
    func isBound(podNamespace namespace: String, name: String, to node: String) -> Bool {
        pods["\(namespace)/\(name)"]?.node == node
    }
}
