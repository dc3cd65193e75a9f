/// VolumeMatching: which PersistentVolume can serve a claim, as Kubernetes' FindMatchingVolume:
/// enough capacity, every access mode the claim asks for, the same class ("" only matches ""),
/// the same volume mode, the claim's selector; a volume pre-bound to the claim wins outright,
/// otherwise the smallest Available, unclaimed volume that fits.
///
/// Concurrency: pure functions. Must never: offer a volume that is bound to another claim.
import SkiffAPI
import SkiffWire

public enum VolumeMatching {
    /// The storage a claim requests (requests.storage), in bytes.
    public static func requested(_ claim: PersistentVolumeClaim) -> Int64 {
        claim.spec?.resources?.requests["storage"]?.value ?? 0
    }

    /// The storage a volume offers, in bytes.
    public static func capacity(_ volume: PersistentVolume) -> Int64 {
        volume.spec?.capacity["storage"]?.value ?? 0
    }

    /// Why `volume` cannot serve `claim` whatever its binding state (nil: it can), as
    /// checkVolumeSatisfyClaim.
    public static func mismatch(_ volume: PersistentVolume, _ claim: PersistentVolumeClaim) -> String? {
        if capacity(volume) < requested(claim) { return "requested PV is too small" }
        if (volume.spec?.storageClassName ?? "") != (claim.spec?.storageClassName ?? "") {
            return "storageClassName does not match"
        }
        if !Set(volume.spec?.accessModes ?? []).isSuperset(of: claim.spec?.accessModes ?? []) {
            return "incompatible accessMode"
        }
        if (volume.spec?.volumeMode ?? "Filesystem") != (claim.spec?.volumeMode ?? "Filesystem") {
            return "incompatible volumeMode"
        }
        return nil
    }

    /// Whether `volume`'s claimRef names `claim` (by namespace and name, and by uid when the
    /// reference has one: a user may pre-bind a volume to a claim by name alone).
    public static func isBound(_ volume: PersistentVolume, to claim: PersistentVolumeClaim) -> Bool {
        guard let ref = volume.spec?.claimRef else { return false }
        guard ref.name == claim.metadata?.name, (ref.namespace ?? "") == (claim.metadata?.namespace ?? "") else { return false }
        return (ref.uid ?? "").isEmpty || ref.uid == claim.metadata?.uid
    }

    /// The volume to bind `claim` to, if any: one pre-bound to it, else the smallest Available
    /// unclaimed volume that satisfies it and its selector (ties: by name, for determinism).
    public static func bestMatch(for claim: PersistentVolumeClaim, in volumes: [PersistentVolume]) -> PersistentVolume? {
        let selector: LabelQuery? = claim.spec?.selector.flatMap { try? LabelQuery($0) }
        if claim.spec?.selector != nil && selector == nil { return nil }
        var best: PersistentVolume?
        for volume in volumes where volume.metadata?.deletionTimestamp == nil && mismatch(volume, claim) == nil {
            if isBound(volume, to: claim) { return volume }
            guard volume.status?.phase == "Available", volume.spec?.claimRef == nil else { continue }
            if let selector, !selector.matches(volume.metadata?.labels ?? [:]) { continue }
            if let current = best {
                let (a, b) = (capacity(volume), capacity(current))
                if a < b || (a == b && (volume.metadata?.name ?? "") < (current.metadata?.name ?? "")) { best = volume }
            } else {
                best = volume
            }
        }
        return best
    }

    /// The default class: annotated is-default-class "true" (or the beta annotation); of several,
    /// the newest, as Kubernetes picks.
    public static func defaultClass(_ classes: [StorageClass]) -> StorageClass? {
        classes.filter { sc in
            let annotations = sc.metadata?.annotations ?? [:]
            return annotations[VolumeAnnotations.isDefaultClass] == "true"
                || annotations[VolumeAnnotations.betaIsDefaultClass] == "true"
        }.max { a, b in
            let (ta, tb) = (a.metadata?.creationTimestamp ?? Time(), b.metadata?.creationTimestamp ?? Time())
            return ta != tb ? ta < tb : (a.metadata?.name ?? "") > (b.metadata?.name ?? "")
        }
    }
}

/// The annotations and names the binder writes and reads, as Kubernetes spells them.
public enum VolumeAnnotations {
    /// On a claim: its binding is complete (the binder's, "yes").
    public static let bindCompleted = "pv.kubernetes.io/bind-completed"
    /// On a claim or a volume: the binder (not the user) set volumeName / claimRef.
    public static let boundByController = "pv.kubernetes.io/bound-by-controller"
    /// On a volume: the provisioner that made it.
    public static let provisionedBy = "pv.kubernetes.io/provisioned-by"
    /// On a claim: the provisioner asked to make its volume.
    public static let storageProvisioner = "volume.kubernetes.io/storage-provisioner"
    public static let betaStorageProvisioner = "volume.beta.kubernetes.io/storage-provisioner"
    public static let isDefaultClass = "storageclass.kubernetes.io/is-default-class"
    public static let betaIsDefaultClass = "storageclass.beta.kubernetes.io/is-default-class"
}
