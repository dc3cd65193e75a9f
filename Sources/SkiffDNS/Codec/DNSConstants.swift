/// DNSConstants: the wire numbers of RFC 1035 and its successors that Skiff's DNS speaks: record
/// types, classes, response codes and header flag bits.
///
/// Concurrency: plain constants. Must never: change a value; they are fixed by the protocol and
/// every resolver on earth reads them the same way.

/// A record (or question) type, as the 16-bit number on the wire.
public struct RecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = RecordType(rawValue: 1)
    public static let ns = RecordType(rawValue: 2)
    public static let cname = RecordType(rawValue: 5)
    public static let soa = RecordType(rawValue: 6)
    public static let ptr = RecordType(rawValue: 12)
    public static let txt = RecordType(rawValue: 16)
    public static let aaaa = RecordType(rawValue: 28)
    public static let srv = RecordType(rawValue: 33)
    public static let opt = RecordType(rawValue: 41)
    public static let ixfr = RecordType(rawValue: 251)
    public static let axfr = RecordType(rawValue: 252)
    public static let any = RecordType(rawValue: 255)

    public var description: String {
        switch self {
        case .a: "A"
        case .ns: "NS"
        case .cname: "CNAME"
        case .soa: "SOA"
        case .ptr: "PTR"
        case .txt: "TXT"
        case .aaaa: "AAAA"
        case .srv: "SRV"
        case .opt: "OPT"
        case .ixfr: "IXFR"
        case .axfr: "AXFR"
        case .any: "ANY"
        default: "TYPE\(rawValue)"
        }
    }
}

/// Record classes: only IN is served.
public enum RecordClass {
    public static let internet: UInt16 = 1
    public static let any: UInt16 = 255
}

/// The 4-bit RCODE of the header (and BADVERS, which needs the OPT record's extended bits).
public struct ResponseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let noError = ResponseCode(rawValue: 0)
    public static let formatError = ResponseCode(rawValue: 1)
    public static let serverFailure = ResponseCode(rawValue: 2)
    public static let nameError = ResponseCode(rawValue: 3)
    public static let notImplemented = ResponseCode(rawValue: 4)
    public static let refused = ResponseCode(rawValue: 5)
    /// EDNS version not understood (RFC 6891): 16, carried as 1 in the OPT record's upper bits.
    public static let badVersion = ResponseCode(rawValue: 16)

    public var description: String {
        switch self {
        case .noError: "NOERROR"
        case .formatError: "FORMERR"
        case .serverFailure: "SERVFAIL"
        case .nameError: "NXDOMAIN"
        case .notImplemented: "NOTIMP"
        case .refused: "REFUSED"
        case .badVersion: "BADVERS"
        default: "RCODE\(rawValue)"
        }
    }
}

/// The second 16-bit word of the header: QR, OPCODE, AA, TC, RD, RA, AD, CD and RCODE.
public struct HeaderFlags: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let response: UInt16 = 0x8000
    public static let authoritative: UInt16 = 0x0400
    public static let truncated: UInt16 = 0x0200
    public static let recursionDesired: UInt16 = 0x0100
    public static let recursionAvailable: UInt16 = 0x0080
    public static let checkingDisabled: UInt16 = 0x0010

    public var isResponse: Bool { get { bit(Self.response) } set { set(Self.response, newValue) } }
    public var isAuthoritative: Bool { get { bit(Self.authoritative) } set { set(Self.authoritative, newValue) } }
    public var isTruncated: Bool { get { bit(Self.truncated) } set { set(Self.truncated, newValue) } }
    public var recursionDesired: Bool { get { bit(Self.recursionDesired) } set { set(Self.recursionDesired, newValue) } }
    public var recursionAvailable: Bool { get { bit(Self.recursionAvailable) } set { set(Self.recursionAvailable, newValue) } }
    public var opcode: UInt16 {
        get { (rawValue >> 11) & 0xF }
        set { rawValue = (rawValue & ~0x7800) | ((newValue & 0xF) << 11) }
    }
    public var responseCode: ResponseCode {
        get { ResponseCode(rawValue: rawValue & 0xF) }
        set { rawValue = (rawValue & ~0xF) | (newValue.rawValue & 0xF) }
    }

    private func bit(_ mask: UInt16) -> Bool { rawValue & mask != 0 }
    private mutating func set(_ mask: UInt16, _ on: Bool) { rawValue = on ? rawValue | mask : rawValue & ~mask }
}

/// Sizes fixed by the protocol.
public enum DNSLimits {
    public static let headerLength = 12
    /// The largest UDP message without EDNS (RFC 1035 4.2.1).
    public static let classicUDPSize = 512
    /// A name's wire form, length bytes included (RFC 1035 3.1).
    public static let maxNameLength = 255
    public static let maxLabelLength = 63
    /// A TCP message is length-prefixed with 16 bits.
    public static let maxMessageLength = 65_535
}
