/// BindingDecision: what the PersistentVolume binder does for one claim or one volume, from the
/// caches: pure, so every rule of Kubernetes' syncClaim / syncVolume is table-tested.
///
/// Claims (syncUnboundClaim / syncBoundClaim):
/// - no class and a default class exists: give it the default (Kubernetes' retroactive default
///   class assignment; Skiff has no DefaultStorageClass admission, so this is how every claim
///   without a class gets one);
/// - not yet bound: bind to a volume pre-bound to it or the best match; else provision one when
///   its class's provisioner is the hostPath provisioner; else stay Pending with a reason;
/// - pre-bound to a volume by name: bind if that volume is free (or already names it) and fits;
/// - bound: finish a binding half written, or report the claim Lost when its volume is gone or
///   bound elsewhere.
///
/// Volumes (syncVolume): unclaimed is Available; the claim is gone means Released, and then the
/// reclaim policy Delete removes it; a volume the binder bound to a claim that went to another
/// volume is unbound again.
///
/// Concurrency: pure. Must never: bind a volume that names another claim, or delete a volume whose
/// claim still exists.
import SkiffWire

/// The binder's part in provisioning: which provisioner it serves and where its volumes live.
public struct HostPathProvisioning: Sendable, Equatable {
    public static let provisioner = "skiff.io/hostpath"
    public static let defaultDirectory = "/var/lib/skiff/volumes"
    /// The directory under which each provisioned volume gets its own directory, pvc-<claim uid>.
    public var directory: String

    public init(directory: String = Self.defaultDirectory) { self.directory = directory }

    /// The volume for `claim` of class `storageClass`: named pvc-<claim uid>, pre-bound to the
    /// claim, the class's reclaim policy and mount options, the claim's size, modes and volume mode.
    public func volume(for claim: PersistentVolumeClaim, storageClass: StorageClass) -> PersistentVolume {
        let name = "pvc-\(claim.metadata?.uid ?? "")"
        var meta = ObjectMeta(name: name)
        meta.annotations = [VolumeAnnotations.provisionedBy: Self.provisioner,
                            VolumeAnnotations.boundByController: "yes"]
        var spec = PersistentVolumeSpec()
        if let size = claim.spec?.resources?.requests["storage"] { spec.capacity = ["storage": size] }
        spec.accessModes = claim.spec?.accessModes ?? []
        spec.claimRef = BindingDecision.reference(to: claim)
        spec.persistentVolumeReclaimPolicy = storageClass.reclaimPolicy ?? "Delete"
        spec.storageClassName = storageClass.metadata?.name
        spec.volumeMode = claim.spec?.volumeMode ?? "Filesystem"
        spec.mountOptions = storageClass.mountOptions
        spec.hostPath = HostPathVolumeSource(path: path(of: name), type: "DirectoryOrCreate")
        return PersistentVolume(metadata: meta, spec: spec)
    }

    /// Where the volume named `name` lives.
    public func path(of name: String) -> String {
        (directory.hasSuffix("/") ? String(directory.dropLast()) : directory) + "/" + name
    }

    /// Whether `volume` is one of ours, whose directory the binder may remove: provisioned by
    /// this provisioner and living exactly at path(of: its name).
    public func owns(_ volume: PersistentVolume) -> Bool {
        guard let name = volume.metadata?.name, !name.isEmpty,
              volume.metadata?.annotations[VolumeAnnotations.provisionedBy] == Self.provisioner else { return false }
        return volume.spec?.hostPath?.path == path(of: name)
    }
}

public enum ClaimAction: Sendable, Equatable {
    /// Bound and consistent.
    case none
    /// Set spec.storageClassName to the default class.
    case assignClass(String)
    /// Bind to this volume (as much as is not already written).
    case bind(PersistentVolume)
    /// Create this volume (pre-bound to the claim); its event binds it.
    case provision(PersistentVolume)
    /// Stay Pending; an event says why (reason, message).
    case pending(reason: String, message: String)
    /// Bound, but its volume is gone or serves another claim.
    case lost(String)
}

