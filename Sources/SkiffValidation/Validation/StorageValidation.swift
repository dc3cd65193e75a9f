/// StorageValidation: PersistentVolumes (storage that exists), PersistentVolumeClaims (requests
/// for storage) and StorageClasses (how to provision it): capacity, access modes, one source,
/// and what may not change once bound or provisioned.
///
/// Concurrency: pure functions. Must never: let a claim shrink or a volume's source change;
/// data already lives there.
import SkiffAPI
import SkiffWire

enum StorageValidation {
    static let accessModes = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
    static let volumeModes = ["Block", "Filesystem"]
    static let specPath = FieldPath("spec")

    // MARK: PersistentVolume

    static func validate(_ volume: PersistentVolume) -> [FieldError] {
        ObjectMetaValidation.validate(volume.metadata, namespaced: false, name: NameFormats.dns1123Subdomain)
            + volumeSpec(volume.spec)
    }

    static func validateUpdate(_ volume: PersistentVolume, old: PersistentVolume) -> [FieldError] {
        var errors = ObjectMetaValidation.validateUpdate(volume.metadata, old: old.metadata) + volumeSpec(volume.spec)
        let new = volume.spec ?? PersistentVolumeSpec(), previous = old.spec ?? PersistentVolumeSpec()
        if source(of: new) != source(of: previous) {
            errors.append(.forbidden(specPath.child("persistentvolumesource"), "spec.persistentvolumesource is immutable after creation"))
        }
        errors += FieldChecks.immutable(new.volumeMode, previous.volumeMode, specPath.child("volumeMode"), shown: new.volumeMode ?? "")
        if previous.nodeAffinity != nil && new.nodeAffinity != previous.nodeAffinity {
            errors.append(.invalid(specPath.child("nodeAffinity"), FieldChecks.immutableMessage))
        }
        return errors
    }

    /// The source fields of a volume, for comparing on update.
    private static func source(of spec: PersistentVolumeSpec) -> PersistentVolumeSpec {
        PersistentVolumeSpec(hostPath: spec.hostPath, nfs: spec.nfs, local: spec.local, csi: spec.csi)
    }

    private static func volumeSpec(_ spec: PersistentVolumeSpec?) -> [FieldError] {
        guard let spec else { return [.required(specPath)] }
        var errors = modes(spec.accessModes, specPath.child("accessModes"), requiredDetail: "")
        let capacityPath = specPath.child("capacity")
        if spec.capacity.isEmpty { errors.append(.required(capacityPath)) }
        if spec.capacity["storage"] == nil || spec.capacity.count > 1 {
            let shown = spec.capacity.keys.sorted().joined(separator: ",")
            errors.append(.notSupported(capacityPath, shown, ["storage"]))
        }
        for name in spec.capacity.keys.sorted() {
            guard let amount = spec.capacity[name] else { continue }
            errors += FieldChecks.positive(amount, capacityPath.key(name))
        }
        if let policy = spec.persistentVolumeReclaimPolicy, !policy.isEmpty {
            errors += FieldChecks.optionalChoice(policy, ["Delete", "Recycle", "Retain"], specPath.child("persistentVolumeReclaimPolicy"))
        }
        var hasNodeAffinity = false
        if let affinity = spec.nodeAffinity {
            hasNodeAffinity = true
            if let required = affinity.required {
                errors += PodSpecValidation.nodeSelector(required, specPath.child("nodeAffinity").child("required"))
            } else {
                errors.append(.required(specPath.child("nodeAffinity").child("required"), "must specify required node constraints"))
            }
        }
        var count = 0
        func accept(_ present: Bool, _ field: String, _ check: () -> [FieldError]) {
            guard present else { return }
            if count > 0 {
                errors.append(.forbidden(specPath.child(field), "may not specify more than 1 volume type"))
            } else {
                count += 1
                errors += check()
            }
        }
        accept(spec.hostPath != nil, "hostPath") { VolumeValidation.hostPath(spec.hostPath, specPath.child("hostPath")) }
        accept(spec.nfs != nil, "nfs") { VolumeValidation.nfs(spec.nfs, specPath.child("nfs")) }
        accept(spec.local != nil, "local") {
            let localPath = specPath.child("local")
            var errors: [FieldError] = []
            if let path = spec.local?.path, !path.isEmpty {
                errors += VolumeValidation.noBacksteps(path, localPath.child("path"))
            } else {
                errors.append(.required(localPath.child("path")))
            }
            if !hasNodeAffinity { errors.append(.required(specPath.child("nodeAffinity"), "Local volume requires node affinity")) }
            return errors
        }
        accept(spec.csi != nil, "csi") {
            let csiPath = specPath.child("csi")
            var errors = VolumeValidation.csiDriverName(spec.csi?.driver, csiPath.child("driver"))
            if (spec.csi?.volumeHandle ?? "").isEmpty { errors.append(.required(csiPath.child("volumeHandle"))) }
            for (field, reference) in [("controllerPublishSecretRef", spec.csi?.controllerPublishSecretRef),
                                       ("nodeStageSecretRef", spec.csi?.nodeStageSecretRef),
                                       ("nodePublishSecretRef", spec.csi?.nodePublishSecretRef),
                                       ("controllerExpandSecretRef", spec.csi?.controllerExpandSecretRef),
                                       ("nodeExpandSecretRef", spec.csi?.nodeExpandSecretRef)] {
                guard let reference else { continue }
                errors += FieldChecks.requiredName(reference.name, csiPath.child(field).child("name"), NameFormats.dns1123Subdomain)
                errors += FieldChecks.requiredName(reference.namespace, csiPath.child(field).child("namespace"), NameFormats.dns1123Label)
            }
            return errors
        }
        if count == 0 { errors.append(.required(specPath, "must specify a volume type")) }
        if let hostPath = spec.hostPath?.path, hostPath.split(separator: "/").isEmpty,
           spec.persistentVolumeReclaimPolicy == "Recycle" {
            errors.append(.forbidden(specPath.child("persistentVolumeReclaimPolicy"), "may not be 'recycle' for a hostPath mount of '/'"))
        }
        errors += FieldChecks.optionalName(spec.storageClassName, specPath.child("storageClassName"), NameFormats.dns1123Subdomain)
        errors += FieldChecks.optionalChoice(spec.volumeMode, volumeModes, specPath.child("volumeMode"))
        return errors
    }

