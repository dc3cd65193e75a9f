// PodVolumes: AtomicWriter semantics and the preparation of each kind of volume, in a scratch directory.
import Foundation
import SkiffWire
import Testing
@testable import SkiffKubelet

private let fm = FileManager.default

private func link(_ path: String) -> String? { try? fm.destinationOfSymbolicLink(atPath: path) }
private func text(_ path: String) -> String? { fm.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } }
private func files(_ pairs: [String: String]) -> [String: [UInt8]] { pairs.mapValues { Array($0.utf8) } }

/// The API as volume setup sees it: these objects, nothing else.
private func sources(configMaps: [String: ConfigMap] = [:], secrets: [String: Secret] = [:],
                     claims: [String: PersistentVolumeClaim] = [:], volumes: [String: PersistentVolume] = [:]) -> VolumeSources {
    VolumeSources(configMap: { configMaps[$0] }, secret: { secrets[$0] }, claim: { claims[$0] }, volume: { volumes[$0] })
}

private func pod(_ volumes: [Volume]) -> Pod {
    Pod(metadata: ObjectMeta(name: "web", namespace: "shop", uid: "uid-1", labels: ["app": "shop"]), spec: PodSpec(volumes: volumes))
}

@Suite struct UnitPodVolumesTests {
    @Test func filesAppearThroughTheDataLink() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let dir = scratch.path + "/vol"
        try PodVolumes(podsDirectory: scratch.path).writeAtomically(files(["a.conf": "A", "nested/b.txt": "B"]), into: dir, mode: nil)