public enum VolumeAction: Sendable, Equatable {
    case none
    /// Set status.phase (Available or Bound).
    case setPhase(String)
    /// The claim is gone: phase Released (when not already), then delete the volume if the
    /// reclaim policy is Delete.
    case reclaim(release: Bool, delete: Bool)
    /// The binder bound it to a claim that went to another volume: clear claimRef.
    case unbind
}

public enum BindingDecision {
    public static func decide(claim: PersistentVolumeClaim, volumes: [PersistentVolume], classes: [StorageClass],
                              provisioning: HostPathProvisioning) -> ClaimAction {
        guard claim.metadata?.deletionTimestamp == nil else { return .none }
        let volumeName = claim.spec?.volumeName ?? ""
        let byName = volumes.first { $0.metadata?.name == volumeName }
        if claim.metadata?.annotations[VolumeAnnotations.bindCompleted] != nil {
            guard !volumeName.isEmpty else {
                return .lost("Bound claim has lost reference to PersistentVolume. Data on the volume is lost!")
            }
            guard let volume = byName else { return .lost("Bound claim has lost its PersistentVolume. Data on the volume is lost!") }
            if volume.spec?.claimRef == nil { return .bind(volume) }
            guard VolumeMatching.isBound(volume, to: claim) else {
                return .lost("Two claims are bound to the same volume, this one is bound incorrectly")
            }
            return needsWrites(claim, volume) ? .bind(volume) : .none
        }
        if !volumeName.isEmpty {
            guard let volume = byName else {
                return .pending(reason: "FailedBinding", message: "volume \"\(volumeName)\" not found")
            }
            if volume.spec?.claimRef != nil && !VolumeMatching.isBound(volume, to: claim) {
                return .pending(reason: "FailedBinding", message: "volume \"\(volumeName)\" already bound to a different claim.")
            }
            if let mismatch = VolumeMatching.mismatch(volume, claim) {
                return .pending(reason: "VolumeMismatch", message: "Cannot bind to requested volume \"\(volumeName)\": \(mismatch)")
            }
            return .bind(volume)
        }
        if claim.spec?.storageClassName == nil, let fallback = VolumeMatching.defaultClass(classes)?.metadata?.name {
            return .assignClass(fallback)
        }
        if let volume = VolumeMatching.bestMatch(for: claim, in: volumes) { return .bind(volume) }
        let className = claim.spec?.storageClassName ?? ""
        guard !className.isEmpty else {
            return .pending(reason: "FailedBinding", message: "no persistent volumes available for this claim and no storage class is set")
        }
        guard let storageClass = classes.first(where: { $0.metadata?.name == className }) else {
            return .pending(reason: "ProvisioningFailed", message: "storageclass.storage.k8s.io \"\(className)\" not found")
        }
        let provisioner = storageClass.provisioner ?? ""
        guard provisioner == HostPathProvisioning.provisioner else {
            return .pending(reason: "ExternalProvisioning",
                            message: "Waiting for a volume to be created either by the external provisioner '\(provisioner)' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.")
        }
        let volume = provisioning.volume(for: claim, storageClass: storageClass)
        // Made already (its cache entry may lag, or it is not Available yet): bind when seen.
        if volumes.contains(where: { $0.metadata?.name == volume.metadata?.name }) {
            return .pending(reason: "Provisioning", message: "waiting for volume \"\(volume.metadata?.name ?? "")\"")
        }
        return .provision(volume)
    }

