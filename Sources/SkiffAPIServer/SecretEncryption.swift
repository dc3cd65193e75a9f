/// SecretEncryption: Secrets encrypted at rest, as Kubernetes' aesgcm provider does it. The
/// apiserver seals a Secret's bytes before they reach the store and opens them on every way
/// back (reads, lists, watch events), so the store, its files and its backups never hold a
/// Secret's plaintext.
///
/// A stored value is `k8s:enc:aesgcm:v1:KEYNAME:` + a 12-byte random nonce + AES-256-GCM
/// ciphertext and tag, with the storage key as additional authenticated data, so a value moved
/// to another key does not open. The key file lists `NAME:BASE64-32-BYTES` lines: the first key
/// seals, every key opens (rotation: put a new key first, restart, rewrite every Secret, then
/// drop the old key). Values without the prefix are plaintext written before encryption was
/// on, and are read as they are.
///
/// Concurrency: an immutable Sendable value. Must never: write a Secret unsealed while keys are
/// configured, or return bytes whose tag did not verify. The key file parser and `open` are
/// package-visible so that SkiffFuzz can feed them hostile input.
import Crypto
import Foundation
import SkiffAPI

package struct SecretEncryption: Sendable {
    package struct Key: Sendable {
        package var name: String
        /// The 32 key bytes (swift-crypto's SymmetricKey is not Sendable; one is made per use).
        package var bytes: [UInt8]
        package init(name: String, bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
        }
        var symmetric: SymmetricKey { SymmetricKey(data: bytes) }
    }

    /// The first seals; all open. Empty: Secrets are stored as they are.
    package let keys: [Key]

    package static let prefix = "k8s:enc:aesgcm:v1:"
    static let none = SecretEncryption(keys: [])

    package init(keys: [Key]) { self.keys = keys }

    /// Reads a key file; every problem is named with its line.
    init(keyFile path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw EncryptionError("cannot read the encryption key file \(path)")
        }
        try self.init(keyFileText: text, path: path)
    }

    /// Parses a key file's text; `path` only names the file in errors.
    package init(keyFileText text: String, path: String) throws {
        var keys: [Key] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let parts = trimmed.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, NameRules.isDNS1123Label(parts[0]).isEmpty else {
                throw EncryptionError("\(path) line \(index + 1): expected NAME:BASE64KEY with NAME a DNS label")
            }
            guard let bytes = Data(base64Encoded: parts[1]), bytes.count == 32 else {
                throw EncryptionError("\(path) line \(index + 1): key \(parts[0]) must be 32 bytes, base64-encoded")
            }
            guard !keys.contains(where: { $0.name == parts[0] }) else {
                throw EncryptionError("\(path) line \(index + 1): key \(parts[0]) is named twice")
            }
            keys.append(Key(name: parts[0], bytes: Array(bytes)))
        }
        guard !keys.isEmpty else { throw EncryptionError("\(path) holds no key") }
        self.keys = keys
    }

    /// Whether objects of `resource` are sealed.
    static func covers(_ resource: ResourceInfo) -> Bool { resource.plural == "secrets" && resource.group.isEmpty }

    /// The value to store under `storageKey`: sealed with the first key for a Secret.
    package func seal(_ plaintext: [UInt8], resource: ResourceInfo, storageKey: String) throws -> [UInt8] {
        guard let key = keys.first, Self.covers(resource) else { return plaintext }
        let box = try AES.GCM.seal(plaintext, using: key.symmetric, authenticating: Array(storageKey.utf8))
        return Array((Self.prefix + key.name + ":").utf8) + Array(box.nonce) + Array(box.ciphertext) + Array(box.tag)
    }

    /// The plaintext of a stored value: opened when sealed, as it is otherwise.
    package func open(_ stored: [UInt8], storageKey: String) throws -> [UInt8] {
        let prefix = Array(Self.prefix.utf8)
        guard stored.starts(with: prefix) else { return stored }
        let rest = stored[prefix.count...]
        guard let colon = rest.firstIndex(of: UInt8(ascii: ":")) else {
            throw EncryptionError("\(storageKey): a sealed value without a key name")
        }
        let name = String(decoding: rest[..<colon], as: UTF8.self)
        guard let key = keys.first(where: { $0.name == name }) else {
            throw EncryptionError("\(storageKey): sealed with key \(name), which the key file does not hold")
        }
        let body = Array(rest[(colon + 1)...])
        guard body.count >= 12 + 16 else { throw EncryptionError("\(storageKey): a sealed value too short to open") }
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: body[0..<12]), ciphertext: body[12..<(body.count - 16)],
                                            tag: body[(body.count - 16)...])
            return Array(try AES.GCM.open(box, using: key.symmetric, authenticating: Array(storageKey.utf8)))
        } catch {
            throw EncryptionError("\(storageKey): the sealed value does not open with key \(name) (altered, or moved from another key)")
        }
    }

    /// A new key file's text: one random key named `name`.
    static func newKeyFile(name: String = "key1") -> String {
        let key = SymmetricKey(size: .bits256)
        return "\(name):" + key.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
    }
}

struct EncryptionError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
