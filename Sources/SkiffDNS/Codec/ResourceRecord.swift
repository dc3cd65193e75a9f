/// ResourceRecord and Question: the entries of a DNS message's sections, as values.
///
/// Concurrency: plain values. Must never: describe a record whose data does not fit its type
/// (the data enum carries the type).

public struct Question: Hashable, Sendable {
    public var name: DNSName
    public var type: RecordType
    public var recordClass: UInt16

    public init(name: DNSName, type: RecordType, recordClass: UInt16 = RecordClass.internet) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }
}

/// The SOA's fields after the two names (RFC 1035 3.3.13).
public struct StartOfAuthority: Hashable, Sendable {
    public var primary: DNSName
    public var mailbox: DNSName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    /// The TTL of negative answers (RFC 2308).
    public var minimum: UInt32

    public init(primary: DNSName, mailbox: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32,
                minimum: UInt32) {
        self.primary = primary
        self.mailbox = mailbox
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}

public enum RecordData: Hashable, Sendable {
    case a(IPAddress)
    case aaaa(IPAddress)
    case ns(DNSName)
    case cname(DNSName)
    case ptr(DNSName)
    case soa(StartOfAuthority)
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName)
    case txt([[UInt8]])
    /// EDNS0: the record's class is the sender's UDP size and its TTL the extended flags.
    case opt([UInt8])
    case other(RecordType, [UInt8])

    public var type: RecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .ns: .ns
        case .cname: .cname
        case .ptr: .ptr
        case .soa: .soa
        case .srv: .srv
        case .txt: .txt
        case .opt: .opt
        case .other(let type, _): type
        }
    }
}

public struct ResourceRecord: Hashable, Sendable, CustomStringConvertible {
    public var name: DNSName
    public var recordClass: UInt16
    public var ttl: UInt32
    public var data: RecordData

    public var type: RecordType { data.type }

    public init(name: DNSName, ttl: UInt32, data: RecordData, recordClass: UInt16 = RecordClass.internet) {
        self.name = name
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }

    /// An EDNS0 OPT pseudo-record advertising `udpSize`.
    public static func opt(udpSize: UInt16, extendedCode: UInt8 = 0, dnssecOK: Bool = false) -> ResourceRecord {
        ResourceRecord(name: .root, ttl: UInt32(extendedCode) << 24 | (dnssecOK ? 0x8000 : 0), data: .opt([]),
                       recordClass: udpSize)
    }

    /// Zone-file style, as dig prints it.
    public var description: String {
        let rdata: String = switch data {
        case .a(let ip), .aaaa(let ip): "\(ip)"
        case .ns(let name), .cname(let name), .ptr(let name): "\(name)"
        case .soa(let soa): "\(soa.primary) \(soa.mailbox) \(soa.serial) \(soa.refresh) \(soa.retry) \(soa.expire) \(soa.minimum)"
        case .srv(let priority, let weight, let port, let target): "\(priority) \(weight) \(port) \(target)"
        case .txt(let strings): strings.map { "\"\(String(decoding: $0, as: UTF8.self))\"" }.joined(separator: " ")
        case .opt(let options): "udp=\(recordClass) options=\(options.count)B"
        case .other(_, let bytes): "\\# \(bytes.count)"
        }
        return "\(name) \(ttl) IN \(type) \(rdata)"
    }
}
