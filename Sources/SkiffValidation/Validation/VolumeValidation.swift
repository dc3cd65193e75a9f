/// VolumeValidation: a pod's volumes: unique DNS-label names, exactly one source each, and the
/// rules of each source (paths, modes, referenced names, claim templates).
///
/// Concurrency: pure functions. Must never: let a mount reference a volume that failed its own
/// checks; only volumes without errors are offered to the mounts (as Kubernetes does).
import SkiffAPI
import SkiffWire

enum VolumeValidation {
    static let fileModeMessage = "must be a number between 0 and 0777 (octal), both inclusive"
    static let hostPathTypes = ["", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File",
                                "FileOrCreate", "Socket"]

    /// Errors, and the volumes mounts may refer to by name.
    static func validate(_ volumes: [Volume], _ path: FieldPath) -> (errors: [FieldError], usable: [String: Volume]) {
        var errors: [FieldError] = []
        var usable: [String: Volume] = [:]
        var seen: Set<String> = []
        for (index, volume) in volumes.enumerated() {
            let volumePath = path.index(index)
            let name = volume.name ?? ""
            var volumeErrors = source(volume, volumePath)
            volumeErrors += FieldChecks.requiredName(volume.name, volumePath.child("name"), NameFormats.dns1123Label)
            if seen.contains(name) { volumeErrors.append(.duplicate(volumePath.child("name"), name)) }
            if volumeErrors.isEmpty {
                seen.insert(name)
                usable[name] = volume
            } else {
                errors += volumeErrors
            }
        }
        return (errors, usable)
    }

    /// Exactly one source, each checked on its own terms.
    private static func source(_ volume: Volume, _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        var count = 0
        func accept(_ present: Bool, _ field: String, _ check: () -> [FieldError]) {
            guard present else { return }
            if count > 0 {
                errors.append(.forbidden(path.child(field), "may not specify more than 1 volume type"))
            } else {
                count += 1
                errors += check()
            }
        }
        accept(volume.emptyDir != nil, "emptyDir") {
            guard let size = volume.emptyDir?.sizeLimit, size.milliValue < 0 else { return [] }
            return [.forbidden(path.child("emptyDir").child("sizeLimit"), "SizeLimit field must be a valid resource quantity")]
        }
        accept(volume.hostPath != nil, "hostPath") { hostPath(volume.hostPath, path.child("hostPath")) }
        accept(volume.secret != nil, "secret") {
            let secretPath = path.child("secret")
            var errors = (volume.secret?.secretName ?? "").isEmpty ? [FieldError.required(secretPath.child("secretName"))] : []
            errors += fileMode(volume.secret?.defaultMode, secretPath.child("defaultMode"))
            errors += keysToPaths(volume.secret?.items ?? [], secretPath.child("items"))
            return errors
        }
        accept(volume.nfs != nil, "nfs") { nfs(volume.nfs, path.child("nfs")) }
        accept(volume.persistentVolumeClaim != nil, "persistentVolumeClaim") {
            (volume.persistentVolumeClaim?.claimName ?? "").isEmpty
                ? [.required(path.child("persistentVolumeClaim").child("claimName"))] : []
        }
        accept(volume.downwardAPI != nil, "downwardAPI") {
            let downwardPath = path.child("downwardAPI")
            var errors = fileMode(volume.downwardAPI?.defaultMode, downwardPath.child("defaultMode"))
            for file in volume.downwardAPI?.items ?? [] { errors += downwardAPIFile(file, downwardPath) }
            return errors
        }
        accept(volume.configMap != nil, "configMap") {
            let configMapPath = path.child("configMap")
            var errors = (volume.configMap?.name ?? "").isEmpty ? [FieldError.required(configMapPath.child("name"))] : []
            errors += fileMode(volume.configMap?.defaultMode, configMapPath.child("defaultMode"))
            errors += keysToPaths(volume.configMap?.items ?? [], configMapPath.child("items"))
            return errors
        }
        accept(volume.projected != nil, "projected") { projected(volume.projected, path.child("projected")) }
        accept(volume.csi != nil, "csi") {
            let csiPath = path.child("csi")
            var errors = csiDriverName(volume.csi?.driver, csiPath.child("driver"))
            if let secret = volume.csi?.nodePublishSecretRef {
                errors += FieldChecks.requiredName(secret.name, csiPath.child("nodePublishSecretRef").child("name"),
                                                   NameFormats.dns1123Subdomain)
            }
            return errors
        }
        accept(volume.ephemeral != nil, "ephemeral") {
            let templatePath = path.child("ephemeral").child("volumeClaimTemplate")
            guard let template = volume.ephemeral?.volumeClaimTemplate else { return [.required(templatePath)] }
            return ObjectMetaValidation.validateTemplate(template.metadata, templatePath.child("metadata"))
                + StorageValidation.claimSpec(template.spec, templatePath.child("spec"))
        }
        accept(volume.image != nil, "image") {
            let imagePath = path.child("image")
            var errors = (volume.image?.reference ?? "").isEmpty ? [FieldError.required(imagePath.child("reference"))] : []
            errors += FieldChecks.optionalChoice(volume.image?.pullPolicy, ContainerValidation.pullPolicies,
                                                 imagePath.child("pullPolicy"))
            return errors
        }
        if count == 0 { errors.append(.required(path, "must specify a volume type")) }
        return errors
    }