    public static func decide(volume: PersistentVolume, claim: PersistentVolumeClaim?) -> VolumeAction {
        guard volume.metadata?.deletionTimestamp == nil else { return .none }
        let phase = volume.status?.phase ?? ""
        guard let ref = volume.spec?.claimRef else { return phase == "Available" ? .none : .setPhase("Available") }
        // Pre-bound by a user to a claim by name: waits, Available, for that claim.
        if (ref.uid ?? "").isEmpty { return phase == "Available" ? .none : .setPhase("Available") }
        guard let claim, claim.metadata?.uid == ref.uid else {
            if phase == "Failed" { return .none }
            let delete = (volume.spec?.persistentVolumeReclaimPolicy ?? "Retain") == "Delete"
            if phase == "Released" && !delete { return .none }
            return .reclaim(release: phase != "Released", delete: delete)
        }
        let volumeName = claim.spec?.volumeName ?? ""
        // The claim's side of the binding is not written yet: its own sync finishes it.
        if volumeName.isEmpty { return .none }
        if volumeName == volume.metadata?.name { return phase == "Bound" ? .none : .setPhase("Bound") }
        // The claim went to another volume.
        if volume.metadata?.annotations[VolumeAnnotations.boundByController] != nil { return .unbind }
        return .none
    }

    /// The claimRef a volume bound to `claim` carries.
    public static func reference(to claim: PersistentVolumeClaim) -> ObjectReference {
        ObjectReference(kind: PersistentVolumeClaim.kind, namespace: claim.metadata?.namespace, name: claim.metadata?.name,
                        uid: claim.metadata?.uid, apiVersion: PersistentVolumeClaim.apiVersion,
                        resourceVersion: claim.metadata?.resourceVersion)
    }

    /// Whether any of the four writes of a binding is still missing.
    static func needsWrites(_ claim: PersistentVolumeClaim, _ volume: PersistentVolume) -> Bool {
        boundVolume(volume, to: claim) != volume || boundVolumeStatus(volume) != volume
            || boundClaim(claim, to: volume) != claim || boundClaimStatus(claim, volume) != claim
    }

    // MARK: the four writes of a binding, as Kubernetes' bind(): volume, volume status, claim, claim status

    /// The volume with claimRef set to the claim (bound-by-controller when the binder sets it).
    static func boundVolume(_ volume: PersistentVolume, to claim: PersistentVolumeClaim) -> PersistentVolume {
        var updated = volume
        var spec = volume.spec ?? PersistentVolumeSpec()
        let ref = spec.claimRef
        if ref?.uid != claim.metadata?.uid || ref?.name != claim.metadata?.name || ref?.namespace != claim.metadata?.namespace {
            if ref == nil { updated.metadata?.annotations[VolumeAnnotations.boundByController] = "yes" }
            spec.claimRef = reference(to: claim)
        }
        updated.spec = spec
        return updated
    }

    static func boundVolumeStatus(_ volume: PersistentVolume) -> PersistentVolume {
        var updated = volume
        if volume.status?.phase != "Bound" {
            var status = volume.status ?? PersistentVolumeStatus()
            status.phase = "Bound"
            status.reason = nil
            status.message = nil
            updated.status = status
        }
        return updated
    }

    /// The claim with volumeName set and bind-completed (bound-by-controller when the binder set
    /// the name).
    static func boundClaim(_ claim: PersistentVolumeClaim, to volume: PersistentVolume) -> PersistentVolumeClaim {
        var updated = claim
        var meta = claim.metadata ?? ObjectMeta()
        var spec = claim.spec ?? PersistentVolumeClaimSpec()
        if spec.volumeName != volume.metadata?.name {
            spec.volumeName = volume.metadata?.name
            meta.annotations[VolumeAnnotations.boundByController] = "yes"
        }
        if meta.annotations[VolumeAnnotations.bindCompleted] == nil { meta.annotations[VolumeAnnotations.bindCompleted] = "yes" }
        updated.metadata = meta
        updated.spec = spec
        return updated
    }

    static func boundClaimStatus(_ claim: PersistentVolumeClaim, _ volume: PersistentVolume) -> PersistentVolumeClaim {
        var updated = claim
        var status = claim.status ?? PersistentVolumeClaimStatus()
        status.phase = "Bound"
        status.accessModes = volume.spec?.accessModes ?? []
        status.capacity = volume.spec?.capacity ?? [:]
        updated.status = status
        return updated
    }
}
