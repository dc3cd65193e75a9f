/// DNSMessageWriter: encodes a message into wire bytes, compressing names (RFC 1035 4.1.4) by
/// pointing at the earlier occurrence of any suffix. Used off the query path: to precompute
/// answers when the zone changes, and by tests.
///
/// Concurrency: a value used by one caller. Must never: emit a pointer to an offset beyond
/// 0x3FFF or one pointing forward, or compress an SRV target (RFC 2782 forbids it).

struct DNSMessageWriter {
    private(set) var bytes: [UInt8] = []
    /// Every name written so far (lower case) and where each of its labels landed: the
    /// candidates a later suffix can point at. A short linear scan beats hashing every suffix
    /// for the few names of a typical message.
    private var written: [(lower: [UInt8], labels: [(index: Int, offset: Int)])] = []
    /// Off for bytes that will be spliced into other messages, where no pointer could be right.
    private let compresses: Bool

    init(compressing: Bool = true) {
        compresses = compressing
        bytes.reserveCapacity(512)
    }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { bytes.append(UInt8(value >> 8)); bytes.append(UInt8(value & 0xFF)) }
    mutating func u32(_ value: UInt32) { u16(UInt16(value >> 16)); u16(UInt16(value & 0xFFFF)) }

    mutating func set16(_ value: UInt16, at offset: Int) {
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(value & 0xFF)
    }

    /// Writes `name`, replacing its longest already-written suffix by a pointer.
    mutating func name(_ name: DNSName, compress: Bool = true) {
        let wire = name.wire
        let lower = wire.map(asciiLower)
        var labels: [(index: Int, offset: Int)] = []
        defer { written.append((lower, labels)) }
        var index = 0
        while wire[index] != 0 {
            if compress && compresses, let offset = earlier(lower[index...]) {
                u16(0xC000 | UInt16(offset))
                return
            }
            if bytes.count < 0x4000 { labels.append((index, bytes.count)) }
            let length = Int(wire[index])
            bytes.append(contentsOf: wire[index...(index + length)])
            index += length + 1
        }
        u8(0)
    }

    /// Where `suffix` (lower case, from a label boundary) was written before, if it was.
    private func earlier(_ suffix: ArraySlice<UInt8>) -> Int? {
        for name in written {
            for label in name.labels where name.lower.count - label.index == suffix.count
                && name.lower[label.index...].elementsEqual(suffix) {
                return label.offset
            }
        }
        return nil
    }

    mutating func question(_ question: Question) {
        name(question.name)
        u16(question.type.rawValue)
        u16(question.recordClass)
    }

    mutating func record(_ record: ResourceRecord) {
        name(record.name)
        u16(record.type.rawValue)
        u16(record.recordClass)
        u32(record.ttl)
        let lengthAt = bytes.count
        u16(0)
        switch record.data {
        case .a(let ip), .aaaa(let ip):
            bytes.append(contentsOf: ip.bytes)
        case .ns(let target), .cname(let target), .ptr(let target):
            name(target)
        case .soa(let soa):
            name(soa.primary)
            name(soa.mailbox)
            for value in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] { u32(value) }
        case .srv(let priority, let weight, let port, let target):
            u16(priority)
            u16(weight)
            u16(port)
            name(target, compress: false)
        case .txt(let strings):
            for string in strings {
                let chunk = string.prefix(255)
                u8(UInt8(chunk.count))
                bytes.append(contentsOf: chunk)
            }
        case .opt(let data), .other(_, let data):
            bytes.append(contentsOf: data)
        }
        set16(UInt16(bytes.count - lengthAt - 2), at: lengthAt)
    }
}
