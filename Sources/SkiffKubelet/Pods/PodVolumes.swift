/// PodVolumes: the directories behind a pod's volumes, under PODS/<uid>/volumes/<name>, made
/// before its sandbox starts and refreshed on every sync:
/// - emptyDir: a directory, or a tmpfs for `medium: Memory` (sized by sizeLimit);
/// - hostPath: the node's path, created first for DirectoryOrCreate and FileOrCreate, checked
///   for Directory, File and Socket;
/// - configMap, secret, downwardAPI: files written atomically as Kubernetes' AtomicWriter does
///   (a new timestamped directory, then the `..data` symlink swapped to it), so a container
///   sees the old set of files or the new one, and sees updates without a restart;
/// - persistentVolumeClaim: the bound PersistentVolume's hostPath or local path.
///
/// Concurrency: one pod is prepared by one task at a time. Must never: remove anything outside
/// the pod's own directory (a hostPath's contents are the node's).
import Foundation
import SkiffWire

struct VolumeError: Error, Equatable, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// What volume setup needs from the API, fetched by the caller's closures.
struct VolumeSources: Sendable {
    var configMap: @Sendable (_ name: String) async throws -> ConfigMap?
    var secret: @Sendable (_ name: String) async throws -> Secret?
    var claim: @Sendable (_ name: String) async throws -> PersistentVolumeClaim?
    var volume: @Sendable (_ name: String) async throws -> PersistentVolume?
}

struct PodVolumes: Sendable {
    let podsDirectory: String

    func podDirectory(_ uid: String) -> String { "\(podsDirectory)/\(uid)" }

    /// Makes (or refreshes) every volume of the pod; returns volume name -> host path.
    func prepare(_ pod: Pod, sources: VolumeSources, hostIP: String?, podIP: String?) async throws -> [String: String] {
        let uid = pod.metadata?.uid ?? ""
        let base = "\(podDirectory(uid))/volumes"
        let fm = FileManager.default
        var paths: [String: String] = [:]
        for volume in pod.spec?.volumes ?? [] {
            let name = volume.name ?? ""
            let dir = "\(base)/\(name)"
            if let emptyDir = volume.emptyDir {
                if !fm.fileExists(atPath: dir) {
                    try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
                    chmod(dir, 0o777)
                }
                if emptyDir.medium == "Memory", !Mounts.isMountPoint(dir) {
                    try Mounts.tmpfs(dir, sizeBytes: emptyDir.sizeLimit.map { $0.value })
                    chmod(dir, 0o777)
                }
                paths[name] = dir
            } else if let hostPath = volume.hostPath {
                paths[name] = try prepareHostPath(hostPath)
            } else if let source = volume.configMap {
                let objectName = source.name ?? ""
                guard let configMap = try await sources.configMap(objectName) else {
                    if source.optional == true { try writeAtomically([:], into: dir, mode: source.defaultMode); paths[name] = dir; continue }
                    throw VolumeError(message: "configmap \"\(objectName)\" not found")
                }
                var files = configMap.data.mapValues { Array($0.utf8) }
                for (key, value) in configMap.binaryData { files[key] = value }
                try writeAtomically(try project(files, items: source.items, object: "ConfigMap \(objectName)", optional: source.optional == true),
                                    into: dir, mode: source.defaultMode)
                paths[name] = dir
            } else if let source = volume.secret {
                let objectName = source.secretName ?? ""
                guard let secret = try await sources.secret(objectName) else {
                    if source.optional == true { try writeAtomically([:], into: dir, mode: source.defaultMode); paths[name] = dir; continue }
                    throw VolumeError(message: "secret \"\(objectName)\" not found")
                }
                try writeAtomically(try project(secret.data, items: source.items, object: "Secret \(objectName)", optional: source.optional == true),
                                    into: dir, mode: source.defaultMode ?? 0o644)
                paths[name] = dir
            } else if let source = volume.downwardAPI {
                var files: [String: [UInt8]] = [:]
                for item in source.items {
                    guard let path = item.path, let field = item.fieldRef?.fieldPath else { continue }
                    do {
                        files[path] = Array(try ContainerEnvironment.fieldValue(field, pod: pod, hostIP: hostIP, podIP: podIP).utf8)
                    } catch { throw VolumeError(message: error.message) }
                }
                try writeAtomically(files, into: dir, mode: source.defaultMode)
                paths[name] = dir
            } else if let source = volume.persistentVolumeClaim {
                let claimName = source.claimName ?? ""
                guard let claim = try await sources.claim(claimName) else {
                    throw VolumeError(message: "persistentvolumeclaim \"\(claimName)\" not found")
                }
                guard let volumeName = claim.spec?.volumeName, !volumeName.isEmpty, claim.status?.phase == "Bound" else {
                    throw VolumeError(message: "persistentvolumeclaim \"\(claimName)\" is not bound")
                }
                guard let pv = try await sources.volume(volumeName),
                      let path = pv.spec?.hostPath?.path ?? pv.spec?.local?.path else {
                    throw VolumeError(message: "persistentvolume \"\(volumeName)\" has no hostPath or local path on this node")
                }
                if !fm.fileExists(atPath: path) { try fm.createDirectory(atPath: path, withIntermediateDirectories: true) }
                paths[name] = path
            } else {
                throw VolumeError(message: "volume \"\(name)\": this kind of volume is not supported by skiff's kubelet")
            }
        }
        return paths
    }

