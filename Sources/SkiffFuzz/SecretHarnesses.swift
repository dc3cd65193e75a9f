/// SecretHarnesses: Secrets at rest. The key file is read at every apiserver start; a stored
/// value comes back from the store (its files, its backups) on every read, list and watch, so
/// `open` must refuse anything but a value sealed for this storage key without crashing.
///
/// Concurrency: pure; the keys are constants. Must never: use a real key (these are fixed
/// bytes, so a crash reproduces).
import Foundation
import SkiffAPI
import SkiffAPIServer

enum SecretHarnesses {
    static let keyFile = FuzzHarness("secret-key-file", "SecretEncryption key file text; every key read is 32 bytes with a unique DNS-label name") { bytes in
        guard let encryption = try? SecretEncryption(keyFileText: String(decoding: bytes, as: UTF8.self), path: "fuzz") else { return false }
        FuzzInvariant.check(!encryption.keys.isEmpty && encryption.keys.allSatisfy { $0.bytes.count == 32 },
                            "secret-key-file", "a key that is not 32 bytes")
        FuzzInvariant.check(Set(encryption.keys.map(\.name)).count == encryption.keys.count,
                            "secret-key-file", "a key name read twice")
        return true
    }

    static let encryption = SecretEncryption(keys: [
        SecretEncryption.Key(name: "key2", bytes: Array(repeating: 0x22, count: 32)),
        SecretEncryption.Key(name: "key1", bytes: Array(repeating: 0x11, count: 32)),
    ])
    static let storageKey = "/registry/secrets/default/db-password"
    static let secrets = ResourceCatalog.resource(apiVersion: "v1", kind: "Secret")!

    static let sealedValue = FuzzHarness("secret-open", "SecretEncryption.open on a stored value; plaintext passes as is; sealing the input opens back to it",
                                         seeds: { seeds }) { bytes in
        let stored = Array(bytes)
        let isSealed = stored.starts(with: Array(SecretEncryption.prefix.utf8))
        let opened = try? encryption.open(stored, storageKey: storageKey)
        if let opened, !isSealed {
            FuzzInvariant.check(opened == stored, "secret-open", "an unsealed value came back changed")
        }
        guard let sealed = try? encryption.seal(stored, resource: secrets, storageKey: storageKey) else {
            fatalError("secret-open: sealing failed")
        }
        FuzzInvariant.check((try? encryption.open(sealed, storageKey: storageKey)) == stored,
                            "secret-open", "a sealed value does not open to its plaintext")
        FuzzInvariant.check((try? encryption.open(sealed, storageKey: storageKey + "x")) == nil,
                            "secret-open", "a sealed value opens under another storage key")
        return isSealed && opened != nil
    }

    /// Values sealed with each key, as the store holds them.
    static var seeds: [[UInt8]] {
        let plaintexts = [Array(#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db-password"},"data":{"password":"aHVudGVyMg=="}}"#.utf8), []]
        return plaintexts.flatMap { plaintext in
            encryption.keys.map { key in
                try! SecretEncryption(keys: [key]).seal(plaintext, resource: secrets, storageKey: storageKey)
            }
        }
    }
}
