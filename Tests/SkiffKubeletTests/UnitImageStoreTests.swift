// ImageStore: references, the built-in busybox, imports from a directory, a tarball and an OCI
// archive (layers with whiteouts), listing and removal, in a scratch directory.
import Foundation
import SkiffImages
import Testing

private let fm = FileManager.default
private func text(_ path: String) -> String? { fm.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } }

/// A rootfs directory with one program and one config file.
private func makeRootfs(_ scratch: ScratchDirectory) throws -> String {
    try scratch.write("src/bin/hello", "#!/bin/sh\necho hello\n")
    try scratch.write("src/etc/app.conf", "port=80\n")
    return scratch.path + "/src"
}

@Suite struct UnitImageStoreTests {
    @Test(arguments: [
        ("busybox", "busybox", "latest"),
        ("busybox:1.36", "busybox", "1.36"),
        ("docker.io/library/busybox:latest", "busybox", "latest"),
        ("docker.io/busybox", "busybox", "latest"),
        ("index.docker.io/library/nginx:1.25-alpine", "nginx", "1.25-alpine"),
        ("registry.example.com/team/app:v2.1_rc", "registry.example.com/team/app", "v2.1_rc"),
        ("ghcr.io/owner/tool", "ghcr.io/owner/tool", "latest"),
        ("my-app_2:V1", "my-app_2", "V1"),
    ])
    func referencesParseToNameAndTag(reference: String, name: String, tag: String) throws {
        let parsed = try ImageReference(reference)
        #expect(parsed.name == name)
        #expect(parsed.tag == tag)
        #expect(parsed.description == "\(name):\(tag)")
    }

    @Test(arguments: ["", ":latest", "busybox:", "BusyBox", "busy box", "a//b", "./a", "a/../b", "/busybox", "busybox/",
                      "busybox:-x", "busybox:.x", "busybox:a/b", "busybox:" + String(repeating: "x", count: 129)])
    func invalidReferencesAreRefused(reference: String) {
        #expect(throws: ImageError.self) { try ImageReference(reference) }
    }

    @Test func digestsAreRefusedWithAReason() {
        let reference = "busybox@sha256:" + String(repeating: "a", count: 64)
        do {
            _ = try ImageReference(reference)
            Issue.record("a digest reference was accepted")
        } catch let error as ImageError {
            #expect(error.message == "image \(reference): digests are not supported, use a tag")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func busyboxIsBuiltIn() throws {
        guard fm.isExecutableFile(atPath: "/bin/busybox") else {
            print("skipped busyboxIsBuiltIn: /bin/busybox is not installed (busybox-static)")
            return
        }
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let store = ImageStore(directory: scratch.path)
        let image = try #require(store.resolve("busybox"))
        #expect(image.reference == "busybox:latest")
        #expect(image.id.hasPrefix("sha256:"))
        #expect(image.config.cmd == ["sh"])
        #expect(fm.isExecutableFile(atPath: image.rootfs + "/bin/busybox"))
        #expect(try fm.destinationOfSymbolicLink(atPath: image.rootfs + "/bin/sh") == "busybox")
        #expect(text(image.rootfs + "/etc/passwd")?.hasPrefix("root:x:0:0:") == true)
        #expect(store.resolve("busybox") == image)  // made once, then loaded
        #expect(store.resolve("docker.io/library/busybox:1.36")?.reference == "busybox:1.36")
        #expect(store.list().map(\.reference) == ["busybox:1.36", "busybox:latest"])
    }

    @Test func aMissingBuiltInSourceOrAnUnknownImageResolvesToNothing() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let store = ImageStore(directory: scratch.path, busyboxBinary: scratch.path + "/no-busybox")
        #expect(store.resolve("busybox") == nil)
        #expect(store.resolve("nginx") == nil)
        #expect(store.resolve("Not A Reference") == nil)
        #expect(store.list().isEmpty)
    }

    @Test func importFromADirectoryThenListAndRemove() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let store = ImageStore(directory: scratch.path + "/images")
        let imported = try store.importImage("app:v1", from: try makeRootfs(scratch))
        #expect(imported.reference == "app:v1")
        #expect(imported.rootfs == scratch.path + "/images/app/v1/rootfs")
        #expect(text(imported.rootfs + "/etc/app.conf") == "port=80\n")
        #expect(imported.config == ImageConfig(id: imported.id))
        #expect(store.resolve("app:v1") == imported)
        #expect(store.resolve("app") == nil)

