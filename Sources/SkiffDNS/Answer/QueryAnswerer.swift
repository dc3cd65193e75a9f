/// QueryAnswerer: query bytes plus an AnswerTable in, response bytes out: the whole DNS logic
/// of the query path, pure (no I/O, no clock, no shared state).
///
/// It reads the query in place (header, one question, an optional EDNS0 OPT record), looks the
/// name up case-insensitively, copies the precomputed response and patches the ID, the RD and
/// CD bits and the question as asked (its case and type); it
/// appends an OPT record when the query had one, and truncates (TC) to 512 bytes or the
/// client's EDNS size over UDP, cutting between whole answer records. Names without an entry
/// get NXDOMAIN with their zone's SOA, a pod name (a-b-c-d.NS.pod.DOMAIN) its address, and names
/// outside every zone REFUSED, or `.forward` when a forwarder is configured.
///
/// Concurrency: a pure function, safe on any thread. Must never: allocate on the lookup path,
/// write past `out`, crash on any input (malformed queries get FORMERR, responses are dropped),
/// or answer a message that is itself a response (that is how reflection loops start).

public enum Transport: Sendable {
    case udp
    case tcp
}

public struct AnswerOptions: Sendable, Equatable {
    /// Whether names outside the served zones are relayed (`.forward`) rather than REFUSED.
    public var forwarding: Bool
    /// The largest UDP response sent, whatever size the client's EDNS record offers.
    public var maxUDPSize: Int
    /// The UDP size put in the OPT record of responses.
    public var advertisedUDPSize: UInt16

    public init(forwarding: Bool = false, maxUDPSize: Int = 4096, advertisedUDPSize: UInt16 = 1232) {
        self.forwarding = forwarding
        self.maxUDPSize = maxUDPSize
        self.advertisedUDPSize = advertisedUDPSize
    }
}

public enum QueryOutcome: Equatable, Sendable {
    /// The response is the first `length` bytes of the output buffer.
    case respond(Int)
    /// Send nothing (too short to answer, or not a query).
    case drop
    /// Outside the served zones, with forwarding on: relay the query unchanged.
    case forward
    /// The first `length` bytes are a CNAME answer whose target lies outside the zones, with
    /// forwarding on: fetch the target's records upstream and append them (CNAMEChase).
    case chase(Int)
}

public enum QueryAnswerer {
    /// Bytes an OPT record without options takes.
    static let optLength = 11