    /// Access modes: at least one, each supported, ReadWriteOncePod alone.
    private static func modes(_ modes: [String], _ path: FieldPath, requiredDetail: String) -> [FieldError] {
        var errors: [FieldError] = modes.isEmpty ? [.required(path, requiredDetail)] : []
        for mode in modes where !accessModes.contains(mode) {
            errors.append(.notSupported(path, mode, accessModes))
        }
        if modes.contains("ReadWriteOncePod") && modes.contains(where: { $0 != "ReadWriteOncePod" && accessModes.contains($0) }) {
            errors.append(.forbidden(path, "may not use ReadWriteOncePod with other access modes"))
        }
        return errors
    }

    // MARK: PersistentVolumeClaim

    static func validate(_ claim: PersistentVolumeClaim) -> [FieldError] {
        ObjectMetaValidation.validate(claim.metadata, namespaced: true, name: NameFormats.dns1123Subdomain)
            + claimSpec(claim.spec, specPath)
    }

    static let claimImmutableMessage =
        "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"

    static func validateUpdate(_ claim: PersistentVolumeClaim, old: PersistentVolumeClaim) -> [FieldError] {
        var errors = ObjectMetaValidation.validateUpdate(claim.metadata, old: old.metadata) + claimSpec(claim.spec, specPath)
        var new = claim.spec ?? PersistentVolumeClaimSpec()
        let previous = old.spec ?? PersistentVolumeClaimSpec()
        // The volume controller binds a claim by setting volumeName once.
        if (previous.volumeName ?? "").isEmpty { new.volumeName = previous.volumeName }
        // A class may be set on a claim that had none.
        if previous.storageClassName == nil { new.storageClassName = nil }
        let bound = (claim.status?.phase ?? old.status?.phase) == "Bound"
        if bound {
            new.resources?.requests["storage"] = previous.resources?.requests["storage"]
            new.volumeAttributesClassName = previous.volumeAttributesClassName
        }
        if new != previous { errors.append(.forbidden(specPath, claimImmutableMessage)) }
        if let newSize = claim.spec?.resources?.requests["storage"], let oldSize = previous.resources?.requests["storage"],
           newSize.milliValue < oldSize.milliValue {
            errors.append(.forbidden(specPath.child("resources").child("requests").child("storage"),
                                     "field can not be less than previous value"))
        }
        errors += FieldChecks.immutable(claim.spec?.volumeMode, previous.volumeMode, specPath.child("volumeMode"),
                                        shown: claim.spec?.volumeMode ?? "")
        return errors
    }

    /// A claim's spec, wherever it appears (claims, ephemeral volumes, StatefulSet templates).
    static func claimSpec(_ spec: PersistentVolumeClaimSpec?, _ path: FieldPath) -> [FieldError] {
        guard let spec else { return [.required(path)] }
        var errors = modes(spec.accessModes, path.child("accessModes"), requiredDetail: "at least 1 access mode is required")
        errors += LabelSelectorValidation.validate(spec.selector, path.child("selector"))
        let storagePath = path.child("resources").key("storage")
        if let storage = spec.resources?.requests["storage"] {
            errors += FieldChecks.positive(storage, storagePath)
        } else {
            errors.append(.required(storagePath))
        }
        errors += FieldChecks.optionalName(spec.storageClassName, path.child("storageClassName"), NameFormats.dns1123Subdomain)
        errors += FieldChecks.optionalChoice(spec.volumeMode, volumeModes, path.child("volumeMode"))
        if let source = spec.dataSource {
            errors += dataSource(name: source.name, kind: source.kind, apiGroup: source.apiGroup, path.child("dataSource"))
        }
        if let source = spec.dataSourceRef {
            errors += dataSource(name: source.name, kind: source.kind, apiGroup: source.apiGroup, path.child("dataSourceRef"))
            errors += FieldChecks.optionalName(source.namespace, path.child("dataSourceRef").child("namespace"), NameFormats.dns1123Label)
        }
        return errors
    }

