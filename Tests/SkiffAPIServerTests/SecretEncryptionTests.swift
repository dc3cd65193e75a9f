/// Secrets encrypted at rest: the sealing itself, and a real store and apiserver whose files
/// never hold a Secret's plaintext while every read, list and watch still returns it.
import Foundation
import Testing
@testable import SkiffAPIServer
import SkiffAPI
import SkiffBus
import SkiffClient
import SkiffStoreClient
import SkiffTestSupport
import SkiffWire

@Suite struct SecretSealingTests {
    static let secrets = ResourceCatalog.resource(group: "", plural: "secrets")!
    static let configMaps = ResourceCatalog.resource(group: "", plural: "configmaps")!
    static let plaintext = Array("the secret value".utf8)

    static func keys(_ names: String...) -> SecretEncryption {
        SecretEncryption(keys: names.map { SecretEncryption.Key(name: $0, bytes: Array(repeating: UInt8(truncatingIfNeeded: $0.count) &+ $0.utf8.first!, count: 32)) })
    }

    @Test func aSealedSecretOpensOnlyUnderItsOwnKeyAndUnaltered() throws {
        let encryption = Self.keys("one")
        let sealed = try encryption.seal(Self.plaintext, resource: Self.secrets, storageKey: "/registry/secrets/a/b")
        #expect(sealed.starts(with: Array("k8s:enc:aesgcm:v1:one:".utf8)))
        #expect(!String(decoding: sealed, as: UTF8.self).contains("secret value"))
        #expect(try encryption.open(sealed, storageKey: "/registry/secrets/a/b") == Self.plaintext)
        // Moved to another key, altered, or sealed with a key the file lacks: refused.
        #expect(throws: EncryptionError.self) { try encryption.open(sealed, storageKey: "/registry/secrets/a/c") }
        var altered = sealed
        altered[altered.count - 1] ^= 1
        #expect(throws: EncryptionError.self) { try encryption.open(altered, storageKey: "/registry/secrets/a/b") }
        #expect(throws: EncryptionError.self) { try Self.keys("two").open(sealed, storageKey: "/registry/secrets/a/b") }
        // Two seals of the same value differ (a fresh nonce each time).
        #expect(try encryption.seal(Self.plaintext, resource: Self.secrets, storageKey: "/registry/secrets/a/b") != sealed)
    }

    @Test func rotationSealsWithTheFirstKeyAndOpensWithAny() throws {
        let old = try Self.keys("old").seal(Self.plaintext, resource: Self.secrets, storageKey: "/k")
        let rotated = Self.keys("new", "old")
        #expect(try rotated.open(old, storageKey: "/k") == Self.plaintext)
        #expect(try rotated.seal(Self.plaintext, resource: Self.secrets, storageKey: "/k").starts(with: Array("k8s:enc:aesgcm:v1:new:".utf8)))
    }

    @Test func onlySecretsAreSealedAndPlaintextFromBeforeReadsAsItIs() throws {
        let encryption = Self.keys("one")
        #expect(try encryption.seal(Self.plaintext, resource: Self.configMaps, storageKey: "/k") == Self.plaintext)
        #expect(try encryption.open(Self.plaintext, storageKey: "/k") == Self.plaintext)
        #expect(try SecretEncryption.none.seal(Self.plaintext, resource: Self.secrets, storageKey: "/k") == Self.plaintext)
    }

    @Test(arguments: [
        ("", "holds no key"),
        ("one\n", "expected NAME:BASE64KEY"),
        ("One:AAAA\n", "expected NAME:BASE64KEY"),
        ("one:AAAA\n", "must be 32 bytes"),
        ("one:!!!\n", "must be 32 bytes"),
    ])
    func aBadKeyFileIsRefusedNamingTheProblem(text: String, problem: String) throws {
        let path = NSTemporaryDirectory() + "skiff-keys-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try SecretEncryption(keyFile: path) } throws: { ($0 as? EncryptionError)?.description.contains(problem) == true }
    }

    @Test func aNewKeyFileHoldsOneUsableKey() throws {
        let path = NSTemporaryDirectory() + "skiff-keys-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = SecretEncryption.newKeyFile()
        try (text + text.replacingOccurrences(of: "key1:", with: "key1:")).write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try SecretEncryption(keyFile: path) } throws: { ($0 as? EncryptionError)?.description.contains("named twice") == true }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try SecretEncryption(keyFile: path).keys.map(\.name) == ["key1"])
    }
}

