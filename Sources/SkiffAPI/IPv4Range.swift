/// IPv4 addresses and CIDR ranges, as the components that plan addresses need them: the
/// apiserver's service-IP allocator, the kubelet's network checks, the proxy and DNS.
///
/// Concurrency: plain values. Must never: accept a malformed address (every parser returns nil).
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    /// Dotted-quad text: four decimal octets, no leading zeros beyond "0".
    public init?(_ text: some StringProtocol) {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard !octet.isEmpty, octet.count <= 3, octet.allSatisfy({ $0 >= "0" && $0 <= "9" }), let number = UInt32(octet), number < 256,
                  octet == "0" || !octet.hasPrefix("0") else { return nil }
            value = value << 8 | number
        }
        self.value = value
    }

    public var octets: [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }
    public var description: String { octets.map(String.init).joined(separator: ".") }
    public static func < (a: Self, b: Self) -> Bool { a.value < b.value }
}

/// An IPv4 range in CIDR notation; the base address is masked to the prefix.
public struct IPv4Range: Hashable, Sendable, CustomStringConvertible {
    public var base: UInt32
    public var prefix: Int

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].allSatisfy(\.isNumber), let prefix = Int(parts[1]), (0...32).contains(prefix),
              let address = IPv4Address(parts[0]) else { return nil }
        self.prefix = prefix
        base = address.value & Self.mask(prefix)
    }

    public static func mask(_ prefix: Int) -> UInt32 { prefix == 0 ? 0 : UInt32.max << (32 - prefix) }

    /// How many addresses the range spans (2^(32-prefix)).
    public var size: UInt64 { UInt64(1) << UInt64(32 - prefix) }
    public var first: IPv4Address { IPv4Address(base) }
    public var description: String { "\(first)/\(prefix)" }

    public func contains(_ address: IPv4Address) -> Bool { address.value & Self.mask(prefix) == base }

    public func overlaps(_ other: IPv4Range) -> Bool {
        let shorter = min(prefix, other.prefix)
        return base & Self.mask(shorter) == other.base & Self.mask(shorter)
    }

    /// The address `offset` places after the base (offset < size).
    public func address(at offset: UInt64) -> IPv4Address { IPv4Address(base &+ UInt32(truncatingIfNeeded: offset)) }

    /// Where `address` lies in the range, or nil outside it.
    public func offset(of address: IPv4Address) -> UInt64? {
        contains(address) ? UInt64(address.value &- base) : nil
    }

    /// Ranges this machine uses for itself: no cluster range may overlap them (the machine's
    /// resolver lives in the first, its own interface in the second).
    public static let reservedForTheMachine = [IPv4Range("10.255.255.0/24")!, IPv4Range("192.0.2.0/24")!]

    /// The machine range this one overlaps, if any.
    public var overlappedMachineRange: IPv4Range? { Self.reservedForTheMachine.first { overlaps($0) } }
}
