/// AnswerTable: a ZoneSnapshot compiled for the query path. Every answer the zone can give for
/// a name it holds is encoded once, here, as a whole response message (ID zero, the question in
/// lower case); a query then costs a hash lookup and a copy, patched in place by QueryAnswerer.
/// Per name: one response per record type present, one for ANY, and a fallback for every other
/// type (NODATA with the zone's SOA, or the CNAME). Names outside the table get NXDOMAIN built
/// from the zone's precomputed SOA tail.
///
/// Everything lives in flat arrays of plain structs so that readers touch no reference counts.
///
/// Concurrency: immutable after init, Sendable; many threads read one table while the next is
/// compiled. Must never: be mutated after publication.

public final class AnswerTable: Sendable {
    struct Slot {
        /// 0 marks an empty slot (real hashes are forced odd).
        var hash: UInt32 = 0
        var nameStart: UInt32 = 0
        var nameLength: UInt16 = 0
        var typedCount: UInt16 = 0
        var firstTyped: UInt32 = 0
        var fallback: UInt32 = 0
        /// The fallback is a CNAME to a name outside every served zone: with a forwarder, the
        /// target's records are fetched upstream and appended (an ExternalName service).
        var chasesUpstream = false
    }

    struct Typed {
        var type: UInt16
        var response: UInt32
    }

    struct Response {
        var start: UInt32
        var length: UInt32
        var questionEnd: UInt32
        var firstAnswerEnd: UInt32
        var answerCount: UInt32
    }

    struct ZoneTail {
        /// The apex's lower-case wire form.
        var apexStart: UInt32
        var apexLength: UInt32
        /// An SOA record without its owner name: type, class, TTL, length, data.
        var soaStart: UInt32
        var soaLength: UInt32
    }

    let bytes: [UInt8]
    let slots: [Slot]
    let typed: [Typed]
    let responses: [Response]
    let answerEnds: [UInt32]
    /// Most specific first.
    let zones: [ZoneTail]
    /// The pod zone (pod.<domain>) as lower-case wire bytes, or empty.
    let podZone: [UInt8]
    public let ttl: UInt32
    /// Names the table answers for.
    public let nameCount: Int

    /// Compiles `snapshot`. Responses larger than a TCP message can carry keep the records
    /// that fit, with TC set.
    public init(_ snapshot: ZoneSnapshot) {
        var builder = Builder(snapshot)
        let names = (Array(snapshot.records.keys) + Array(snapshot.emptyNonTerminals)).sorted()
        for name in names { builder.addName(name) }
        for zone in snapshot.zones { builder.addZone(zone) }
        bytes = builder.bytes
        typed = builder.typed
        responses = builder.responses
        answerEnds = builder.answerEnds
        zones = builder.zones
        podZone = snapshot.podZone?.lowercased.wire ?? []
        ttl = snapshot.ttl
        nameCount = names.count
        // Open addressing at load <= 1/2.
        var capacity = 16
        while capacity < builder.entries.count * 2 { capacity <<= 1 }
        var slots = [Slot](repeating: Slot(), count: capacity)
        for entry in builder.entries {
            var index = Int(entry.hash) & (capacity - 1)
            while slots[index].hash != 0 { index = (index + 1) & (capacity - 1) }
            slots[index] = entry
        }
        self.slots = slots
    }

    /// The empty table served before the first snapshot: every name outside the zones.
    public static let empty = AnswerTable(ZoneSnapshot(zones: [], podZone: nil, ttl: 0))

