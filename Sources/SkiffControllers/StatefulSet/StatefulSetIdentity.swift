/// StatefulSetIdentity: what makes a StatefulSet's pod itself: its name NAME-ORDINAL, its labels
/// (pod-name, pod-index, controller-revision-hash), hostname NAME-ORDINAL and subdomain
/// spec.serviceName (so DNS can name it POD.SERVICE.NAMESPACE.svc), and its claims
/// TEMPLATE-NAME-ORDINAL, one per volumeClaimTemplate, which its volumes of the same names use.
///
/// Concurrency: pure functions. Must never: give two ordinals one name, or a pod a claim of
/// another ordinal.
import Foundation
import SkiffWire

public enum StatefulSetIdentity {
    public static let podNameLabel = "statefulset.kubernetes.io/pod-name"
    public static let podIndexLabel = "apps.kubernetes.io/pod-index"
    public static let revisionLabel = "controller-revision-hash"

    public static func podName(_ set: StatefulSet, _ ordinal: Int) -> String { "\(set.metadata?.name ?? "")-\(ordinal)" }

    /// The ordinal of a pod (or any object) named PARENT-N, when PARENT is the set's name.
    public static func ordinal(of name: String, in set: StatefulSet) -> Int? {
        ordinal(of: name, prefix: (set.metadata?.name ?? "") + "-")
    }

    static func ordinal(of name: String, prefix: String) -> Int? {
        guard name.hasPrefix(prefix) else { return nil }
        let digits = name.dropFirst(prefix.count)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
              digits == "0" || !digits.hasPrefix("0") else { return nil }
        return Int(digits)
    }

    public static func claimName(_ template: PersistentVolumeClaim, _ set: StatefulSet, _ ordinal: Int) -> String {
        "\(template.metadata?.name ?? "")-\(podName(set, ordinal))"
    }

    /// The pod a claim TEMPLATE-NAME-ORDINAL of the set is for.
    public static func podName(ofClaim claim: PersistentVolumeClaim, in set: StatefulSet) -> String? {
        let name = claim.metadata?.name ?? ""
        for template in set.spec?.volumeClaimTemplates ?? [] {
            let prefix = "\(template.metadata?.name ?? "")-"
            if name.hasPrefix(prefix), ordinal(of: String(name.dropFirst(prefix.count)), in: set) != nil {
                return String(name.dropFirst(prefix.count))
            }
        }
        return nil
    }

    /// The revision label of a pod ("" when it has none).
    public static func revision(of pod: Pod) -> String { pod.metadata?.labels[revisionLabel] ?? "" }

    /// The pod of `ordinal` from `template` at `revision`.
    public static func pod(_ set: StatefulSet, template: PodTemplateSpec?, revision: String, ordinal: Int) -> Pod {
        let name = podName(set, ordinal)
        var pod = PodTemplates.pod(from: template, namespace: set.metadata?.namespace ?? "",
                                   owner: OwnerRefs.controllerRef(to: set), name: name,
                                   extraLabels: [podNameLabel: name, podIndexLabel: String(ordinal), revisionLabel: revision])
        var spec = pod.spec ?? PodSpec()
        spec.hostname = name
        if let service = set.spec?.serviceName, !service.isEmpty { spec.subdomain = service }
        for claim in set.spec?.volumeClaimTemplates ?? [] {
            guard let volumeName = claim.metadata?.name else { continue }
            spec.volumes.removeAll { $0.name == volumeName }
            spec.volumes.append(Volume(name: volumeName, persistentVolumeClaim: PersistentVolumeClaimVolumeSource(
                claimName: claimName(claim, set, ordinal))))
        }
        pod.spec = spec
        return pod
    }

    /// The claims of `ordinal`, one per template: the template's spec, its labels plus the set's
    /// matchLabels; owned by the set when whenDeleted is Delete (for the garbage collector).
    public static func claims(_ set: StatefulSet, ordinal: Int) -> [PersistentVolumeClaim] {
        (set.spec?.volumeClaimTemplates ?? []).map { template in
            var meta = ObjectMeta(name: claimName(template, set, ordinal), namespace: set.metadata?.namespace)
            meta.labels = template.metadata?.labels ?? [:]
            for (key, value) in set.spec?.selector?.matchLabels ?? [:] { meta.labels[key] = value }
            meta.annotations = template.metadata?.annotations ?? [:]
            if set.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted == "Delete" {
                var ref = OwnerRefs.controllerRef(to: set)
                ref.controller = false
                meta.ownerReferences = [ref]
            }
            return PersistentVolumeClaim(metadata: meta, spec: template.spec)
        }
    }

    // MARK: revisions

    /// The name of the revision of the set's current template: NAME-HASH.
    public static func revisionName(_ set: StatefulSet) -> String {
        "\(set.metadata?.name ?? "")-\(PodTemplates.hash(set.spec?.template, collisionCount: set.status?.collisionCount))"
    }

    /// A ControllerRevision recording the set's template (its data: the template's JSON).
    public static func revision(_ set: StatefulSet, name: String, number: Int64) -> ControllerRevision {
        var meta = ObjectMeta(name: name, namespace: set.metadata?.namespace)
        meta.labels = set.spec?.template?.metadata?.labels ?? [:]
        meta.ownerReferences = [OwnerRefs.controllerRef(to: set)]
        let data = (try? (set.spec?.template ?? PodTemplateSpec()).canonicalBytes()) ?? []
        return ControllerRevision(metadata: meta, data: data, revision: number)
    }

    /// The template a revision recorded.
    public static func template(of revision: ControllerRevision) -> PodTemplateSpec? {
        guard let data = revision.data else { return nil }
        return try? JSONDecoder().decode(PodTemplateSpec.self, from: Data(data))
    }
}
