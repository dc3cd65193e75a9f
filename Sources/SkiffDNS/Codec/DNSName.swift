/// DNSName: a domain name in its wire form (length-prefixed labels ending with the root's zero
/// byte). Equality and hashing ignore ASCII case, as DNS does (RFC 4343); the bytes keep the case
/// they were given, so a parsed question can be echoed as asked.
///
/// Concurrency: a plain value. Must never: hold a name longer than 255 bytes or a label longer
/// than 63; the initializers throw instead.

public struct DNSNameError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public struct DNSName: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The wire form, including the final zero byte.
    public let wire: [UInt8]

    public static let root = DNSName(trustedWire: [0])

    /// Parses dotted text ("a.b.c", "a.b.c." or "." for the root); no escapes.
    public init(_ text: String) throws(DNSNameError) {
        var labels: [ArraySlice<UInt8>] = []
        let bytes = Array(text.utf8)
        if !(bytes.isEmpty || bytes == [UInt8(ascii: ".")]) {
            let trimmed = bytes.last == UInt8(ascii: ".") ? bytes.dropLast() : bytes[...]
            labels = trimmed.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        }
        try self.init(labels: labels)
    }

    /// A name from its labels, most specific first.
    public init<Label: Collection<UInt8>>(labels: [Label]) throws(DNSNameError) {
        var wire: [UInt8] = []
        for label in labels {
            guard !label.isEmpty else { throw DNSNameError("empty label") }
            guard label.count <= DNSLimits.maxLabelLength else {
                throw DNSNameError("label longer than \(DNSLimits.maxLabelLength) bytes")
            }
            wire.append(UInt8(label.count))
            wire.append(contentsOf: label)
        }
        wire.append(0)
        guard wire.count <= DNSLimits.maxNameLength else { throw DNSNameError("name longer than 255 bytes") }
        self.wire = wire
    }

    /// Wraps wire bytes already known to be a well-formed name (from the parser or a builder).
    init(trustedWire: [UInt8]) { wire = trustedWire }

    public var labels: [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var index = 0
        while wire[index] != 0 {
            let length = Int(wire[index])
            result.append(wire[(index + 1)..<(index + 1 + length)])
            index += 1 + length
        }
        return result
    }

    public var labelCount: Int { labels.count }

    /// The same name in lower case: the form zone keys use.
    public var lowercased: DNSName { DNSName(trustedWire: wire.map(asciiLower)) }

    /// `label.self`.
    public func prepending(_ label: String) throws(DNSNameError) -> DNSName {
        try DNSName(labels: [Array(label.utf8)] + labels.map(Array.init))
    }

    /// `self.suffix`.
    public func appending(_ suffix: DNSName) throws(DNSNameError) -> DNSName {
        try DNSName(labels: labels.map(Array.init) + suffix.labels.map(Array.init))
    }

    /// The name without its first label; nil for the root.
    public var parent: DNSName? {
        guard wire[0] != 0 else { return nil }
        return DNSName(trustedWire: Array(wire[(Int(wire[0]) + 1)...]))
    }

    /// Whether `self` equals `zone` or lies below it.
    public func isSubdomain(of zone: DNSName) -> Bool {
        var index = 0
        while wire.count - index > zone.wire.count { index += Int(wire[index]) + 1 }
        guard wire.count - index == zone.wire.count else { return false }
        return asciiCaseInsensitiveEqual(wire[index...], zone.wire[...])
    }

    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        lhs.wire.count == rhs.wire.count && asciiCaseInsensitiveEqual(lhs.wire[...], rhs.wire[...])
    }

    public func hash(into hasher: inout Hasher) {
        for byte in wire { hasher.combine(asciiLower(byte)) }
    }

    /// Orders by the lower-cased wire bytes: deterministic and cheap (no allocation), which is
    /// all the zone compiler needs; not DNSSEC's canonical order.
    public static func < (lhs: DNSName, rhs: DNSName) -> Bool {
        for (left, right) in zip(lhs.wire, rhs.wire) where asciiLower(left) != asciiLower(right) {
            return asciiLower(left) < asciiLower(right)
        }
        return lhs.wire.count < rhs.wire.count
    }

    /// Dotted, with the trailing dot; bytes outside printable ASCII (and dots inside labels)
    /// escaped as \DDD so that a hostile name cannot forge a log line.
    public var description: String {
        if wire == [0] { return "." }
        var text = ""
        for label in labels {
            for byte in label {
                if byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: ".") && byte != UInt8(ascii: "\\") {
                    text.unicodeScalars.append(Unicode.Scalar(byte))
                } else {
                    let digits = String(byte)
                    text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
                }
            }
            text += "."
        }
        return text
    }
}

@inline(__always)
func asciiLower(_ byte: UInt8) -> UInt8 {
    byte &- 0x41 < 26 ? byte | 0x20 : byte
}

func asciiCaseInsensitiveEqual(_ lhs: ArraySlice<UInt8>, _ rhs: ArraySlice<UInt8>) -> Bool {
    guard lhs.count == rhs.count else { return false }
    return zip(lhs, rhs).allSatisfy { asciiLower($0) == asciiLower($1) }
}