    /// Unmounts and removes the pod's directory.
    func teardown(_ uid: String) {
        let base = "\(podDirectory(uid))/volumes"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] where Mounts.isMountPoint("\(base)/\(name)") {
            Mounts.detach("\(base)/\(name)")
        }
        try? FileManager.default.removeItem(atPath: podDirectory(uid))
    }

    private func prepareHostPath(_ source: HostPathVolumeSource) throws -> String {
        let path = source.path ?? ""
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        let exists = fm.fileExists(atPath: path, isDirectory: &isDirectory)
        switch source.type ?? "" {
        case "DirectoryOrCreate":
            if !exists { try fm.createDirectory(atPath: path, withIntermediateDirectories: true); chmod(path, 0o755) }
        case "FileOrCreate":
            if !exists {
                try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                _ = fm.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644])
            }
        case "Directory":
            guard exists, isDirectory.boolValue else { throw VolumeError(message: "hostPath type check failed: \(path) is not a directory") }
        case "File":
            guard exists, !isDirectory.boolValue else { throw VolumeError(message: "hostPath type check failed: \(path) is not a file") }
        case "Socket", "CharDevice", "BlockDevice":
            guard exists else { throw VolumeError(message: "hostPath type check failed: \(path) does not exist") }
        default:
            break
        }
        return path
    }

    /// The files a configMap or secret volume shows: every key, or only `items` at their paths.
    private func project(_ data: [String: [UInt8]], items: [KeyToPath], object: String, optional: Bool) throws -> [String: [UInt8]] {
        guard !items.isEmpty else { return data }
        var files: [String: [UInt8]] = [:]
        for item in items {
            guard let key = item.key, let path = item.path else { continue }
            guard let value = data[key] else {
                if optional { continue }
                throw VolumeError(message: object.hasPrefix("Secret") ? "references non-existent secret key: \(key)"
                                                                      : "configmap references non-existent config key: \(key)")
            }
            files[path] = value
        }
        return files
    }

    /// AtomicWriter: files go into a fresh `..<timestamp>` directory, `..data` is swapped to it
    /// by rename, and each top-level name is a symlink through `..data`. Unchanged content is
    /// not rewritten.
    func writeAtomically(_ files: [String: [UInt8]], into dir: String, mode: Int32?) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let fingerprint = files.sorted { $0.key < $1.key }.map { "\($0.key)\u{0}\($0.value.count)\u{0}\(FNV1a.hash($0.value))" }
            .joined(separator: "\n") + "mode=\(mode ?? 0o644)"
        let stamp = "\(dir)/..fingerprint"
        if let old = try? String(contentsOfFile: stamp, encoding: .utf8), old == fingerprint,
           fm.fileExists(atPath: "\(dir)/..data") { return }
        let version = "..\(Int64(Date().timeIntervalSince1970 * 1e6))"
        let target = "\(dir)/\(version)"
        for (path, bytes) in files {
            guard !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
                throw VolumeError(message: "invalid path \(path) in volume items")
            }
            let file = "\(target)/\(path)"
            try fm.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard fm.createFile(atPath: file, contents: Data(bytes), attributes: [.posixPermissions: Int(mode ?? 0o644)]) else {
                throw VolumeError(message: "cannot write \(file)")
            }
        }
        try fm.createDirectory(atPath: target, withIntermediateDirectories: true)
        let previous = try? fm.destinationOfSymbolicLink(atPath: "\(dir)/..data")
        try? fm.removeItem(atPath: "\(dir)/..data_tmp")
        try fm.createSymbolicLink(atPath: "\(dir)/..data_tmp", withDestinationPath: version)
        guard rename("\(dir)/..data_tmp", "\(dir)/..data") == 0 else { throw VolumeError(message: "cannot update \(dir)") }
        let top = Set(files.keys.map { String($0.split(separator: "/").first ?? "") })
        for entry in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where !entry.hasPrefix("..") && !top.contains(entry) {
            try? fm.removeItem(atPath: "\(dir)/\(entry)")
        }
        for name in top where (try? fm.destinationOfSymbolicLink(atPath: "\(dir)/\(name)")) == nil {
            try fm.createSymbolicLink(atPath: "\(dir)/\(name)", withDestinationPath: "..data/\(name)")
        }
        if let previous, previous != version { try? fm.removeItem(atPath: "\(dir)/\(previous)") }
        try fingerprint.write(toFile: stamp, atomically: true, encoding: .utf8)
    }
}

/// FNV-1a, 64 bits: a cheap fingerprint of bytes (container specs, projected files, manifests);
/// not for anything an attacker chooses.
enum FNV1a {
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}
