/// PodReferences: the API objects a pod makes its node read, as the kubelet reads them: Secrets
/// and ConfigMaps named by volumes (secret, configMap, projected sources, a CSI volume's
/// nodePublishSecretRef), by containers' and init containers' env and envFrom, and by
/// imagePullSecrets; PersistentVolumeClaims of its volumes (an ephemeral volume's claim is
/// POD-VOLUME); and its ServiceAccount. The account's token Secret is one of its volumes:
/// ServiceAccount admission writes it there.
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

    /// A reference by kind and name, before the namespace is added; a nil or empty name is none.
    private typealias Reference = (kind: GraphObject.Kind, name: String?)

    /// Everything `pod` references, in its namespace.
    static func of(_ pod: Pod) -> Set<GraphObject> {
        // A static pod's mirror may reference no API objects (admission refuses one that does),
        // so it gives its node no read of any.
        guard let spec = pod.spec, pod.metadata?.annotations[mirrorAnnotation] == nil else { return [] }
        return objects(pod).union(named([accountReference(spec)], in: pod.metadata?.namespace ?? ""))
    }

    /// The Secrets, ConfigMaps and claims `pod` names itself (volumes, env, image pull secrets),
    /// without its ServiceAccount's.
    static func objects(_ pod: Pod) -> Set<GraphObject> {
        guard let spec = pod.spec else { return [] }
        var found: [Reference] = []
        for volume in spec.volumes { found += volumeReferences(volume, podName: pod.metadata?.name ?? "") }
        for container in spec.containers + spec.initContainers { found += containerReferences(container) }
        for secret in spec.imagePullSecrets { found.append((.secret, secret.name)) }
        return named(found, in: pod.metadata?.namespace ?? "")
    }

    private static func named(_ references: [Reference], in namespace: String) -> Set<GraphObject> {
        Set(references.compactMap { reference in
            guard let name = reference.name, !name.isEmpty else { return nil }
            return GraphObject(kind: reference.kind, namespace: namespace, name: name)
        })
    }

    private static func volumeReferences(_ volume: Volume, podName: String) -> [Reference] {
        var found: [Reference] = [
            (.secret, volume.secret?.secretName),
            (.configMap, volume.configMap?.name),
            (.persistentVolumeClaim, volume.persistentVolumeClaim?.claimName),
            (.secret, volume.csi?.nodePublishSecretRef?.name),
        ]
        if volume.ephemeral != nil, let name = volume.name { found.append((.persistentVolumeClaim, "\(podName)-\(name)")) }
        for source in volume.projected?.sources ?? [] {
            found.append((.secret, source.secret?.name))
            found.append((.configMap, source.configMap?.name))
        }
        return found
    }

    private static func containerReferences(_ container: Container) -> [Reference] {
        var found: [Reference] = []
        for source in container.envFrom {
            found.append((.secret, source.secretRef?.name))
            found.append((.configMap, source.configMapRef?.name))
        }
        for variable in container.env {
            found.append((.secret, variable.valueFrom?.secretKeyRef?.name))
            found.append((.configMap, variable.valueFrom?.configMapKeyRef?.name))
        }
        return found
    }

    /// The account (defaulted as admission defaults it).
    private static func accountReference(_ spec: PodSpec) -> Reference {
        (.serviceAccount, [spec.serviceAccountName, spec.serviceAccount].compactMap { $0 }.first { !$0.isEmpty } ?? "default")
    }
}