    // MARK: Sources

    static func hostPath(_ source: HostPathVolumeSource?, _ path: FieldPath) -> [FieldError] {
        guard let hostPath = source?.path, !hostPath.isEmpty else { return [.required(path.child("path"))] }
        return noBacksteps(hostPath, path.child("path"))
            + FieldChecks.optionalChoice(source?.type, hostPathTypes, path.child("type"))
    }

    static func nfs(_ source: NFSVolumeSource?, _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if (source?.server ?? "").isEmpty { errors.append(.required(path.child("server"))) }
        let exportPath = source?.path ?? ""
        if exportPath.isEmpty { errors.append(.required(path.child("path"))) }
        if !exportPath.hasPrefix("/") { errors.append(.invalid(path.child("path"), exportPath, "must be an absolute path")) }
        return errors
    }

    static func csiDriverName(_ driver: String?, _ path: FieldPath) -> [FieldError] {
        let driver = driver ?? ""
        var errors: [FieldError] = []
        if driver.isEmpty { errors.append(.required(path)) }
        if driver.utf8.count > 63 { errors.append(.tooLong(path, bytes: 63)) }
        errors += FieldChecks.format(NameFormats.dns1123Subdomain(driver.lowercased()), driver, path)
        return errors
    }

    private static func projected(_ source: ProjectedVolumeSource?, _ path: FieldPath) -> [FieldError] {
        var errors = fileMode(source?.defaultMode, path.child("defaultMode"))
        var paths: Set<String> = []
        func claim(_ file: String?, _ shown: String) {
            guard let file, !file.isEmpty else { return }
            if !paths.insert(file).inserted { errors.append(.invalid(path, shown, "conflicting duplicate paths")) }
        }
        for (index, projection) in (source?.sources ?? []).enumerated() {
            let sourcePath = path.child("sources").index(index)
            var kinds = 0
            if let secret = projection.secret {
                kinds += 1
                if (secret.name ?? "").isEmpty { errors.append(.required(sourcePath.child("secret").child("name"))) }
                errors += keysToPaths(secret.items, sourcePath.child("secret").child("items"))
                for item in secret.items { claim(item.path, secret.name ?? "") }
            }
            if let configMap = projection.configMap {
                kinds += 1
                if (configMap.name ?? "").isEmpty { errors.append(.required(sourcePath.child("configMap").child("name"))) }
                errors += keysToPaths(configMap.items, sourcePath.child("configMap").child("items"))
                for item in configMap.items { claim(item.path, configMap.name ?? "") }
            }
            if let downward = projection.downwardAPI {
                kinds += 1
                for file in downward.items {
                    errors += downwardAPIFile(file, sourcePath.child("downwardAPI"))
                    claim(file.path, file.path ?? "")
                }
            }
            if let token = projection.serviceAccountToken {
                kinds += 1
                let tokenPath = sourcePath.child("serviceAccountToken")
                let seconds = token.expirationSeconds ?? 3600
                if seconds < 600 {
                    errors.append(.invalid(tokenPath.child("expirationSeconds"), String(seconds),
                                           "may not specify a duration less than 10 minutes"))
                }
                if seconds > 1 << 32 {
                    errors.append(.invalid(tokenPath.child("expirationSeconds"), String(seconds),
                                           "may not specify a duration larger than 2^32 seconds"))
                }
                if (token.path ?? "").isEmpty {
                    errors.append(.required(tokenPath.child("path")))
                } else {
                    errors += localNonReservedPath(token.path ?? "", tokenPath.child("path"))
                }
            }
            if kinds > 1 { errors.append(.forbidden(sourcePath, "may not specify more than 1 volume type per source")) }
        }
        return errors
    }

