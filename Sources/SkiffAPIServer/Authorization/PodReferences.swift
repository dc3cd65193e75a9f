/// PodReferences: the API objects a pod makes its node read, as the kubelet reads them: Secrets
/// and ConfigMaps named by volumes (secret, configMap, projected sources, a CSI volume's
/// nodePublishSecretRef), by containers' and init containers' env and envFrom, and by
/// imagePullSecrets; PersistentVolumeClaims of its volumes (an ephemeral volume's claim is
/// POD-VOLUME); its ServiceAccount; and, unless automountServiceAccountToken is false, the
/// account's token Secret ACCOUNT-token, which Skiff's kubelet mounts itself (see
/// SkiffKubelet's ServiceAccountTokenVolume) until admission writes it into the pod.
///
/// Concurrency: pure. Must never: leave out an object the kubelet reads for the pod, or the
/// node authorizer will refuse the kubelet.
import SkiffWire

/// One object the node graph relates to nodes.
struct GraphObject: Hashable, Sendable, CustomStringConvertible {
    enum Kind: String, Sendable { case secret, configMap, persistentVolumeClaim, persistentVolume, serviceAccount }

    var kind: Kind
    /// "" for PersistentVolumes.
    var namespace: String
    var name: String

    var description: String { "\(kind.rawValue) \(namespace)/\(name)" }
}

enum PodReferences {
    static let mirrorAnnotation = "kubernetes.io/config.mirror"

    /// Everything `pod` references, in its namespace.
    static func of(_ pod: Pod) -> Set<GraphObject> {
        guard let spec = pod.spec else { return [] }
        let namespace = pod.metadata?.namespace ?? ""
        var found: [(GraphObject.Kind, String?)] = []
        for volume in spec.volumes { found += volumeReferences(volume, podName: pod.metadata?.name ?? "") }
        for container in spec.containers + spec.initContainers { found += containerReferences(container) }
        found += spec.imagePullSecrets.map { (.secret, $0.name) }
        found += accountReferences(spec, mirror: pod.metadata?.annotations[mirrorAnnotation] != nil)
        return Set(found.compactMap { kind, name in
            guard let name, !name.isEmpty else { return nil }
            return GraphObject(kind: kind, namespace: namespace, name: name)
        })
    }

    private static func volumeReferences(_ volume: Volume, podName: String) -> [(GraphObject.Kind, String?)] {
        var found: [(GraphObject.Kind, String?)] = [
            (.secret, volume.secret?.secretName),
            (.configMap, volume.configMap?.name),
            (.persistentVolumeClaim, volume.persistentVolumeClaim?.claimName),
            (.secret, volume.csi?.nodePublishSecretRef?.name),
        ]
        if volume.ephemeral != nil, let name = volume.name { found.append((.persistentVolumeClaim, "\(podName)-\(name)")) }
        for source in volume.projected?.sources ?? [] {
            found += [(.secret, source.secret?.name), (.configMap, source.configMap?.name)]
        }
        return found
    }

    private static func containerReferences(_ container: Container) -> [(GraphObject.Kind, String?)] {
        container.envFrom.flatMap { [(.secret, $0.secretRef?.name), (.configMap, $0.configMapRef?.name)] }
            + container.env.flatMap { variable -> [(GraphObject.Kind, String?)] in
                [(.secret, variable.valueFrom?.secretKeyRef?.name), (.configMap, variable.valueFrom?.configMapKeyRef?.name)]
            }
    }

    /// The account (defaulted as the kubelet defaults it) and its mounted token Secret; a static
    /// pod's mirror references no API objects.
    private static func accountReferences(_ spec: PodSpec, mirror: Bool) -> [(GraphObject.Kind, String?)] {
        guard !mirror else { return [] }
        let account = [spec.serviceAccountName, spec.serviceAccount].compactMap { $0 }.first { !$0.isEmpty } ?? "default"
        let token: [(GraphObject.Kind, String?)] =
            spec.automountServiceAccountToken == false ? [] : [(.secret, "\(account)-token")]
        return [(.serviceAccount, account)] + token
    }
}
