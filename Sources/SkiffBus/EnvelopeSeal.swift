/// EnvelopeSeal: authenticated encryption of encoded envelopes under the cluster's `BusKey`
/// (AES-256-GCM, swift-crypto). `RequestClient`, `RequestServer`, `Publisher` and `Subscriber`
/// seal every envelope they send and open every one they receive; one that does not open is
/// dropped by the caller, never decoded or handed on.
///
/// Wire layout (must not change without a new magic; every process of a cluster shares it):
///
///     "SKB" 0x01 | salt (16) | counter (8, big-endian) | ciphertext | GCM tag (16)
///
/// Nonces: each seal picks a random salt once and encrypts under its own subkey,
/// HKDF-SHA256(bus key, salt), with the counter as nonce, so a nonce never repeats under a
/// key however many messages a process sends (random 96-bit nonces under one shared key would
/// wear out after about 2^32 messages). Receivers derive a sender's subkey once and keep it.
///
/// What the tag binds besides the bytes: the direction ("request", "reply", or "publish" plus
/// the topic), so a request cannot be replayed as a reply nor a message moved to another
/// topic. Pub/sub topics stay in clear in front (`TopicFrame`) for nanomsg's prefix filters.
/// Replays of a whole sealed message are left to the layers above: a request's id and
/// deadline are inside the seal (the server's `ReplyCache` answers a copy without running the
/// handler again, and an expired one is refused), and a subscriber's `SequenceTracker` drops
/// a sequence number it has seen.
///
/// Concurrency: Sendable; any thread may seal and open at once (an atomic counter and a
/// mutex around the subkey cache). Must never: reuse a (subkey, nonce) pair, return bytes that
/// did not authenticate, or add a subkey to the cache before a message under it authenticated.
import Crypto
import Foundation
import Synchronization

final class EnvelopeSeal: Sendable {
    /// swift-crypto's SymmetricKey is not marked Sendable; it is an immutable value (only read
    /// after init), so sharing it between threads is safe.
    struct Key: @unchecked Sendable {
        let key: SymmetricKey
    }

    /// What a sealed message is for; part of the authenticated data.
    enum Purpose {
        case request
        case reply
        case publish(topic: String)

        var associatedData: [UInt8] {
            switch self {
            case .request: return Array("skiff-bus/1 request".utf8)
            case .reply: return Array("skiff-bus/1 reply".utf8)
            case .publish(let topic): return Array("skiff-bus/1 publish\0".utf8) + Array(topic.utf8)
            }
        }
    }

    static let magic: [UInt8] = [0x53, 0x4B, 0x42, 0x01]  // "SKB" 1
    static let saltCount = 16
    static let counterCount = 8
    static let tagCount = 16
    static let headerCount = magic.count + saltCount + counterCount
    /// Bytes a sealed message has beyond its plaintext.
    static let overhead = headerCount + tagCount
    /// Subkeys of other senders kept; past this the cache starts over (a cluster has a few
    /// dozen processes, so this is only reached if something churns).
    static let subkeyCacheLimit = 1024

    private let key: Key
    private let salt: [UInt8]
    private let subkey: Key
    private let counter = Atomic<UInt64>(0)
    private let subkeys: Mutex<[[UInt8]: Key]>

    init(key: SymmetricKey) {
        self.key = Key(key: key)
        var generator = SystemRandomNumberGenerator()
        salt = (0..<Self.saltCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        subkey = Self.derive(self.key, salt: salt)
        subkeys = Mutex([salt: subkey])
    }

    private static func derive(_ key: Key, salt: [UInt8]) -> Key {
        Key(key: HKDF<SHA256>.deriveKey(inputKeyMaterial: key.key, salt: salt, info: Array("skiff-bus/1 subkey".utf8), outputByteCount: 32))
    }

    /// Whether `bytes` look sealed (start with the magic). Says nothing about authenticity:
    /// used only to explain a mismatch (one side has a key, the other not).
    static func looksSealed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= overhead && zip(bytes.prefix(magic.count), magic).allSatisfy { $0 == $1 }
    }

    /// `plaintext` sealed for `purpose`.
    func seal(_ plaintext: [UInt8], for purpose: Purpose) -> [UInt8] {
        let count = counter.add(1, ordering: .relaxed).newValue
        var nonceBytes = [UInt8](repeating: 0, count: 12)
        for i in 0..<8 { nonceBytes[4 + i] = UInt8(truncatingIfNeeded: count >> (56 - 8 * UInt64(i))) }
        // Cannot fail: the nonce is 12 bytes and AES-GCM takes any plaintext length we send.
        let box = try! AES.GCM.seal(plaintext, using: subkey.key, nonce: try! AES.GCM.Nonce(data: nonceBytes),
                                    authenticating: purpose.associatedData)
        var sealed = [UInt8]()
        sealed.reserveCapacity(Self.overhead + plaintext.count)
        sealed += Self.magic
        sealed += salt
        sealed += nonceBytes[4...]
        sealed += box.ciphertext
        sealed += box.tag
        return sealed
    }

    /// The plaintext of `sealed`, or nil if it is not sealed, was sealed under another key or
    /// for another purpose, or was altered.
    func open(_ sealed: UnsafeRawBufferPointer, for purpose: Purpose) -> [UInt8]? {
        guard Self.looksSealed(sealed) else { return nil }
        var offset = Self.magic.count
        let salt = Array(sealed[offset ..< offset + Self.saltCount])
        offset += Self.saltCount
        let nonceBytes = [UInt8](repeating: 0, count: 4) + sealed[offset ..< offset + Self.counterCount]
        offset += Self.counterCount
        let ciphertext = UnsafeRawBufferPointer(rebasing: sealed[offset ..< sealed.count - Self.tagCount])
        let tag = UnsafeRawBufferPointer(rebasing: sealed[(sealed.count - Self.tagCount)...])
        let cached = subkeys.withLock { $0[salt] }
        let subkey = cached ?? Self.derive(key, salt: salt)
        guard let nonce = try? AES.GCM.Nonce(data: nonceBytes),
              let box = try? AES.GCM.SealedBox(nonce: nonce, ciphertext: ciphertext, tag: tag),
              let plaintext = try? AES.GCM.open(box, using: subkey.key, authenticating: purpose.associatedData) else {
            return nil
        }
        if cached == nil {
            let (ownSalt, ownSubkey) = (self.salt, self.subkey)
            subkeys.withLock { cache in
                if cache.count >= Self.subkeyCacheLimit { cache = [ownSalt: ownSubkey] }
                cache[salt] = subkey
            }
        }
        return Array(plaintext)
    }
}