    /// Convenience for tests and slow paths: answers into a fresh buffer.
    public static func answer(_ query: [UInt8], table: AnswerTable, options: AnswerOptions = AnswerOptions(),
                              transport: Transport = .udp) -> (outcome: QueryOutcome, bytes: [UInt8]) {
        var out = [UInt8](repeating: 0, count: DNSLimits.maxMessageLength)
        let outcome = query.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { output in
                answer(input, table: table, options: options, transport: transport, into: output)
            }
        }
        switch outcome {
        case .respond(let length), .chase(let length): return (outcome, Array(out.prefix(length)))
        case .drop, .forward: return (outcome, [])
        }
    }

    /// Answers `query` into `out` (which should hold at least 512 bytes; 65,535 for TCP).
    public static func answer(_ query: UnsafeRawBufferPointer, table: AnswerTable, options: AnswerOptions,
                              transport: Transport, into out: UnsafeMutableRawBufferPointer) -> QueryOutcome {
        guard let q = query.baseAddress, let o = out.baseAddress, query.count >= DNSLimits.headerLength,
              out.count >= DNSLimits.classicUDPSize else { return .drop }
        let count = query.count
        let flags = load16(q, 2)
        guard flags & HeaderFlags.response == 0 else { return .drop }
        var reply = Reply(query: q, out: o, capacity: out.count, queryFlags: flags, options: options)
        guard (flags >> 11) & 0xF == 0 else { return reply.simple(.notImplemented, questionEnd: nil) }
        guard load16(q, 4) == 1, load16(q, 6) == 0, load16(q, 8) == 0, load16(q, 10) <= 1 else {
            return reply.simple(.formatError, questionEnd: nil)
        }

        // The question: plain labels only (a pointer here could only aim at the header).
        var index = DNSLimits.headerLength
        while true {
            guard index < count else { return reply.simple(.formatError, questionEnd: nil) }
            let length = Int(q.load(fromByteOffset: index, as: UInt8.self))
            if length == 0 { index += 1; break }
            guard length & 0xC0 == 0, index + 1 + length < count,
                  index + 1 + length - DNSLimits.headerLength < DNSLimits.maxNameLength else {
                return reply.simple(.formatError, questionEnd: nil)
            }
            index += 1 + length
        }
        let nameEnd = index
        guard nameEnd + 4 <= count else { return reply.simple(.formatError, questionEnd: nil) }
        let questionType = load16(q, nameEnd)
        let questionClass = load16(q, nameEnd + 2)
        let questionEnd = nameEnd + 4

        // EDNS0 (RFC 6891): an OPT record in the additional section; other records are ignored.
        if load16(q, 10) == 1 {
            var position = questionEnd
            var ownerIsRoot = false
            while true {
                guard position < count else { return reply.simple(.formatError, questionEnd: questionEnd) }
                let length = Int(q.load(fromByteOffset: position, as: UInt8.self))
                if length == 0 { ownerIsRoot = position == questionEnd; position += 1; break }
                if length & 0xC0 == 0xC0 { position += 2; break }
                guard length & 0xC0 == 0 else { return reply.simple(.formatError, questionEnd: questionEnd) }
                position += 1 + length
            }
            guard position + 10 <= count else { return reply.simple(.formatError, questionEnd: questionEnd) }
            let dataLength = Int(load16(q, position + 8))
            guard position + 10 + dataLength <= count else { return reply.simple(.formatError, questionEnd: questionEnd) }
            if load16(q, position) == RecordType.opt.rawValue {
                guard ownerIsRoot else { return reply.simple(.formatError, questionEnd: questionEnd) }
                reply.edns = true
                reply.clientUDPSize = Int(load16(q, position + 2))
                let extended = load32(q, position + 4)
                reply.dnssecOK = extended & 0x8000 != 0
                if (extended >> 16) & 0xFF != 0 {
                    return reply.simple(.badVersion, questionEnd: questionEnd)
                }
            }
        }
        let limit = transport == .tcp
            ? min(DNSLimits.maxMessageLength, out.count)
            : min(out.count, reply.edns ? max(DNSLimits.classicUDPSize, min(reply.clientUDPSize, options.maxUDPSize))
                                        : DNSLimits.classicUDPSize)

        guard questionClass == RecordClass.internet else { return reply.simple(.refused, questionEnd: questionEnd) }
        if questionType == RecordType.axfr.rawValue || questionType == RecordType.ixfr.rawValue {
            return reply.simple(.notImplemented, questionEnd: questionEnd)
        }

        // The table.
        let nameStart = DNSLimits.headerLength
        let nameLength = nameEnd - nameStart
        let hash = AnswerTable.hash(q + nameStart, nameLength)
        let mask = table.slots.count - 1
        var slotIndex = Int(hash) & mask
        while true {
            let slot = table.slots[slotIndex]
            if slot.hash == 0 { break }
            if slot.hash == hash && Int(slot.nameLength) == nameLength
                && table.matches(q + nameStart, at: Int(slot.nameStart), length: nameLength) {
                var response = slot.fallback
                var isFallback = true
                for typedIndex in Int(slot.firstTyped)..<(Int(slot.firstTyped) + Int(slot.typedCount)) {
                    let entry = table.typed[typedIndex]
                    if entry.type == questionType {
                        response = entry.response
                        isFallback = false
                        break
                    }
                }
                let outcome = reply.precomputed(table, table.responses[Int(response)], nameEnd: nameEnd, limit: limit)
                if isFallback && slot.chasesUpstream && options.forwarding && questionType != RecordType.any.rawValue,
                   case .respond(let length) = outcome {
                    return .chase(length)
                }
                return outcome
            }
            slotIndex = (slotIndex + 1) & mask
        }

        // Not in the table: which zone, if any, is the name in? The first label boundary whose
        // suffix is an apex gives the most specific zone.
        var labelStart = nameStart
        while true {
            let suffixLength = nameEnd - labelStart
            for zone in table.zones where Int(zone.apexLength) == suffixLength
                && table.matches(q + labelStart, at: Int(zone.apexStart), length: suffixLength) {
                if let answer = reply.podAddress(table, nameEnd: nameEnd, questionType: questionType,
                                                 questionEnd: questionEnd, zone: zone, zoneStart: labelStart) {
                    return answer
                }
                return reply.negative(.nameError, table, questionEnd: questionEnd, zone: zone, apexOffset: labelStart)
            }
            let length = Int(q.load(fromByteOffset: labelStart, as: UInt8.self))
            if length == 0 { break }
            labelStart += 1 + length
        }
        if options.forwarding { return .forward }
        return reply.simple(.refused, questionEnd: questionEnd)
    }

    @inline(__always)
    static func load16(_ pointer: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(pointer.load(fromByteOffset: offset, as: UInt8.self)) << 8
            | UInt16(pointer.load(fromByteOffset: offset + 1, as: UInt8.self))
    }

    @inline(__always)
    static func load32(_ pointer: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(load16(pointer, offset)) << 16 | UInt32(load16(pointer, offset + 2))
    }
}

