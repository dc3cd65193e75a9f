/// ImageStore: the machine's local images, one unpacked root filesystem per name and tag,
/// shared read-only by every kubelet on the machine (each container writes to its own overlay
/// layer on top). Images arrive by `skiffctl image import` from a rootfs directory, a rootfs
/// tarball or an OCI image archive; `busybox` (any tag) is built in, made on first use from
/// Debian's busybox-static, so that `image: busybox` works out of the box.
///
/// Layout: DIR/<name>/<tag>/rootfs and DIR/<name>/<tag>/image.json (the image config).
///
/// Concurrency: Sendable; an import writes into a temporary directory and renames it into
/// place, so a reader sees a whole image or none. Must never: leave a half-imported image
/// visible, or write outside DIR.
import Foundation

public struct ImageStore: Sendable {
    public let directory: String
    /// Where the built-in busybox comes from.
    public let busyboxBinary: String

    public init(directory: String, busyboxBinary: String = "/bin/busybox") {
        self.directory = directory
        self.busyboxBinary = busyboxBinary
    }

    /// The image a reference names, or nil when it is not here (ErrImagePull).
    public func resolve(_ reference: String) -> Image? {
        guard let ref = try? ImageReference(reference) else { return nil }
        if let image = load(ref) { return image }
        if ref.name == "busybox" || ref.name == "library/busybox" {
            return try? installBusybox(as: ref)
        }
        return nil
    }

    /// Every image here, sorted by reference.
    public func list() -> [Image] {
        var images: [Image] = []
        // NAME may hold slashes (example/app), so walk down to the directories holding an
        // image.json beside a rootfs, never into a rootfs.
        func walk(_ relative: [String]) {
            let path = ([directory] + relative).joined(separator: "/")
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            if entries.contains("image.json") && entries.contains("rootfs") && relative.count >= 2 {
                let ref = ImageReference(name: relative.dropLast().joined(separator: "/"), tag: relative.last!)
                if let image = load(ref) { images.append(image) }
                return
            }
            guard relative.count < 8 else { return }
            for entry in entries where !entry.hasPrefix(".") {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: "\(path)/\(entry)", isDirectory: &isDirectory), isDirectory.boolValue {
                    walk(relative + [entry])
                }
            }
        }
        walk([])
        return images.sorted { $0.reference < $1.reference }
    }

    /// Imports a rootfs directory, a rootfs tarball or an OCI image archive as `reference`,
    /// replacing an image of that name and tag (containers running from the old one should be
    /// restarted: their lower layer is gone).
    @discardableResult
    public func importImage(_ reference: String, from path: String) throws -> Image {
        let ref = try ImageReference(reference)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ImageError("\(path): no such file or directory")
        }
        return try install(ref) { staging in
            let rootfs = staging + "/rootfs"
            if isDirectory.boolValue {
                try Shell.run("/bin/cp", ["-a", path + "/.", rootfs])
                return ImageConfig()
            }
            if try OCIArchive.isArchive(path) {
                return try OCIArchive.unpack(path, into: rootfs, scratch: staging + "/oci")
            }
            try Shell.run("/bin/tar", ["-xf", path, "-C", rootfs, "--no-same-owner", "--numeric-owner"])
            return ImageConfig()
        }
    }

    /// Removes an image. Containers still running from it lose their lower layer: remove an
    /// image only when nothing runs from it (the store does not track its users).
    public func remove(_ reference: String) throws {
        let ref = try ImageReference(reference)
        let path = imagePath(ref)
        guard FileManager.default.fileExists(atPath: path) else { throw ImageError("image \(ref) not found") }
        try FileManager.default.removeItem(atPath: path)
    }

    // MARK: internals

    func imagePath(_ ref: ImageReference) -> String { "\(directory)/\(ref.name)/\(ref.tag)" }

    private func load(_ ref: ImageReference) -> Image? {
        let path = imagePath(ref)
        guard let data = FileManager.default.contents(atPath: path + "/image.json"),
              let config = try? JSONDecoder().decode(ImageConfig.self, from: data) else { return nil }
        return Image(reference: ref.description, id: config.id ?? "", rootfs: path + "/rootfs", config: config)
    }

    private func installBusybox(as ref: ImageReference) throws -> Image {
        guard FileManager.default.isExecutableFile(atPath: busyboxBinary) else {
            throw ImageError("busybox is built from \(busyboxBinary), which is missing (install busybox-static)")
        }
        return try install(ref, replacing: false) { staging in
            let rootfs = staging + "/rootfs"
            let fm = FileManager.default
            for dir in ["bin", "etc", "tmp", "proc", "sys", "dev", "root", "var", "home"] {
                try fm.createDirectory(atPath: "\(rootfs)/\(dir)", withIntermediateDirectories: true)
            }
            try fm.copyItem(atPath: busyboxBinary, toPath: rootfs + "/bin/busybox")
            let applets = try Shell.output(busyboxBinary, ["--list"]).split(separator: "\n")
            for applet in applets where applet != "busybox" {
                try? fm.createSymbolicLink(atPath: "\(rootfs)/bin/\(applet)", withDestinationPath: "busybox")
            }
            try "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"
                .write(toFile: rootfs + "/etc/passwd", atomically: true, encoding: .utf8)
            try "root:x:0:\nnogroup:x:65534:\n".write(toFile: rootfs + "/etc/group", atomically: true, encoding: .utf8)
            chmod(rootfs + "/tmp", 0o1777)
            return ImageConfig(cmd: ["sh"], env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
        }
    }

    /// Builds an image in a staging directory beside its final place, then renames it in.
    /// Without `replacing`, an image that appeared meanwhile (another kubelet built the same
    /// built-in image) wins and this copy is dropped: its rootfs may already be in use.
    private func install(_ ref: ImageReference, replacing: Bool = true, _ build: (String) throws -> ImageConfig) throws -> Image {
        let fm = FileManager.default
        let final = imagePath(ref)
        let parent = (final as NSString).deletingLastPathComponent
        try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let staging = "\(parent)/.staging-\(ref.tag)-\(UUID().uuidString.prefix(8))"
        try fm.createDirectory(atPath: staging + "/rootfs", withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: staging) }
        var config = try build(staging)
        try? fm.removeItem(atPath: staging + "/oci")
        config.id = config.id ?? "sha256:" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try JSONEncoder().encode(config).write(to: URL(fileURLWithPath: staging + "/image.json"))
        if !replacing, let existing = load(ref) { return existing }
        let old = final + ".old-\(UUID().uuidString.prefix(8))"
        if fm.fileExists(atPath: final) { try fm.moveItem(atPath: final, toPath: old) }
        try fm.moveItem(atPath: staging, toPath: final)
        try? fm.removeItem(atPath: old)
        return Image(reference: ref.description, id: config.id ?? "", rootfs: final + "/rootfs", config: config)
    }
}

