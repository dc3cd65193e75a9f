/// IPAddress and IPNetwork: IPv4/IPv6 addresses as their network-order bytes, CIDR blocks, and
/// the reverse-lookup names (in-addr.arpa, ip6.arpa) that PTR records live under.
///
/// Concurrency: plain values. Must never: accept a malformed address (parsing is inet_pton's,
/// which is strict), or enumerate an unbounded number of reverse zones.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6), network order.
    public let bytes: [UInt8]

    public var isIPv4: Bool { bytes.count == 4 }

    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: 64)
        let family = isIPv4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil }
        guard ok else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The name a PTR record for this address has: 4.3.2.1.in-addr.arpa, or 32 nibbles under ip6.arpa.
    public var reverseName: DNSName {
        // Labels of at most 3 digits or one nibble: always valid.
        try! DNSName(labels: reverseLabels(units: isIPv4 ? 4 : 32).map { Array($0.utf8) })
    }

    /// The first `units` reverse labels counted from the network end (octets for IPv4, nibbles
    /// for IPv6), most specific first, followed by the arpa suffix.
    func reverseLabels(units: Int) -> [String] {
        var labels: [String] = []
        if isIPv4 {
            for octet in bytes.prefix(units) { labels.insert(String(octet), at: 0) }
            return labels + ["in-addr", "arpa"]
        }
        for index in 0..<units {
            let byte = bytes[index / 2]
            let nibble = index % 2 == 0 ? byte >> 4 : byte & 0xF
            labels.insert(String(nibble, radix: 16), at: 0)
        }
        return labels + ["ip6", "arpa"]
    }

    /// The label form Kubernetes DNS uses for an address without a hostname: 10-244-1-5, or the
    /// IPv6 text with colons as dashes.
    public var dashedLabel: String {
        description.replacingColonsAndDots()
    }
}

extension String {
    fileprivate func replacingColonsAndDots() -> String {
        String(map { $0 == "." || $0 == ":" ? "-" : $0 })
    }
}

/// A CIDR block such as 10.96.0.0/16.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPAddress(String(parts[0])), let prefix = Int(parts[1]),
              prefix >= 0, prefix <= address.bytes.count * 8 else { return nil }
        // Keep only the network bits, so 10.96.3.4/16 means 10.96.0.0/16.
        var bytes = address.bytes
        for index in 0..<bytes.count {
            let kept = max(0, min(8, prefix - index * 8))
            bytes[index] &= kept == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - kept))
        }
        self.address = IPAddress(bytes: bytes)!
        prefixLength = prefix
    }

    public var description: String { "\(address)/\(prefixLength)" }

    public func contains(_ other: IPAddress) -> Bool {
        guard other.bytes.count == address.bytes.count else { return false }
        for index in 0..<address.bytes.count {
            let kept = max(0, min(8, prefixLength - index * 8))
            if kept == 0 { break }
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - kept))
            if other.bytes[index] & mask != address.bytes[index] { return false }
        }
        return true
    }

    /// The reverse zones that together cover this block: one when the prefix falls on an octet
    /// (IPv4) or nibble (IPv6) boundary, else one per value of the remaining bits (10.96.0.0/12
    /// gives 96.10.in-addr.arpa ... 111.10.in-addr.arpa). At most 256; nil beyond.
    public var reverseZones: [DNSName]? {
        let unitBits = address.isIPv4 ? 8 : 4
        let units = (prefixLength + unitBits - 1) / unitBits
        let spare = units * unitBits - prefixLength
        guard spare <= 8 else { return nil }
        var zones: [DNSName] = []
        for value in 0..<(1 << spare) {
            var bytes = address.bytes
            // Set the spare bits (the low bits of the last unit) to `value`.
            let lastBit = units * unitBits  // bits [prefixLength, lastBit) vary
            for bit in 0..<spare {
                let position = lastBit - 1 - bit
                if (value >> bit) & 1 == 1 { bytes[position / 8] |= UInt8(0x80 >> (position % 8)) }
            }
            let labels = IPAddress(bytes: bytes)!.reverseLabels(units: units)
            zones.append(try! DNSName(labels: labels.map { Array($0.utf8) }))
        }
        return zones
    }
}