    private static func dataSource(name: String?, kind: String?, apiGroup: String?, _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if (name ?? "").isEmpty { errors.append(.required(path.child("name"))) }
        if (kind ?? "").isEmpty { errors.append(.required(path.child("kind"))) }
        let group = apiGroup ?? ""
        if group.isEmpty && kind != "PersistentVolumeClaim" {
            errors.append(.invalid(path, kind ?? "", "must be 'PersistentVolumeClaim' when referencing the default apiGroup"))
        }
        if !group.isEmpty { errors += FieldChecks.format(NameFormats.dns1123Subdomain(group), group, path.child("apiGroup")) }
        return errors
    }

    // MARK: StorageClass

    static let parametersSizeLimit = 256 * 1024
    static let maxParameters = 512

    static func validate(_ storageClass: StorageClass) -> [FieldError] {
        ObjectMetaValidation.validate(storageClass.metadata, namespaced: false, name: NameFormats.dns1123Subdomain)
            + storageClassBody(storageClass)
    }

    private static func storageClassBody(_ storageClass: StorageClass) -> [FieldError] {
        var errors: [FieldError] = []
        let provisioner = storageClass.provisioner ?? ""
        if provisioner.isEmpty {
            errors.append(.required(FieldPath("provisioner")))
        } else {
            errors += FieldChecks.format(NameFormats.qualifiedName(provisioner.lowercased()), provisioner, FieldPath("provisioner"))
        }
        let parametersPath = FieldPath("parameters")
        if storageClass.parameters.count > maxParameters {
            errors.append(.tooLong(parametersPath, bytes: maxParameters))
        } else {
            var size = 0
            for key in storageClass.parameters.keys.sorted() {
                if key.isEmpty { errors.append(.invalid(parametersPath, key, "field can not be empty.")) }
                size += key.utf8.count + (storageClass.parameters[key]?.utf8.count ?? 0)
            }
            if size > parametersSizeLimit { errors.append(.tooLong(parametersPath, bytes: parametersSizeLimit)) }
        }
        if let policy = storageClass.reclaimPolicy, !policy.isEmpty {
            errors += FieldChecks.optionalChoice(policy, ["Delete", "Retain"], FieldPath("reclaimPolicy"))
        }
        errors += FieldChecks.requiredChoice(storageClass.volumeBindingMode, ["Immediate", "WaitForFirstConsumer"],
                                             FieldPath("volumeBindingMode"))
        for (index, term) in storageClass.allowedTopologies.enumerated() {
            let termPath = FieldPath("allowedTopologies").index(index).child("matchLabelExpressions")
            var keys: Set<String> = []
            for (requirementIndex, requirement) in term.matchLabelExpressions.enumerated() {
                let requirementPath = termPath.index(requirementIndex)
                if requirement.values.isEmpty { errors.append(.required(requirementPath.child("values"))) }
                for (valueIndex, value) in requirement.values.enumerated()
                where requirement.values[..<valueIndex].contains(value) {
                    errors.append(.duplicate(requirementPath.child("values").index(valueIndex), value))
                }
                let key = requirement.key ?? ""
                errors += FieldChecks.format(NameFormats.qualifiedName(key), key, requirementPath.child("key"))
                if !keys.insert(key).inserted { errors.append(.duplicate(requirementPath.child("key"), key)) }
            }
        }
        return errors
    }

    static func validateUpdate(_ storageClass: StorageClass, old: StorageClass) -> [FieldError] {
        var errors = ObjectMetaValidation.validateUpdate(storageClass.metadata, old: old.metadata)
        errors += storageClassBody(storageClass)
        if storageClass.parameters != old.parameters {
            errors.append(.forbidden(FieldPath("parameters"), "updates to parameters are forbidden."))
        }
        if storageClass.provisioner != old.provisioner {
            errors.append(.forbidden(FieldPath("provisioner"), "updates to provisioner are forbidden."))
        }
        if storageClass.reclaimPolicy != old.reclaimPolicy {
            errors.append(.forbidden(FieldPath("reclaimPolicy"), "updates to reclaimPolicy are forbidden."))
        }
        errors += FieldChecks.immutable(storageClass.volumeBindingMode, old.volumeBindingMode, FieldPath("volumeBindingMode"),
                                        shown: storageClass.volumeBindingMode ?? "")
        return errors
    }
}