@Suite(.serialized)
struct SecretEncryptionEndToEndTests {
    /// Every byte of the store's files.
    static func storeFiles(_ plane: ControlPlane) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: plane.dataDirectory) {
            bytes += Array((FileManager.default.contents(atPath: plane.dataDirectory + "/" + name)) ?? Data())
        }
        return bytes
    }

    static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let pattern = Array(needle.utf8)
        guard haystack.count >= pattern.count else { return false }
        return (0...(haystack.count - pattern.count)).contains { haystack[$0..<($0 + pattern.count)].elementsEqual(pattern) }
    }

    @Test func theStoreNeverHoldsASecretsPlaintextAndRotationKeepsItReadable() async throws {
        let plane = try ControlPlane()
        let keyFile = plane.directory + "/encryption.key"
        try SecretEncryption.newKeyFile(name: "first").write(toFile: keyFile, atomically: true, encoding: .utf8)
        do {
            try await plane.start(apiserverArguments: ["--encryption-key-file", keyFile])
            let client = try plane.newClient()
            let start = try await client.list(Secret.self, namespace: "default").resourceVersion
            let watch = client.watch(Secret.self, namespace: "default", after: start)
            var secret = Secret(metadata: ObjectMeta(name: "login", namespace: "default"), data: ["password": Array("hunter2-plaintext".utf8)])
            secret = try await client.create(secret)
            _ = try await client.create(ConfigMap(metadata: ObjectMeta(name: "settings", namespace: "default"),
                                                  data: ["mode": "configmap-plaintext"]))
            #expect(try await client.get(Secret.self, name: "login", namespace: "default").data["password"] == Array("hunter2-plaintext".utf8))
            #expect(try await client.list(Secret.self, namespace: "default").items.first?.data["password"] == Array("hunter2-plaintext".utf8))
            // The watch (its backlog from the store's history) delivers the plaintext too.
            let reader = Task { () -> Secret? in
                for try await change in watch { if case .added(let object) = change { return object } }
                return nil
            }
            let deadline = Task { try await Task.sleep(for: .seconds(30)); reader.cancel() }
            let watched = try? await reader.value
            deadline.cancel()
            #expect(watched?.data["password"] == Array("hunter2-plaintext".utf8))

            // The files hold the ConfigMap's value (so the search works) and not the Secret's.
            let files = try Self.storeFiles(plane)
            #expect(Self.contains(files, "configmap-plaintext"))
            #expect(!Self.contains(files, "hunter2-plaintext"))
            let store = try StoreClient(connectingTo: "ipc://\(plane.runDirectory)/store.sock",
                                        options: RequestClient.Options(token: try SharedToken(file: plane.storeTokenFile).value))
            let raw = try await store.range(RangeRequest(key: "/registry/secrets/default/login")).kvs.first?.value ?? []
            #expect(raw.starts(with: Array("k8s:enc:aesgcm:v1:first:".utf8)))

            // Rotation: a new key first, the old one still there; an update re-seals with the new one.
            await client.close()
            for server in plane.apiservers { await server.stop() }
            let old = try String(contentsOfFile: keyFile, encoding: .utf8)
            try (SecretEncryption.newKeyFile(name: "second") + old).write(toFile: keyFile, atomically: true, encoding: .utf8)
            try await plane.startAPIServer(arguments: ["--encryption-key-file", keyFile])
            let rotated = try plane.newClient()
            var current = try await rotated.get(Secret.self, name: "login", namespace: "default")
            #expect(current.data["password"] == Array("hunter2-plaintext".utf8))
            current.data["password"] = Array("hunter3-plaintext".utf8)
            _ = try await rotated.update(current)
            let resealed = try await store.range(RangeRequest(key: "/registry/secrets/default/login")).kvs.first?.value ?? []
            #expect(resealed.starts(with: Array("k8s:enc:aesgcm:v1:second:".utf8)))
            #expect(try await rotated.get(Secret.self, name: "login", namespace: "default").data["password"] == Array("hunter3-plaintext".utf8))
            await rotated.close()
            await store.close()
        } catch {
            await plane.stop()
            throw error
        }
        await plane.stop()
    }

    @Test func anApiserverGivenABadKeyFileRefusesToStart() async throws {
        let path = NSTemporaryDirectory() + "skiff-keys-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "one:short\n".write(toFile: path, atomically: true, encoding: .utf8)
        let apiserver = try ChildProcess("skiff-apiserver", ["--run-dir", NSTemporaryDirectory() + "skiff-unused-\(getpid())",
                                                             "--encryption-key-file", path])
        let status = await apiserver.exitStatus(within: .seconds(30))
        let stderr = apiserver.stderr
        await apiserver.stop()
        #expect(status != nil && status != 0)
        #expect(stderr.contains("--encryption-key-file:") && stderr.contains("must be 32 bytes"), "\(stderr)")
    }
}
