/// ProtoFields: the top-level fields of an encoded message, read and spliced without decoding
/// it. Every kind follows Kubernetes' numbering (metadata = 1, spec = 2, status = 3), so the
/// apiserver can keep a status out of a spec update, compare specs for `generation`, or stamp a
/// resourceVersion onto stored bytes, for any kind and without a full decode.
///
/// Concurrency: pure functions over byte arrays. Must never: crash on malformed bytes (scanning
/// stops and reports nil).
import SkiffWire

enum ProtoFields {
    static let metadata: UInt64 = 1
    static let spec: UInt64 = 2
    static let status: UInt64 = 3
    /// ObjectMeta.resourceVersion.
    static let resourceVersion: UInt64 = 6
    /// PodSpec.nodeName.
    static let nodeName: UInt64 = 10

    /// One top-level field occurrence: its number and the byte range of the whole record
    /// (tag included), plus the range of a length-delimited payload.
    struct Field {
        var number: UInt64
        var record: Range<Int>
        var payload: Range<Int>?
    }

    /// Every top-level field in order, or nil if the bytes are not a well-formed message.
    static func scan(_ bytes: [UInt8]) -> [Field]? {
        var fields: [Field] = []
        var i = 0
        while i < bytes.count {
            let start = i
            guard let tag = varint(bytes, &i) else { return nil }
            let number = tag >> 3
            var payload: Range<Int>? = nil
            switch tag & 7 {
            case 0: guard varint(bytes, &i) != nil else { return nil }
            case 1: i += 8
            case 2:
                guard let length = varint(bytes, &i), length <= UInt64(bytes.count - i) else { return nil }
                payload = i..<(i + Int(length))
                i += Int(length)
            case 5: i += 4
            default: return nil
            }
            guard i <= bytes.count, number > 0 else { return nil }
            fields.append(Field(number: number, record: start..<i, payload: payload))
        }
        return fields
    }

    /// The bytes of every record of field `number` (all occurrences, in order).
    static func records(_ bytes: [UInt8], _ number: UInt64) -> [UInt8] {
        guard let fields = scan(bytes) else { return [] }
        var out: [UInt8] = []
        for field in fields where field.number == number { out += bytes[field.record] }
        return out
    }

    /// `bytes` without any record of the given fields.
    static func removing(_ numbers: Set<UInt64>, from bytes: [UInt8]) -> [UInt8] {
        guard let fields = scan(bytes) else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for field in fields where !numbers.contains(field.number) { out += bytes[field.record] }
        return out
    }

    /// `target` with field `number` taken from `source` (removed when `source` has none).
    static func replacing(_ number: UInt64, in target: [UInt8], from source: [UInt8]) -> [UInt8] {
        removing([number], from: target) + records(source, number)
    }

    /// The first string payload of a length-delimited sub-field, e.g. spec.nodeName.
    static func string(_ bytes: [UInt8], path: [UInt64]) -> String? {
        var current = bytes[...]
        for (depth, number) in path.enumerated() {
            guard let fields = scan(Array(current)),
                  let field = fields.last(where: { $0.number == number }), let payload = field.payload
            else { return nil }
            let base = current.startIndex
            current = current[(base + payload.lowerBound)..<(base + payload.upperBound)]
            if depth == path.count - 1 { return String(decoding: current, as: UTF8.self) }
        }
        return nil
    }

    /// Stamps `metadata.resourceVersion = rv` onto encoded object bytes by appending a metadata
    /// record holding only that field: protobuf merges repeated occurrences of a message field,
    /// and for a scalar the last value wins, so the decoded object carries `rv`.
    static func stampingResourceVersion(_ bytes: [UInt8], _ revision: Int64) -> [UInt8] {
        let rv = Array(String(revision).utf8)
        var inner: [UInt8] = [UInt8(resourceVersion << 3 | 2)]
        appendVarint(&inner, UInt64(rv.count))
        inner += rv
        var out = bytes
        out.reserveCapacity(bytes.count + inner.count + 3)
        out.append(UInt8(metadata << 3 | 2))
        appendVarint(&out, UInt64(inner.count))
        out += inner
        return out
    }

    static func varint(_ bytes: [UInt8], _ i: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while i < bytes.count, shift < 64 {
            let byte = bytes[i]
            i += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }

    static func appendVarint(_ out: inout [UInt8], _ value: UInt64) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }
}