    /// FNV-1a over the lower-cased bytes, forced odd so that 0 can mark empty slots.
    @inline(__always)
    static func hash(_ pointer: UnsafeRawPointer, _ count: Int) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for index in 0..<count {
            hash = (hash ^ UInt32(asciiLower(pointer.load(fromByteOffset: index, as: UInt8.self)))) &* 16_777_619
        }
        return hash | 1
    }

    private struct Builder {
        let snapshot: ZoneSnapshot
        var bytes: [UInt8] = []
        var entries: [Slot] = []
        var typed: [Typed] = []
        var responses: [Response] = []
        var answerEnds: [UInt32] = []
        var zones: [ZoneTail] = []

        init(_ snapshot: ZoneSnapshot) { self.snapshot = snapshot }

        mutating func addName(_ name: DNSName) {
            guard let zone = snapshot.zone(containing: name) else { return }
            let records = snapshot.records[name] ?? []
            var types: [RecordType] = []
            for record in records where !types.contains(record.type) { types.append(record.type) }
            let firstTyped = typed.count
            for type in types {
                let answers = records.filter { $0.type == type }
                typed.append(Typed(type: type.rawValue, response: addResponse(name, type, answers: answers, authority: [],
                                                                             additional: additional(for: answers))))
            }
            if types.count > 1 {
                typed.append(Typed(type: RecordType.any.rawValue,
                                   response: addResponse(name, .any, answers: records, authority: [], additional: [])))
            } else if let only = typed.last, types.count == 1 {
                // ANY of a name with one type is that type's answer (the question's type is
                // always patched from the query).
                typed.append(Typed(type: RecordType.any.rawValue, response: only.response))
            }
            let cname = records.filter { $0.type == .cname }
            var chasesUpstream = false
            if case .cname(let target)? = cname.first?.data {
                if snapshot.zone(containing: target) == nil {
                    chasesUpstream = true
                } else {
                    // A CNAME into the zone (an ExternalName naming another service): answer the
                    // address types with the target's records too, as a resolver expects.
                    for type in [RecordType.a, .aaaa] where !types.contains(type) {
                        let targets = snapshot.records(at: target, type: type)
                        guard !targets.isEmpty else { continue }
                        typed.append(Typed(type: type.rawValue, response: addResponse(name, type, answers: cname + targets,
                                                                                     authority: [], additional: [])))
                    }
                }
            }
            let fallback = cname.isEmpty
                ? addResponse(name, RecordType(rawValue: 0), answers: [], authority: [negative(zone.soa)], additional: [])
                : addResponse(name, .cname, answers: cname, authority: [], additional: [])
            let wire = name.lowercased.wire
            let start = bytes.count
            bytes += wire
            let hash = wire.withUnsafeBytes { AnswerTable.hash($0.baseAddress!, $0.count) }
            entries.append(Slot(hash: hash, nameStart: UInt32(start), nameLength: UInt16(wire.count),
                                typedCount: UInt16(typed.count - firstTyped), firstTyped: UInt32(firstTyped),
                                fallback: fallback, chasesUpstream: chasesUpstream))
        }

        mutating func addZone(_ zone: ZoneSnapshot.Zone) {
            let apexStart = bytes.count
            bytes += zone.apex.lowercased.wire
            // The record without compression, minus its (root) owner byte: spliced after a
            // pointer to the apex in each NXDOMAIN response.
            var soa = negative(zone.soa)
            soa.name = .root
            var writer = DNSMessageWriter(compressing: false)
            writer.record(soa)
            let tail = writer.bytes.dropFirst()
            let soaStart = bytes.count
            bytes += tail
            zones.append(ZoneTail(apexStart: UInt32(apexStart), apexLength: UInt32(zone.apex.wire.count),
                                  soaStart: UInt32(soaStart), soaLength: UInt32(tail.count)))
        }

        /// The SOA as negative answers carry it: TTL no longer than its minimum (RFC 2308).
        func negative(_ soa: ResourceRecord) -> ResourceRecord {
            var record = soa
            if case .soa(let fields) = soa.data { record.ttl = min(soa.ttl, fields.minimum) }
            return record
        }

        /// Addresses of the names SRV and NS records point at, when this zone holds them.
        func additional(for answers: [ResourceRecord]) -> [ResourceRecord] {
            var targets: [DNSName] = []
            for record in answers {
                switch record.data {
                case .srv(_, _, _, let target), .ns(let target):
                    if !targets.contains(target) { targets.append(target) }
                default: break
                }
            }
            return targets.flatMap { target in
                snapshot.records(at: target, type: .a) + snapshot.records(at: target, type: .aaaa)
            }
        }

        mutating func addResponse(_ name: DNSName, _ type: RecordType, answers: [ResourceRecord],
                                  authority: [ResourceRecord], additional: [ResourceRecord]) -> UInt32 {
            var flags = HeaderFlags(rawValue: HeaderFlags.response | HeaderFlags.authoritative)
            var message = DNSMessage(flags: flags, questions: [Question(name: name.lowercased, type: type)],
                                     answers: answers, authority: authority, additional: additional)
            var layout = message.encodedWithLayout()
            if layout.bytes.count > DNSLimits.maxMessageLength {
                // Keep the answers that fit a TCP message; nothing else.
                let kept = layout.answerEnds.firstIndex { $0 > DNSLimits.maxMessageLength } ?? layout.answerEnds.count
                flags.isTruncated = true
                message = DNSMessage(flags: flags, questions: message.questions, answers: Array(answers.prefix(kept)))
                layout = message.encodedWithLayout()
            }
            let start = bytes.count
            bytes += layout.bytes
            responses.append(Response(start: UInt32(start), length: UInt32(layout.bytes.count),
                                      questionEnd: UInt32(layout.questionEnd), firstAnswerEnd: UInt32(answerEnds.count),
                                      answerCount: UInt32(layout.answerEnds.count)))
            answerEnds += layout.answerEnds.map(UInt32.init)
            return UInt32(responses.count - 1)
        }
    }
}
