/// ShardRing: which live instance of a controller owns an object key, by rendezvous (highest
/// random weight) hashing: every member scores every key and the highest score wins. Adding or
/// removing a member moves only the keys that member wins or held, and every instance that
/// sees the same members computes the same owner without talking to the others.
///
/// Concurrency: a pure value. Must never: give one key two owners for one member set.
public struct ShardRing: Sendable, Equatable {
    public let members: [String]

    public init(members: some Sequence<String>) { self.members = Set(members).sorted() }

    /// The member that owns `key`; nil when there are no members.
    public func owner(of key: String) -> String? {
        var best: (score: UInt64, member: String)?
        for member in members {
            let score = Self.score(member, key)
            if best == nil || score > best!.score || (score == best!.score && member < best!.member) {
                best = (score, member)
            }
        }
        return best?.member
    }

    /// FNV-1a 64 of member, a separator and key, finished with a 64-bit mixer so that similar
    /// inputs spread evenly.
    static func score(_ member: String, _ key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in member.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        hash = (hash ^ 0) &* 0x100_0000_01b3
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        hash ^= hash >> 33
        hash &*= 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash &*= 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return hash
    }
}