    private static func downwardAPIFile(_ file: DownwardAPIVolumeFile, _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        let filePath = file.path ?? ""
        if filePath.isEmpty { errors.append(.required(path.child("path"))) }
        errors += localNonReservedPath(filePath, path.child("path"))
        if let fieldRef = file.fieldRef {
            errors += ContainerValidation.objectFieldSelector(fieldRef, ContainerValidation.volumeFieldPaths,
                                                              path.child("fieldRef"))
            if file.resourceFieldRef != nil {
                errors.append(.invalid(path, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously"))
            }
        } else if let resourceRef = file.resourceFieldRef {
            errors += ContainerValidation.resourceFieldSelector(resourceRef, path.child("resourceFieldRef"),
                                                                requireContainer: true)
        } else {
            errors.append(.required(path, "one of fieldRef and resourceFieldRef is required"))
        }
        errors += fileMode(file.mode, path.child("mode"))
        return errors
    }

    private static func keysToPaths(_ items: [KeyToPath], _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        for (index, item) in items.enumerated() {
            let itemPath = path.index(index)
            if (item.key ?? "").isEmpty { errors.append(.required(itemPath.child("key"))) }
            let file = item.path ?? ""
            if file.isEmpty { errors.append(.required(itemPath.child("path"))) }
            errors += localNonReservedPath(file, itemPath.child("path"))
            errors += fileMode(item.mode, itemPath.child("mode"))
        }
        return errors
    }

    private static func fileMode(_ mode: Int32?, _ path: FieldPath) -> [FieldError] {
        guard let mode, mode < 0 || mode > 0o777 else { return [] }
        return [.invalid(path, String(mode), fileModeMessage)]
    }

    // MARK: Paths

    /// No ".." element: a volume path must not climb out of where it is mounted.
    static func noBacksteps(_ value: String, _ path: FieldPath) -> [FieldError] {
        value.split(separator: "/", omittingEmptySubsequences: false).contains("..")
            ? [.invalid(path, value, "must not contain '..'")] : []
    }

    /// Relative and without backsteps: a path inside the volume.
    static func localDescendingPath(_ value: String, _ path: FieldPath) -> [FieldError] {
        var errors = value.hasPrefix("/") ? [FieldError.invalid(path, value, "must be a relative path")] : []
        errors += noBacksteps(value, path)
        return errors
    }

    static func localNonReservedPath(_ value: String, _ path: FieldPath) -> [FieldError] {
        var errors = localDescendingPath(value, path)
        if value.hasPrefix("..") && !value.hasPrefix("../") {
            errors.append(.invalid(path, value, "must not start with '..'"))
        }
        return errors
    }
}