        #expect(text(dir + "/a.conf") == "A")
        #expect(text(dir + "/nested/b.txt") == "B")
        #expect(link(dir + "/a.conf") == "..data/a.conf")
        #expect(link(dir + "/nested") == "..data/nested")
        let version = try #require(link(dir + "/..data"))
        #expect(version.hasPrefix(".."))
        #expect(text("\(dir)/\(version)/a.conf") == "A")
        let mode = try fm.attributesOfItem(atPath: "\(dir)/\(version)/a.conf")[.posixPermissions] as? Int
        #expect(mode == 0o644)
    }

    @Test func anUpdateSwapsTheContentAndRemovedKeysDisappear() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let dir = scratch.path + "/vol", volumes = PodVolumes(podsDirectory: scratch.path)
        try volumes.writeAtomically(files(["a": "1", "b": "2"]), into: dir, mode: nil)
        let first = try #require(link(dir + "/..data"))

        try volumes.writeAtomically(files(["a": "changed", "c": "3"]), into: dir, mode: nil)
        let second = try #require(link(dir + "/..data"))
        #expect(second != first)
        #expect(text(dir + "/a") == "changed")
        #expect(text(dir + "/c") == "3")
        #expect(!fm.fileExists(atPath: dir + "/b"))
        #expect(link(dir + "/b") == nil)
        #expect(!fm.fileExists(atPath: "\(dir)/\(first)"))  // the old version is gone
        let visible = try fm.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix("..") }.sorted()
        #expect(visible == ["a", "c"])
    }

    @Test func unchangedContentIsNotRewritten() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let dir = scratch.path + "/vol", volumes = PodVolumes(podsDirectory: scratch.path)
        try volumes.writeAtomically(files(["a": "1"]), into: dir, mode: nil)
        let first = link(dir + "/..data")
        try volumes.writeAtomically(files(["a": "1"]), into: dir, mode: nil)
        #expect(link(dir + "/..data") == first)

        try volumes.writeAtomically(files(["a": "1"]), into: dir, mode: 0o400)  // a new mode is a change
        #expect(link(dir + "/..data") != first)
        let mode = try fm.attributesOfItem(atPath: dir + "/..data/a")[.posixPermissions] as? Int
        #expect(mode == 0o400)
    }

    @Test(arguments: ["../escape", "/etc/passwd", "a/../../b"])
    func pathsOutsideTheVolumeAreRefused(path: String) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        #expect(throws: VolumeError(message: "invalid path \(path) in volume items")) {
            try PodVolumes(podsDirectory: scratch.path).writeAtomically([path: [1]], into: scratch.path + "/vol", mode: nil)
        }
        #expect(!fm.fileExists(atPath: scratch.path + "/escape"))
    }

    @Test func emptyDirAndHostPathDirectories() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let volumes = PodVolumes(podsDirectory: scratch.path + "/pods")
        let created = scratch.path + "/host/made/here"
        let paths = try await volumes.prepare(pod([
            Volume(name: "cache", emptyDir: EmptyDirVolumeSource()),
            Volume(name: "made", hostPath: HostPathVolumeSource(path: created, type: "DirectoryOrCreate")),
            Volume(name: "plain", hostPath: HostPathVolumeSource(path: scratch.path + "/anything")),
        ]), sources: sources(), hostIP: nil, podIP: nil)

        let cache = scratch.path + "/pods/uid-1/volumes/cache"
        #expect(paths == ["cache": cache, "made": created, "plain": scratch.path + "/anything"])
        var isDirectory: ObjCBool = false
        #expect(fm.fileExists(atPath: cache, isDirectory: &isDirectory) && isDirectory.boolValue)
        #expect(try fm.attributesOfItem(atPath: cache)[.posixPermissions] as? Int == 0o777)
        #expect(fm.fileExists(atPath: created, isDirectory: &isDirectory) && isDirectory.boolValue)
        #expect(!fm.fileExists(atPath: scratch.path + "/anything"))  // no type: no check, nothing made

        volumes.teardown("uid-1")
        #expect(!fm.fileExists(atPath: scratch.path + "/pods/uid-1"))
        #expect(fm.fileExists(atPath: created))  // a hostPath's contents are the node's
    }

    @Test(arguments: [
        ("Directory", "missing", "is not a directory"),
        ("Directory", "file", "is not a directory"),
        ("File", "dir", "is not a file"),
        ("File", "missing", "is not a file"),
        ("Socket", "missing", "does not exist"),
    ])
    func hostPathTypesAreChecked(type: String, entry: String, problem: String) async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write("file", "x")
        try fm.createDirectory(atPath: scratch.path + "/dir", withIntermediateDirectories: true)
        let path = scratch.path + "/" + entry
        await #expect(throws: VolumeError(message: "hostPath type check failed: \(path) \(problem)")) {
            try await PodVolumes(podsDirectory: scratch.path + "/pods").prepare(
                pod([Volume(name: "h", hostPath: HostPathVolumeSource(path: path, type: type))]),
                sources: sources(), hostIP: nil, podIP: nil)
        }
    }

    @Test func fileOrCreateMakesAnEmptyFile() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path + "/run/app.sock.lock"
        _ = try await PodVolumes(podsDirectory: scratch.path + "/pods").prepare(
            pod([Volume(name: "h", hostPath: HostPathVolumeSource(path: path, type: "FileOrCreate"))]),
            sources: sources(), hostIP: nil, podIP: nil)
        #expect(fm.contents(atPath: path) == Data())
    }

    @Test func configMapAndSecretVolumesShowTheirKeys() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let api = sources(configMaps: ["settings": ConfigMap(data: ["app.conf": "level=debug", "other": "x"], binaryData: ["logo": [0, 1, 2]])],
                          secrets: ["tls": Secret(data: ["tls.key": Array("KEY".utf8), "tls.crt": Array("CRT".utf8)])])
        let paths = try await PodVolumes(podsDirectory: scratch.path).prepare(pod([
            Volume(name: "all", configMap: ConfigMapVolumeSource(name: "settings")),
            Volume(name: "some", configMap: ConfigMapVolumeSource(name: "settings", items: [KeyToPath(key: "app.conf", path: "conf/app.ini")])),
            Volume(name: "certs", secret: SecretVolumeSource(secretName: "tls", items: [KeyToPath(key: "tls.key", path: "private.key")],
                                                             defaultMode: 0o400)),
        ]), sources: api, hostIP: nil, podIP: nil)

        let all = try #require(paths["all"]), some = try #require(paths["some"]), certs = try #require(paths["certs"])
        #expect(text(all + "/app.conf") == "level=debug")
        #expect(fm.contents(atPath: all + "/logo") == Data([0, 1, 2]))
        #expect(try fm.contentsOfDirectory(atPath: some).filter { !$0.hasPrefix("..") } == ["conf"])
        #expect(text(some + "/conf/app.ini") == "level=debug")
        #expect(try fm.contentsOfDirectory(atPath: certs).filter { !$0.hasPrefix("..") } == ["private.key"])
        #expect(text(certs + "/private.key") == "KEY")
        #expect(try fm.attributesOfItem(atPath: certs + "/..data/private.key")[.posixPermissions] as? Int == 0o400)
    }

    @Test(arguments: [
        (Volume(name: "v", configMap: ConfigMapVolumeSource(name: "absent")), "configmap \"absent\" not found"),
        (Volume(name: "v", secret: SecretVolumeSource(secretName: "absent")), "secret \"absent\" not found"),
        (Volume(name: "v", configMap: ConfigMapVolumeSource(name: "settings", items: [KeyToPath(key: "nope", path: "n")])),
         "configmap references non-existent config key: nope"),
        (Volume(name: "v", persistentVolumeClaim: PersistentVolumeClaimVolumeSource(claimName: "absent")),
         "persistentvolumeclaim \"absent\" not found"),
        (Volume(name: "v", persistentVolumeClaim: PersistentVolumeClaimVolumeSource(claimName: "pending")),
         "persistentvolumeclaim \"pending\" is not bound"),
        (Volume(name: "v", persistentVolumeClaim: PersistentVolumeClaimVolumeSource(claimName: "on-nfs")),
         "persistentvolume \"pv-nfs\" has no hostPath or local path on this node"),
        (Volume(name: "v", nfs: NFSVolumeSource(server: "nas", path: "/export")),
         "volume \"v\": this kind of volume is not supported by skiff's kubelet"),
    ])
    func volumesThatCannotBeSetUpSayWhy(volume: Volume, message: String) async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let api = sources(configMaps: ["settings": ConfigMap(data: ["k": "v"])], claims: [
            "pending": PersistentVolumeClaim(spec: PersistentVolumeClaimSpec(), status: PersistentVolumeClaimStatus(phase: "Pending")),
            "on-nfs": PersistentVolumeClaim(spec: PersistentVolumeClaimSpec(volumeName: "pv-nfs"), status: PersistentVolumeClaimStatus(phase: "Bound")),
        ], volumes: ["pv-nfs": PersistentVolume(spec: PersistentVolumeSpec(nfs: NFSVolumeSource(server: "nas", path: "/x")))])
        await #expect(throws: VolumeError(message: message)) {
            try await PodVolumes(podsDirectory: scratch.path).prepare(pod([volume]), sources: api, hostIP: nil, podIP: nil)
        }
    }

    @Test func optionalMissingObjectsAndKeysGiveWhatExists() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let paths = try await PodVolumes(podsDirectory: scratch.path).prepare(pod([
            Volume(name: "none", configMap: ConfigMapVolumeSource(name: "absent", optional: true)),
            Volume(name: "partial", configMap: ConfigMapVolumeSource(name: "settings", items: [
                KeyToPath(key: "k", path: "k"), KeyToPath(key: "nope", path: "n"),
            ], optional: true)),
        ]), sources: sources(configMaps: ["settings": ConfigMap(data: ["k": "v"])]), hostIP: nil, podIP: nil)
        #expect(try fm.contentsOfDirectory(atPath: try #require(paths["none"])).filter { !$0.hasPrefix("..") }.isEmpty)
        #expect(try fm.contentsOfDirectory(atPath: try #require(paths["partial"])).filter { !$0.hasPrefix("..") } == ["k"])
    }

    @Test func aBoundClaimUsesItsVolumesHostPath() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let data = scratch.path + "/pv/data"
        let api = sources(claims: ["db": PersistentVolumeClaim(spec: PersistentVolumeClaimSpec(volumeName: "pv-1"),
                                                                status: PersistentVolumeClaimStatus(phase: "Bound"))],
                          volumes: ["pv-1": PersistentVolume(spec: PersistentVolumeSpec(hostPath: HostPathVolumeSource(path: data)))])
        let paths = try await PodVolumes(podsDirectory: scratch.path + "/pods").prepare(
            pod([Volume(name: "store", persistentVolumeClaim: PersistentVolumeClaimVolumeSource(claimName: "db"))]),
            sources: api, hostIP: nil, podIP: nil)
        #expect(paths == ["store": data])
        #expect(fm.fileExists(atPath: data))
    }

    @Test func downwardAPIFilesShowPodFields() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let paths = try await PodVolumes(podsDirectory: scratch.path).prepare(pod([
            Volume(name: "info", downwardAPI: DownwardAPIVolumeSource(items: [
                DownwardAPIVolumeFile(path: "labels", fieldRef: ObjectFieldSelector(fieldPath: "metadata.labels")),
                DownwardAPIVolumeFile(path: "ip", fieldRef: ObjectFieldSelector(fieldPath: "status.podIP")),
            ])),
        ]), sources: sources(), hostIP: nil, podIP: "10.244.0.9")
        let info = try #require(paths["info"])
        #expect(text(info + "/labels") == "app=\"shop\"")
        #expect(text(info + "/ip") == "10.244.0.9")
    }

    /// Kubernetes' secret volume says "references non-existent secret key: KEY".
    @Test func aMissingSecretKeyIsNamedAsASecretKey() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let volume = Volume(name: "v", secret: SecretVolumeSource(secretName: "tls", items: [KeyToPath(key: "nope", path: "n")]))
        var message = ""
        do {
            _ = try await PodVolumes(podsDirectory: scratch.path).prepare(pod([volume]), sources: sources(secrets: ["tls": Secret()]),
                                                                          hostIP: nil, podIP: nil)
        } catch let error as VolumeError {
            message = error.message
        }
        #expect(message == "references non-existent secret key: nope")
    }
}
