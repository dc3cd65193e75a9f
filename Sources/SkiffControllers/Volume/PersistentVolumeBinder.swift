/// PersistentVolumeBinder: Kubernetes' PersistentVolume controller (binder half) with a hostPath
/// dynamic provisioner: binds claims to volumes, provisions volumes of classes whose provisioner
/// is skiff.io/hostpath as directories under `--option hostpath-dir=DIR` (default
/// /var/lib/skiff/volumes) on the controller's host, releases volumes whose claim is deleted and
/// reclaims them by their policy. It decides with `BindingDecision` and applies here.
///
/// Keys: a claim's "namespace/name"; a volume's "name" (volumes are cluster-scoped, claims never
/// are); and `defaultClassKey`, under which the default StorageClass "standard" is made when no
/// class is the default (`--option create-default-class=false` turns that off).
///
/// Concurrency: Sendable; reconciles of different keys run at once, and the apiserver's
/// resourceVersion checks make two bindings of one volume fail all but one. Must never: remove a
/// directory it did not provision (outside DIR, or not named after its volume), or release a
/// volume whose claim only its cache has not seen.
import Foundation
import Logging
import SkiffAPI
import SkiffClient
import SkiffWire

public enum VolumeControllers {
    public static let persistentVolumeBinder = ControllerKind(
        name: "persistentvolume-binder",
        summary: "binds PersistentVolumeClaims to PersistentVolumes; provisions hostPath volumes") { context in
        PersistentVolumeBinder(context: context)
    }
}

public final class PersistentVolumeBinder: Controller {
    /// The key under which the default StorageClass is made; no volume can have this name.
    public static let defaultClassKey = ObjectKey(namespace: "", name: "storageclass:default")
    public static let defaultClassName = "standard"

    private let context: ControllerContext
    private let claims: Informer<PersistentVolumeClaim>
    private let volumes: Informer<PersistentVolume>
    private let classes: Informer<StorageClass>
    private let provisioning: HostPathProvisioning
    private let createDefaultClass: Bool

    public init(context: ControllerContext) {
        self.context = context
        provisioning = HostPathProvisioning(directory: context.options["hostpath-dir"] ?? HostPathProvisioning.defaultDirectory)
        createDefaultClass = context.options["create-default-class"] != "false"
        claims = context.informers.informer(PersistentVolumeClaim.self)
        volumes = context.informers.informer(PersistentVolume.self)
        classes = context.informers.informer(StorageClass.self)
        claims.addEventHandler(onAdd: { context.enqueue($0) },
                               onUpdate: { _, new in context.enqueue(new) },
                               onDelete: { claim in
                                   context.enqueue(claim)
                                   if let name = claim.spec?.volumeName, !name.isEmpty {
                                       context.queue.add(ObjectKey(namespace: "", name: name))
                                   }
                               })
        volumes.addEventHandler(onAdd: { [weak self] in self?.volumeChanged($0) },
                                onUpdate: { [weak self] in self?.volumeChanged($1) },
                                onDelete: { [weak self] in self?.volumeChanged($0) })
        classes.addEventHandler(onAdd: { [weak self] _ in self?.enqueueUnbound() },
                                onUpdate: { [weak self] _, _ in self?.enqueueUnbound() },
                                onDelete: { _ in context.queue.add(Self.defaultClassKey) })
    }

    public func allKeys() -> [ObjectKey] {
        claims.indexer.keys() + volumes.indexer.keys() + (createDefaultClass ? [Self.defaultClassKey] : [])
    }

    // MARK: events

    /// A volume wakes itself, the claim it names, and, when it is free, every claim still waiting.
    private func volumeChanged(_ volume: PersistentVolume) {
        context.queue.add(ObjectKey(namespace: "", name: volume.metadata?.name ?? ""))
        if let ref = volume.spec?.claimRef, let name = ref.name {
            context.queue.add(ObjectKey(namespace: ref.namespace ?? "", name: name))
        } else {
            enqueueUnbound()
        }
    }

