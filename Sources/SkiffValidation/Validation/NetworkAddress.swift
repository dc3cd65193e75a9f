/// NetworkAddress: IP addresses and CIDR blocks as Kubernetes accepts them in API fields:
/// parseable, canonical (no leading zeros, RFC 5952 IPv6), and not IPv4-mapped IPv6.
///
/// Concurrency: pure functions. Must never: accept a value another component cannot parse the
/// same way; the proxy and the node agent read these addresses back.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SkiffAPI

enum NetworkAddress {
    /// A parsed address: 4 bytes for IPv4, 16 for IPv6.
    struct IP: Equatable {
        var bytes: [UInt8]
        var isIPv4: Bool { bytes.count == 4 }
    }

    static let invalidIPMessage = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
    static let invalidCIDRMessage = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"

    /// Kubernetes' IsValidIP: every problem with `value` as an IP address, as Invalid errors.
    static func validateIP(_ value: String, _ path: FieldPath) -> [FieldError] {
        guard let (ip, leadingZeros) = parseSloppy(value) else { return [.invalid(path, value, invalidIPMessage)] }
        if leadingZeros { return [.invalid(path, value, "must not have leading 0s")] }
        if isIPv4Mapped(ip) { return [.invalid(path, value, "must not be an IPv4-mapped IPv6 address")] }
        let canonical = render(ip)
        if canonical != value { return [.invalid(path, value, "must be in canonical form (\"\(canonical)\")")] }
        return []
    }

    /// Kubernetes' IsValidCIDR.
    static func validateCIDR(_ value: String, _ path: FieldPath) -> [FieldError] {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let (ip, leadingZeros) = parseSloppy(String(parts[0])),
              !parts[1].isEmpty, parts[1].utf8.allSatisfy(NameFormats.isDigit), let prefix = Int(parts[1]),
              prefix <= ip.bytes.count * 8 else {
            return [.invalid(path, value, invalidCIDRMessage)]
        }
        if leadingZeros || (parts[1].count > 1 && parts[1].hasPrefix("0")) {
            return [.invalid(path, value, "must not have leading 0s in IP or prefix length")]
        }
        if isIPv4Mapped(ip) { return [.invalid(path, value, "must not have an IPv4-mapped IPv6 address")] }
        if masked(ip, prefix) != ip { return [.invalid(path, value, "must not have bits set beyond the prefix length")] }
        let canonical = render(ip) + "/" + String(prefix)
        if canonical != value { return [.invalid(path, value, "must be in canonical form (\"\(canonical)\")")] }
        return []
    }

    /// Addresses that make no sense as an endpoint: unspecified, loopback, link-local.
    static func validateNonSpecial(_ value: String, _ path: FieldPath) -> [FieldError] {
        guard let (ip, _) = parseSloppy(value) else { return [] }
        let b = ip.bytes
        var errors: [FieldError] = []
        if b.allSatisfy({ $0 == 0 }) { errors.append(.invalid(path, value, "may not be unspecified (\(value))")) }
        let loopback = ip.isIPv4 ? b[0] == 127 : (b.dropLast().allSatisfy { $0 == 0 } && b[15] == 1)
        if loopback { errors.append(.invalid(path, value, "may not be in the loopback range (127.0.0.0/8, ::1/128)")) }
        let linkLocal = ip.isIPv4 ? (b[0] == 169 && b[1] == 254) : (b[0] == 0xFE && b[1] & 0xC0 == 0x80)
        if linkLocal { errors.append(.invalid(path, value, "may not be in the link-local range (169.254.0.0/16, fe80::/10)")) }
        let multicast = ip.isIPv4 ? (b[0] == 224 && b[1] == 0 && b[2] == 0) : (b[0] == 0xFF && b[1] & 0x0F == 0x02)
        if multicast {
            errors.append(.invalid(path, value, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
        }
        return errors
    }

    // MARK: Parsing

    /// Parses like Go's net.ParseIP, which tolerates leading zeros in IPv4 octets; reports them.
    private static func parseSloppy(_ value: String) -> (IP, leadingZeros: Bool)? {
        if !value.contains(":") {
            let octets = value.split(separator: ".", omittingEmptySubsequences: false)
            guard octets.count == 4 else { return nil }
            var bytes: [UInt8] = []
            var leadingZeros = false
            for octet in octets {
                guard (1...3).contains(octet.count), octet.utf8.allSatisfy(NameFormats.isDigit),
                      let number = Int(octet), number <= 255 else { return nil }
                if octet.count > 1 && octet.hasPrefix("0") { leadingZeros = true }
                bytes.append(UInt8(number))
            }
            return (IP(bytes: bytes), leadingZeros)
        }
        var address = in6_addr()
        guard inet_pton(AF_INET6, value, &address) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &address) { Array($0) }
        return (IP(bytes: bytes), false)
    }

    private static func isIPv4Mapped(_ ip: IP) -> Bool {
        !ip.isIPv4 && ip.bytes[0..<10].allSatisfy { $0 == 0 } && ip.bytes[10] == 0xFF && ip.bytes[11] == 0xFF
    }

    private static func masked(_ ip: IP, _ prefix: Int) -> IP {
        var bytes = ip.bytes
        for index in bytes.indices {
            let bitsKept = max(0, min(8, prefix - index * 8))
            bytes[index] &= bitsKept == 8 ? 0xFF : ~(UInt8(0xFF) >> bitsKept)
        }
        return IP(bytes: bytes)
    }

    /// The canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as "::").
    static func render(_ ip: IP) -> String {
        if ip.isIPv4 { return ip.bytes.map(String.init).joined(separator: ".") }
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(ip.bytes[$0]) << 8 | UInt16(ip.bytes[$0 + 1]) }
        var bestStart = -1, bestLength = 0, runStart = -1
        for (index, group) in groups.enumerated() {
            if group == 0 {
                if runStart < 0 { runStart = index }
                let length = index - runStart + 1
                if length > bestLength { bestStart = runStart; bestLength = length }
            } else {
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var text = ""
        var index = 0
        while index < 8 {
            if index == bestStart {
                text += "::"
                index += bestLength
                continue
            }
            if !text.isEmpty && !text.hasSuffix(":") { text += ":" }
            text += String(groups[index], radix: 16)
            index += 1
        }
        return text
    }
}
