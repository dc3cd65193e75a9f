/// OCIArchive: unpacks an OCI image layout archive (`skopeo copy ... oci-archive:`, `docker
/// save` in OCI form): index.json -> manifest -> config and layers, the layers applied in
/// order with their whiteouts (`.wh.NAME` deletes NAME, `.wh..wh..opq` empties a directory).
///
/// Concurrency: pure file work in the caller's directories. Must never: follow a layer's path
/// outside the root filesystem (tar is run with --no-same-owner into a fresh directory).
import Foundation

enum OCIArchive {
    /// True when the tarball holds an `oci-layout` file at its root.
    static func isArchive(_ path: String) throws -> Bool {
        let listing = try HostCommand("/bin/tar", ["-tf", path]).runBlocking()
        guard listing.status == 0 else { return false }
        return listing.stdoutText.split(separator: "\n").contains { $0 == "oci-layout" || $0 == "./oci-layout" }
    }

    static func unpack(_ path: String, into rootfs: String, scratch: String) throws -> ImageConfig {
        let fm = FileManager.default
        try fm.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        try Shell.run("/bin/tar", ["-xf", path, "-C", scratch, "--no-same-owner"])
        let index = try json(scratch + "/index.json")
        guard let manifests = index["manifests"] as? [[String: Any]], let first = manifests.first,
              let manifestDigest = first["digest"] as? String else {
            throw ImageError("\(path): index.json lists no manifest")
        }
        let manifest = try json(blob(scratch, manifestDigest))
        guard let configDigest = (manifest["config"] as? [String: Any])?["digest"] as? String,
              let layers = manifest["layers"] as? [[String: Any]] else {
            throw ImageError("\(path): manifest \(manifestDigest) has no config or layers")
        }
        for (number, layer) in layers.enumerated() {
            guard let digest = layer["digest"] as? String else { throw ImageError("\(path): layer \(number) has no digest") }
            let staging = "\(scratch)/layer-\(number)"
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
            try Shell.run("/bin/tar", ["-xf", try blob(scratch, digest), "-C", staging, "--no-same-owner"])
            try refuseSymlinkTraversal(layer: staging, rootfs: rootfs, number: number)
            try applyWhiteouts(layer: staging, to: rootfs)
            // --remove-destination: a file replaces a symlink of the same name instead of being
            // written through it.
            try Shell.run("/bin/cp", ["-a", "--remove-destination", staging + "/.", rootfs])
            try fm.removeItem(atPath: staging)
        }
        let config = (try json(blob(scratch, configDigest))["config"] as? [String: Any]) ?? [:]
        return ImageConfig(entrypoint: config["Entrypoint"] as? [String] ?? [], cmd: config["Cmd"] as? [String] ?? [],
                           env: config["Env"] as? [String] ?? [], workingDir: config["WorkingDir"] as? String ?? "",
                           id: configDigest)
    }

    /// A layer may not put anything beneath a directory that an earlier layer made a symbolic
    /// link: followed as root, such a path (or a whiteout) would reach outside the image
    /// (`evil -> /etc`, then `evil/passwd`). Refused rather than resolved.
    static func refuseSymlinkTraversal(layer: String, rootfs: String, number: Int) throws {
        let fm = FileManager.default
        var checked = Set<String>()
        for relative in try fm.subpathsOfDirectory(atPath: layer) {
            var prefix = ""
            for component in relative.split(separator: "/").dropLast() {
                prefix += prefix.isEmpty ? String(component) : "/\(component)"
                guard checked.insert(prefix).inserted else { continue }
                let type = (try? fm.attributesOfItem(atPath: "\(rootfs)/\(prefix)"))?[.type] as? FileAttributeType
                if type == .typeSymbolicLink {
                    throw ImageError("layer \(number): \(relative) lies beneath \(prefix), a symbolic link in the image; refused")
                }
            }
        }
    }

    /// Deletes from `rootfs` what the layer's whiteout markers say, and the markers themselves.
    static func applyWhiteouts(layer: String, to rootfs: String) throws {
        let fm = FileManager.default
        for relative in (try fm.subpathsOfDirectory(atPath: layer)) {
            let name = (relative as NSString).lastPathComponent
            guard name.hasPrefix(".wh.") else { continue }
            let parent = (relative as NSString).deletingLastPathComponent
            let target = parent.isEmpty ? rootfs : "\(rootfs)/\(parent)"
            if name == ".wh..wh..opq" {
                for entry in (try? fm.contentsOfDirectory(atPath: target)) ?? [] {
                    try? fm.removeItem(atPath: "\(target)/\(entry)")
                }
            } else {
                try? fm.removeItem(atPath: "\(target)/\(name.dropFirst(4))")
            }
            try fm.removeItem(atPath: "\(layer)/\(relative)")
        }
    }

    private static func blob(_ root: String, _ digest: String) throws -> String {
        let parts = digest.split(separator: ":")
        guard parts.count == 2, parts[1].allSatisfy(\.isHexDigit) else { throw ImageError("bad digest \(digest)") }
        return "\(root)/blobs/\(parts[0])/\(parts[1])"
    }

    private static func json(_ path: String) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path),
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ImageError("\(path): not a JSON object")
        }
        return object
    }
}