    private func enqueueUnbound() {
        for claim in claims.indexer.list() where claim.metadata?.annotations[VolumeAnnotations.bindCompleted] == nil {
            context.enqueue(claim)
        }
    }

    // MARK: reconcile

    public func reconcile(_ key: ObjectKey) async throws -> Reconciled {
        if key == Self.defaultClassKey {
            try await ensureDefaultClass()
        } else if key.namespace.isEmpty {
            try await syncVolume(key)
        } else {
            try await syncClaim(key)
        }
        return .done
    }

    private func ensureDefaultClass() async throws {
        guard createDefaultClass, VolumeMatching.defaultClass(classes.indexer.list()) == nil else { return }
        var meta = ObjectMeta(name: Self.defaultClassName)
        meta.annotations = [VolumeAnnotations.isDefaultClass: "true"]
        let standard = StorageClass(metadata: meta, provisioner: HostPathProvisioning.provisioner, reclaimPolicy: "Delete",
                                    volumeBindingMode: "Immediate")
        do {
            _ = try await context.client.create(standard)
            context.logger.info("created the default StorageClass", metadata: ["name": "\(Self.defaultClassName)"])
        } catch let error as APIError where error.reason == .alreadyExists {
            // A class of that name that is not the default: the administrator's choice stands.
        }
    }

    private func syncClaim(_ key: ObjectKey) async throws {
        guard let claim = claims.indexer.get(key) else { return }
        let action = BindingDecision.decide(claim: claim, volumes: volumes.indexer.list(), classes: classes.indexer.list(),
                                            provisioning: provisioning)
        switch action {
        case .none:
            break
        case .assignClass(let name):
            var updated = claim
            updated.spec?.storageClassName = name
            try await ignoringNotFound { _ = try await context.client.update(updated) }
        case .bind(let volume):
            try await bind(claim, to: volume)
        case .provision(let volume):
            try await provision(volume, for: claim)
        case .pending(let reason, let message):
            context.events.normal(claim, reason, message)
        case .lost(let message):
            guard claim.status?.phase != "Lost" else { return }
            var updated = claim
            updated.status?.phase = "Lost"
            try await ignoringNotFound { _ = try await context.client.updateStatus(updated) }
            context.events.warning(claim, "ClaimLost", message)
        }
    }

    /// The four writes of a binding, each only when missing, in Kubernetes' order: the volume
    /// first, so that a volume is never free while a claim names it.
    private func bind(_ claim: PersistentVolumeClaim, to volume: PersistentVolume) async throws {
        var current = volume
        let claimed = BindingDecision.boundVolume(current, to: claim)
        if claimed != current { current = try await context.client.update(claimed) }
        let boundVolume = BindingDecision.boundVolumeStatus(current)
        if boundVolume != current {
            var withTime = boundVolume
            withTime.status?.lastPhaseTransitionTime = context.wallClock.now()
            current = try await context.client.updateStatus(withTime)
        }
        var currentClaim = claim
        let named = BindingDecision.boundClaim(currentClaim, to: current)
        if named != currentClaim { currentClaim = try await context.client.update(named) }
        let boundClaim = BindingDecision.boundClaimStatus(currentClaim, current)
        if boundClaim != currentClaim {
            _ = try await context.client.updateStatus(boundClaim)
            context.events.normal(claim, "Bound", "Successfully bound to volume \(volume.metadata?.name ?? "")")
        }
    }