/// An unpacked image: its root filesystem and the defaults it gives a container.
public struct Image: Sendable, Equatable {
    /// Normalized, e.g. "busybox:latest".
    public var reference: String
    public var id: String
    public var rootfs: String
    public var config: ImageConfig

    public init(reference: String, id: String, rootfs: String, config: ImageConfig) {
        self.reference = reference
        self.id = id
        self.rootfs = rootfs
        self.config = config
    }
}

/// The parts of an OCI image config a container uses.
public struct ImageConfig: Codable, Sendable, Equatable {
    public var entrypoint: [String]
    public var cmd: [String]
    public var env: [String]
    public var workingDir: String
    public var id: String?

    public init(entrypoint: [String] = [], cmd: [String] = [], env: [String] = [], workingDir: String = "", id: String? = nil) {
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.env = env
        self.workingDir = workingDir
        self.id = id
    }
}

/// "busybox", "busybox:1.36", "docker.io/library/busybox:latest" -> name and tag. Digests are
/// not supported (there is no registry to verify them against).
public struct ImageReference: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var tag: String

    init(name: String, tag: String) {
        self.name = name
        self.tag = tag
    }

    public init(_ reference: String) throws {
        var rest = reference
        for prefix in ["docker.io/library/", "docker.io/", "index.docker.io/library/"] where rest.hasPrefix(prefix) {
            rest.removeFirst(prefix.count)
            break
        }
        guard !rest.contains("@") else { throw ImageError("image \(reference): digests are not supported, use a tag") }
        var tag = "latest"
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            tag = String(rest[rest.index(after: colon)...])
            rest = String(rest[..<colon])
        }
        let nameOK = !rest.isEmpty && rest.allSatisfy { $0.isLowercase || $0.isNumber || "._-/".contains($0) }
            && !rest.split(separator: "/", omittingEmptySubsequences: false).contains { $0.isEmpty || $0 == "." || $0 == ".." }
        let tagOK = !tag.isEmpty && tag.count <= 128 && tag.first != "." && tag.first != "-"
            && tag.allSatisfy { $0.isLetter || $0.isNumber || "._-".contains($0) }
        guard nameOK, tagOK else { throw ImageError("invalid image reference \"\(reference)\"") }
        name = rest
        self.tag = tag
    }

    public var description: String { "\(name):\(tag)" }
}

public struct ImageError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