extension AnswerTable {
    /// Whether the `length` bytes at `pointer` equal the lower-case bytes stored at `start`,
    /// ignoring ASCII case.
    @inline(__always)
    func matches(_ pointer: UnsafeRawPointer, at start: Int, length: Int) -> Bool {
        for index in 0..<length where asciiLower(pointer.load(fromByteOffset: index, as: UInt8.self)) != bytes[start + index] {
            return false
        }
        return true
    }
}

/// One response being written: the query's facts the answer depends on, and the output.
private struct Reply {
    let query: UnsafeRawPointer
    let out: UnsafeMutableRawPointer
    let capacity: Int
    let queryFlags: UInt16
    let options: AnswerOptions
    var edns = false
    var clientUDPSize = 512
    var dnssecOK = false

    init(query: UnsafeRawPointer, out: UnsafeMutableRawPointer, capacity: Int, queryFlags: UInt16, options: AnswerOptions) {
        self.query = query
        self.out = out
        self.capacity = capacity
        self.queryFlags = queryFlags
        self.options = options
    }

    @inline(__always)
    func store16(_ value: UInt16, _ offset: Int) {
        out.storeBytes(of: UInt8(value >> 8), toByteOffset: offset, as: UInt8.self)
        out.storeBytes(of: UInt8(value & 0xFF), toByteOffset: offset + 1, as: UInt8.self)
    }

    @inline(__always)
    func store32(_ value: UInt32, _ offset: Int) {
        store16(UInt16(value >> 16), offset)
        store16(UInt16(value & 0xFFFF), offset + 2)
    }

    /// The response's flags: QR, the query's opcode, RD and CD, RA when forwarding, `code`.
    func flags(_ code: ResponseCode, authoritative: Bool) -> UInt16 {
        var flags = HeaderFlags.response | (queryFlags & (0x7800 | HeaderFlags.recursionDesired | HeaderFlags.checkingDisabled))
        if authoritative { flags |= HeaderFlags.authoritative }
        if options.forwarding { flags |= HeaderFlags.recursionAvailable }
        return flags | (code.rawValue & 0xF)
    }

    /// Appends an OPT record at `offset` when the query had one; returns the new length.
    func appendOPT(at offset: Int, code: ResponseCode = .noError) -> Int {
        guard edns, offset + QueryAnswerer.optLength <= capacity else { return offset }
        out.storeBytes(of: 0, toByteOffset: offset, as: UInt8.self)
        store16(RecordType.opt.rawValue, offset + 1)
        store16(options.advertisedUDPSize, offset + 3)
        store32(UInt32(code.rawValue >> 4) << 24 | (dnssecOK ? 0x8000 : 0), offset + 5)
        store16(0, offset + 9)
        return offset + QueryAnswerer.optLength
    }

    /// Header (and question, when it parsed) with `code`, nothing else.
    func simple(_ code: ResponseCode, questionEnd: Int?) -> QueryOutcome {
        out.copyMemory(from: query, byteCount: 2)
        store16(flags(code, authoritative: false), 2)
        let questionLength = (questionEnd ?? DNSLimits.headerLength) - DNSLimits.headerLength
        store16(questionEnd == nil ? 0 : 1, 4)
        store16(0, 6)
        store16(0, 8)
        store16(edns ? 1 : 0, 10)
        (out + DNSLimits.headerLength).copyMemory(from: query + DNSLimits.headerLength, byteCount: questionLength)
        return .respond(appendOPT(at: DNSLimits.headerLength + questionLength, code: code))
    }

    /// NXDOMAIN or NODATA: the question, and the zone's SOA in authority, its owner a pointer
    /// to the apex inside the question.
    func negative(_ code: ResponseCode, _ table: AnswerTable, questionEnd: Int, zone: AnswerTable.ZoneTail,
                  apexOffset: Int) -> QueryOutcome {
        _ = simple(code, questionEnd: questionEnd)
        store16(flags(code, authoritative: true), 2)
        var length = questionEnd
        if length + 2 + Int(zone.soaLength) + (edns ? QueryAnswerer.optLength : 0) <= capacity {
            store16(0xC000 | UInt16(apexOffset), length)
            length += 2
            table.bytes.withUnsafeBytes { bytes in
                (out + length).copyMemory(from: bytes.baseAddress! + Int(zone.soaStart), byteCount: Int(zone.soaLength))
            }
            length += Int(zone.soaLength)
            store16(1, 8)
        }
        return .respond(appendOPT(at: length, code: code))
    }

