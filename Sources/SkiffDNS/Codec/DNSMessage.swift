/// DNSMessage: a whole DNS message as a value (header, question, answer, authority and
/// additional sections), with a strict parser and a compressing encoder. The query path does
/// not use it (QueryAnswerer reads queries in place); the zone compiler, the forwarder's checks
/// and the tests do.
///
/// Concurrency: a plain value. Must never: crash or loop on hostile bytes: every read is bounds
/// checked and compression pointers must point strictly before the label sequence that
/// contains them, so a chain of them ends.

public struct DNSParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

public struct DNSMessage: Hashable, Sendable {
    public var id: UInt16
    public var flags: HeaderFlags
    public var questions: [Question]
    public var answers: [ResourceRecord]
    public var authority: [ResourceRecord]
    public var additional: [ResourceRecord]

    public init(id: UInt16 = 0, flags: HeaderFlags = HeaderFlags(rawValue: 0), questions: [Question] = [],
                answers: [ResourceRecord] = [], authority: [ResourceRecord] = [], additional: [ResourceRecord] = []) {
        self.id = id
        self.flags = flags
        self.questions = questions
        self.answers = answers
        self.authority = authority
        self.additional = additional
    }

    /// A query for `name`/`type` with RD set, optionally with an EDNS0 OPT record.
    public static func query(id: UInt16, name: DNSName, type: RecordType, ednsUDPSize: UInt16? = nil) -> DNSMessage {
        var flags = HeaderFlags(rawValue: 0)
        flags.recursionDesired = true
        return DNSMessage(id: id, flags: flags, questions: [Question(name: name, type: type)],
                          additional: ednsUDPSize.map { [ResourceRecord.opt(udpSize: $0)] } ?? [])
    }

    /// The response code, including EDNS's extended bits when an OPT record is present.
    public var responseCode: ResponseCode {
        let upper = (opt.map { UInt16($0.ttl >> 24) } ?? 0) << 4
        return ResponseCode(rawValue: upper | flags.responseCode.rawValue)
    }

    public var opt: ResourceRecord? { additional.first { $0.type == .opt } }

    // MARK: encoding

    public func encoded() -> [UInt8] { encodedWithLayout().bytes }

    /// The bytes, plus where the question ends and where each answer record ends (the query
    /// path truncates on those boundaries).
    func encodedWithLayout() -> (bytes: [UInt8], questionEnd: Int, answerEnds: [Int]) {
        var writer = DNSMessageWriter()
        writer.u16(id)
        writer.u16(flags.rawValue)
        for count in [questions.count, answers.count, authority.count, additional.count] { writer.u16(UInt16(count)) }
        for question in questions { writer.question(question) }
        let questionEnd = writer.bytes.count
        var answerEnds: [Int] = []
        for record in answers {
            writer.record(record)
            answerEnds.append(writer.bytes.count)
        }
        for record in authority + additional { writer.record(record) }
        return (writer.bytes, questionEnd, answerEnds)
    }

    // MARK: parsing

    public init(parsing bytes: [UInt8]) throws(DNSParseError) {
        var reader = DNSReader(bytes)
        id = try reader.u16()
        flags = HeaderFlags(rawValue: try reader.u16())
        let counts = [try reader.u16(), try reader.u16(), try reader.u16(), try reader.u16()]
        questions = []
        for _ in 0..<counts[0] {
            questions.append(Question(name: try reader.name(), type: RecordType(rawValue: try reader.u16()),
                                      recordClass: try reader.u16()))
        }
        answers = try reader.records(Int(counts[1]))
        authority = try reader.records(Int(counts[2]))
        additional = try reader.records(Int(counts[3]))
    }
}

/// Bounds-checked reads over a message, following compression pointers.
struct DNSReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func u8() throws(DNSParseError) -> UInt8 {
        guard offset < bytes.count else { throw DNSParseError("message truncated at byte \(offset)") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16() throws(DNSParseError) -> UInt16 { UInt16(try u8()) << 8 | UInt16(try u8()) }
    mutating func u32() throws(DNSParseError) -> UInt32 { UInt32(try u16()) << 16 | UInt32(try u16()) }

    mutating func take(_ count: Int) throws(DNSParseError) -> [UInt8] {
        guard count >= 0, bytes.count - offset >= count else { throw DNSParseError("message truncated at byte \(offset)") }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// Reads a name at the cursor. A pointer must aim strictly before the start of the label
    /// run it ends, which makes every chain finite; the total stays within 255 bytes.
    mutating func name() throws(DNSParseError) -> DNSName {
        var wire: [UInt8] = []
        var position = offset
        var runStart = offset
        var jumped = false
        while true {
            guard position < bytes.count else { throw DNSParseError("name runs past the end of the message") }
            let length = bytes[position]
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    wire.append(0)
                    if !jumped { offset = position + 1 }
                    guard wire.count <= DNSLimits.maxNameLength else { throw DNSParseError("name longer than 255 bytes") }
                    return DNSName(trustedWire: wire)
                }
                guard position + 1 + Int(length) <= bytes.count else { throw DNSParseError("label runs past the end of the message") }
                wire.append(contentsOf: bytes[position...(position + Int(length))])
                guard wire.count < DNSLimits.maxNameLength else { throw DNSParseError("name longer than 255 bytes") }
                position += 1 + Int(length)
            case 0xC0:
                guard position + 1 < bytes.count else { throw DNSParseError("compression pointer cut short") }
                let target = Int(length & 0x3F) << 8 | Int(bytes[position + 1])
                guard target < runStart else { throw DNSParseError("compression pointer at \(position) does not point backwards") }
                if !jumped { offset = position + 2 }
                jumped = true
                position = target
                runStart = target
            default:
                throw DNSParseError("unknown label type 0x\(String(length, radix: 16))")
            }
        }
    }

    mutating func records(_ count: Int) throws(DNSParseError) -> [ResourceRecord] {
        var records: [ResourceRecord] = []
        for _ in 0..<count { records.append(try record()) }
        return records
    }

    mutating func record() throws(DNSParseError) -> ResourceRecord {
        let owner = try name()
        let type = RecordType(rawValue: try u16())
        let recordClass = try u16()
        let ttl = try u32()
        let length = Int(try u16())
        guard bytes.count - offset >= length else { throw DNSParseError("record data runs past the end of the message") }
        let end = offset + length
        let data: RecordData
        switch type {
        case .a where length == 4, .aaaa where length == 16:
            let ip = IPAddress(bytes: try take(length))!
            data = type == .a ? .a(ip) : .aaaa(ip)
        case .ns, .cname, .ptr:
            let target = try name()
            data = type == .ns ? .ns(target) : type == .cname ? .cname(target) : .ptr(target)
        case .soa:
            let primary = try name()
            let mailbox = try name()
            data = .soa(StartOfAuthority(primary: primary, mailbox: mailbox, serial: try u32(), refresh: try u32(),
                                         retry: try u32(), expire: try u32(), minimum: try u32()))
        case .srv:
            data = .srv(priority: try u16(), weight: try u16(), port: try u16(), target: try name())
        case .txt:
            var strings: [[UInt8]] = []
            while offset < end { strings.append(try take(Int(try u8()))) }
            data = .txt(strings)
        case .opt:
            data = .opt(try take(length))
        default:
            data = .other(type, try take(length))
        }
        guard offset == end else { throw DNSParseError("\(type) record data has the wrong length") }
        return ResourceRecord(name: owner, ttl: ttl, data: data, recordClass: recordClass)
    }
}