        try store.importImage("app:v2", from: scratch.path + "/src")
        #expect(store.list().map(\.reference) == ["app:v1", "app:v2"])
        try store.remove("app:v1")
        #expect(store.resolve("app:v1") == nil)
        #expect(store.list().map(\.reference) == ["app:v2"])
        #expect(throws: ImageError.self) { try store.remove("app:v1") }
    }

    @Test func aReimportReplacesTheImage() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let store = ImageStore(directory: scratch.path + "/images")
        let first = try store.importImage("app", from: try makeRootfs(scratch))
        try scratch.write("other/only-here", "x")
        let second = try store.importImage("app:latest", from: scratch.path + "/other")
        #expect(second.id != first.id)
        #expect(store.resolve("app") == second)
        #expect(fm.fileExists(atPath: second.rootfs + "/only-here"))
        #expect(!fm.fileExists(atPath: second.rootfs + "/etc/app.conf"))
        #expect(try fm.contentsOfDirectory(atPath: scratch.path + "/images/app") == ["latest"])  // no staging or old copies
    }

    @Test func importFromATarball() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let rootfs = try makeRootfs(scratch)
        let tarball = scratch.path + "/rootfs.tar"
        try host("/bin/tar", ["-cf", tarball, "-C", rootfs, "."])
        let store = ImageStore(directory: scratch.path + "/images")
        let image = try store.importImage("registry.example.com/team/app:2", from: tarball)
        #expect(image.reference == "registry.example.com/team/app:2")
        #expect(text(image.rootfs + "/bin/hello") == "#!/bin/sh\necho hello\n")
        #expect(store.list().map(\.reference) == ["registry.example.com/team/app:2"])
    }

    @Test func importFromNothingFails() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let store = ImageStore(directory: scratch.path + "/images")
        #expect(throws: ImageError.self) { try store.importImage("app", from: scratch.path + "/absent.tar") }
        #expect(throws: ImageError.self) { try store.importImage("app@sha256:abc", from: scratch.path) }
        #expect(store.list().isEmpty)
    }

    /// An OCI layout by hand: layer 1 adds files, layer 2 (gzipped) deletes one with a
    /// whiteout, empties a directory with an opaque whiteout and changes a file.
    @Test func importAnOCIArchiveAppliesLayersAndWhiteouts() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write("l1/etc/config", "v1")
        try scratch.write("l1/etc/old", "gone soon")
        try scratch.write("l1/data/keep/x", "x")
        try scratch.write("l1/data/opq/y", "y")
        try scratch.write("l2/etc/.wh.old", "")
        try scratch.write("l2/etc/config", "v2")
        try scratch.write("l2/data/opq/.wh..wh..opq", "")
        try scratch.write("l2/data/opq/z", "z")
        let (archive, config) = try ociArchive(scratch, layers: ["l1", "l2"],
                                               config: ["Entrypoint": ["/bin/app"], "Cmd": ["--serve"], "Env": ["A=1"], "WorkingDir": "/srv"])

        let image = try ImageStore(directory: scratch.path + "/images").importImage("app:oci", from: archive)
        let rootfs = image.rootfs
        #expect(image.config == ImageConfig(entrypoint: ["/bin/app"], cmd: ["--serve"], env: ["A=1"], workingDir: "/srv", id: config))
        #expect(image.id == config)
        #expect(text(rootfs + "/etc/config") == "v2")
        #expect(!fm.fileExists(atPath: rootfs + "/etc/old"))
        #expect(text(rootfs + "/data/keep/x") == "x")
        #expect(!fm.fileExists(atPath: rootfs + "/data/opq/y"))
        #expect(text(rootfs + "/data/opq/z") == "z")
        let all = try fm.subpathsOfDirectory(atPath: rootfs)
        #expect(!all.contains { ($0 as NSString).lastPathComponent.hasPrefix(".wh.") })
        #expect(!fm.fileExists(atPath: rootfs + "/oci-layout"))
        #expect(!fm.fileExists(atPath: rootfs + "/blobs"))
    }

    /// A layer that writes (or whites out) beneath a symlink an earlier layer made is refused,
    /// and nothing outside the image is touched.
    @Test func anOCILayerBeneathASymlinkIsRefused() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write("victim/keep", "host file")
        try fm.createDirectory(atPath: scratch.path + "/l1", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: scratch.path + "/l1/evil", withDestinationPath: scratch.path + "/victim")
        try scratch.write("l2/evil/.wh.keep", "")
        try scratch.write("l2/evil/planted", "x")
        let (archive, _) = try ociArchive(scratch, layers: ["l1", "l2"], config: [:])
        let store = ImageStore(directory: scratch.path + "/images")
        #expect(throws: ImageError.self) { try store.importImage("evil:1", from: archive) }
        #expect(text(scratch.path + "/victim/keep") == "host file")
        #expect(!fm.fileExists(atPath: scratch.path + "/victim/planted"))
        #expect(store.resolve("evil:1") == nil)
    }
}

/// An OCI image layout archive of the directories `layers` (under `scratch`), in order, with
/// the given image config; the archive's path and the config's digest.
private func ociArchive(_ scratch: ScratchDirectory, layers: [String], config: [String: Any]) throws -> (String, String) {
    let layout = scratch.path + "/layout"
    try fm.createDirectory(atPath: layout + "/blobs/sha256", withIntermediateDirectories: true)
    func blob(_ path: String) throws -> String {
        let digest = String(try host("/usr/bin/sha256sum", [path]).prefix(64))
        try fm.moveItem(atPath: path, toPath: "\(layout)/blobs/sha256/\(digest)")
        return "sha256:" + digest
    }
    func jsonBlob(_ object: Any) throws -> String {
        let path = scratch.path + "/json-\(UUID().uuidString)"
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        return try blob(path)
    }
    var digests: [String] = []
    for (index, layer) in layers.enumerated() {
        // Alternate plain and gzipped layers: both are OCI's.
        let tarball = scratch.path + "/\(layer).tar" + (index % 2 == 1 ? ".gz" : "")
        try host("/bin/tar", [index % 2 == 1 ? "-czf" : "-cf", tarball, "-C", scratch.path + "/" + layer, "."])
        digests.append(try blob(tarball))
    }
    let configDigest = try jsonBlob(["architecture": "amd64", "os": "linux", "config": config])
    let manifest = try jsonBlob(["schemaVersion": 2, "config": ["digest": configDigest],
                                 "layers": digests.map { ["digest": $0] }])
    try JSONSerialization.data(withJSONObject: ["schemaVersion": 2, "manifests": [["digest": manifest]]])
        .write(to: URL(fileURLWithPath: layout + "/index.json"))
    try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: layout + "/oci-layout"))
    let archive = scratch.path + "/app.oci.tar"
    try host("/bin/tar", ["-cf", archive, "-C", layout, "oci-layout", "index.json", "blobs"])
    return (archive, configDigest)
}