    /// a-b-c-d.NS.pod.DOMAIN: A a.b.c.d (other types NODATA); nil when the name is not of that
    /// form (NXDOMAIN follows).
    func podAddress(_ table: AnswerTable, nameEnd: Int, questionType: UInt16, questionEnd: Int,
                             zone: AnswerTable.ZoneTail, zoneStart: Int) -> QueryOutcome? {
        let pod = table.podZone
        guard !pod.isEmpty else { return nil }
        // Find the pod zone's position: the name must be LABEL.LABEL.pod.DOMAIN.
        let first = DNSLimits.headerLength
        let firstLength = Int(query.load(fromByteOffset: first, as: UInt8.self))
        guard firstLength > 0 else { return nil }
        let second = first + 1 + firstLength
        let secondLength = Int(query.load(fromByteOffset: second, as: UInt8.self))
        guard secondLength > 0 else { return nil }
        let rest = second + 1 + secondLength
        guard nameEnd - rest == pod.count, matchesPod(pod, at: rest) else { return nil }
        guard let address = dashedIPv4(first + 1, firstLength) else { return nil }
        guard questionType == RecordType.a.rawValue || questionType == RecordType.any.rawValue else {
            return negative(.noError, table, questionEnd: questionEnd, zone: zone, apexOffset: zoneStart)
        }
        _ = simple(.noError, questionEnd: questionEnd)
        store16(flags(.noError, authoritative: true), 2)
        var length = questionEnd
        guard length + 16 + (edns ? QueryAnswerer.optLength : 0) <= capacity else { return .respond(length) }
        store16(0xC000 | UInt16(DNSLimits.headerLength), length)
        store16(RecordType.a.rawValue, length + 2)
        store16(RecordClass.internet, length + 4)
        store32(table.ttl, length + 6)
        store16(4, length + 10)
        store32(address, length + 12)
        length += 16
        store16(1, 6)
        return .respond(appendOPT(at: length))
    }

    private func matchesPod(_ pod: [UInt8], at offset: Int) -> Bool {
        for index in 0..<pod.count where asciiLower(query.load(fromByteOffset: offset + index, as: UInt8.self)) != pod[index] {
            return false
        }
        return true
    }

    /// "10-244-1-5" as an address, or nil.
    private func dashedIPv4(_ start: Int, _ length: Int) -> UInt32? {
        var address: UInt32 = 0
        var part: UInt32 = 0
        var digits = 0
        var parts = 0
        for index in start..<(start + length) {
            let byte = query.load(fromByteOffset: index, as: UInt8.self)
            if byte == UInt8(ascii: "-") {
                guard digits > 0, parts < 3 else { return nil }
                address = address << 8 | part
                parts += 1
                part = 0
                digits = 0
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                part = part * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                guard digits <= 3, part <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        return address << 8 | part
    }

    /// Copies a precomputed response and patches it for this query.
    func precomputed(_ table: AnswerTable, _ response: AnswerTable.Response, nameEnd: Int, limit: Int) -> QueryOutcome {
        let opt = edns ? QueryAnswerer.optLength : 0
        let start = Int(response.start)
        var length = Int(response.length)
        var truncated = false
        var answers = Int(response.answerCount)
        if length + opt > limit {
            truncated = true
            // Whole answer records only; authority and additional go.
            length = Int(response.questionEnd)
            answers = 0
            for index in 0..<Int(response.answerCount) {
                let end = Int(table.answerEnds[Int(response.firstAnswerEnd) + index])
                if end + opt > limit { break }
                length = end
                answers = index + 1
            }
        }
        table.bytes.withUnsafeBytes { bytes in
            out.copyMemory(from: bytes.baseAddress! + start, byteCount: length)
        }
        out.copyMemory(from: query, byteCount: 2)
        let base = out.load(fromByteOffset: 2, as: UInt8.self)
        let stored = UInt16(base) << 8 | UInt16(out.load(fromByteOffset: 3, as: UInt8.self))
        store16(flags(ResponseCode(rawValue: stored & 0xF), authoritative: stored & HeaderFlags.authoritative != 0)
                | (truncated || stored & HeaderFlags.truncated != 0 ? HeaderFlags.truncated : 0), 2)
        // The question as asked: the name's case (same length, so every compression pointer
        // stays valid) and its type (a fallback or shared answer was encoded with another).
        (out + DNSLimits.headerLength).copyMemory(from: query + DNSLimits.headerLength,
                                                  byteCount: nameEnd + 2 - DNSLimits.headerLength)
        var additional = Int(QueryAnswerer.load16(UnsafeRawPointer(out), 10))
        if truncated {
            store16(UInt16(answers), 6)
            store16(0, 8)
            additional = 0
        }
        store16(UInt16(additional + (edns ? 1 : 0)), 10)
        return .respond(appendOPT(at: length))
    }
}