    /// Makes the volume's directory, then the volume (pre-bound to the claim; its add event binds).
    private func provision(_ volume: PersistentVolume, for claim: PersistentVolumeClaim) async throws {
        if claim.metadata?.annotations[VolumeAnnotations.storageProvisioner] == nil {
            var updated = claim
            updated.metadata?.annotations[VolumeAnnotations.storageProvisioner] = HostPathProvisioning.provisioner
            updated.metadata?.annotations[VolumeAnnotations.betaStorageProvisioner] = HostPathProvisioning.provisioner
            try await ignoringNotFound { _ = try await context.client.update(updated) }
            return  // the update's event brings the claim back with its new resourceVersion
        }
        let name = volume.metadata?.name ?? ""
        let path = provisioning.path(of: name)
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o777])
            // Any user in the container may write, as Kubernetes' hostPath provisioner allows.
            try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: path)
        } catch {
            context.events.warning(claim, "ProvisioningFailed", "cannot create \(path): \(error)")
            throw ReconcileError("provisioning \(name): cannot create \(path): \(error)")
        }
        do {
            _ = try await context.client.create(volume)
            context.events.normal(claim, "ProvisioningSucceeded", "Successfully provisioned volume \(name) at \(path)")
        } catch let error as APIError where error.reason == .alreadyExists {
            // Made by an earlier attempt.
        }
    }

    private func syncVolume(_ key: ObjectKey) async throws {
        guard let volume = volumes.indexer.get(key) else { return }
        var claim: PersistentVolumeClaim?
        if let ref = volume.spec?.claimRef, let name = ref.name {
            claim = claims.indexer.get(ObjectKey(namespace: ref.namespace ?? "", name: name))
        }
        var action = BindingDecision.decide(volume: volume, claim: claim)
        if case .reclaim = action, let ref = volume.spec?.claimRef, let name = ref.name {
            // The cache may not have seen the claim yet: ask the apiserver before letting go.
            do {
                claim = try await context.client.get(PersistentVolumeClaim.self, name: name, namespace: ref.namespace ?? "")
                action = BindingDecision.decide(volume: volume, claim: claim)
            } catch let error as APIError where error.reason == .notFound {}
        }
        switch action {
        case .none:
            break
        case .setPhase(let phase):
            try await setPhase(volume, phase)
        case .unbind:
            var updated = volume
            updated.spec?.claimRef = nil
            updated.metadata?.annotations[VolumeAnnotations.boundByController] = nil
            try await ignoringNotFound { _ = try await context.client.update(updated) }
        case .reclaim(let release, let delete):
            var current = volume
            if release {
                guard let released = try await setPhase(volume, "Released") else { return }
                current = released
                context.events.normal(volume, "VolumeReleased", "claim of volume \(key.name) was deleted")
            }
            if delete { try await deleteVolume(current) }
        }
    }

    @discardableResult
    private func setPhase(_ volume: PersistentVolume, _ phase: String) async throws -> PersistentVolume? {
        var updated = volume
        var status = volume.status ?? PersistentVolumeStatus()
        status.phase = phase
        status.lastPhaseTransitionTime = context.wallClock.now()
        updated.status = status
        do {
            return try await context.client.updateStatus(updated)
        } catch let error as APIError where error.reason == .notFound {
            return nil
        }
    }

    /// Reclaim policy Delete: the directory of a volume this provisioner made, then the volume.
    private func deleteVolume(_ volume: PersistentVolume) async throws {
        let name = volume.metadata?.name ?? ""
        if provisioning.owns(volume) {
            let path = provisioning.path(of: name)
            do {
                if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            } catch {
                context.events.warning(volume, "VolumeFailedDelete", "cannot remove \(path): \(error)")
                throw ReconcileError("deleting volume \(name): cannot remove \(path): \(error)")
            }
        }
        var options = DeleteOptions()
        options.preconditions = Preconditions(uid: volume.metadata?.uid)
        try await ignoringNotFound { _ = try await context.client.delete(PersistentVolume.self, name: name, options: options) }
        context.logger.info("deleted volume", metadata: ["volume": "\(name)"])
    }

    private func ignoringNotFound(_ body: () async throws -> Void) async throws {
        do { try await body() } catch let error as APIError where error.reason == .notFound {}
    }
}
