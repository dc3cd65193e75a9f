/// Kubernetes' timestamps: `Time` (RFC 3339 with whole seconds in JSON, as creationTimestamp is
/// written) and `MicroTime` (microseconds, as a Lease's renewTime is written). On the wire both
/// keep seconds and nanoseconds since the Unix epoch.
import CSkiffProto
import Foundation

public struct Time: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var seconds: Int64
    public var nanos: Int32

    public init() { self.init(seconds: 0, nanos: 0) }
    public init(seconds: Int64, nanos: Int32 = 0) {
        self.seconds = seconds
        self.nanos = nanos
    }
    public init(_ date: Date) {
        let (seconds, nanos) = RFC3339.split(date.timeIntervalSince1970)
        self.init(seconds: seconds, nanos: nanos)
    }

    public var date: Date { Date(timeIntervalSince1970: Double(seconds) + Double(nanos) / 1e9) }
    public var description: String { RFC3339.format(seconds: seconds, nanos: 0, fractionDigits: 0) }
    public static func < (a: Time, b: Time) -> Bool { (a.seconds, a.nanos) < (b.seconds, b.nanos) }
}

public struct MicroTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var seconds: Int64
    public var nanos: Int32

    public init() { self.init(seconds: 0, nanos: 0) }
    public init(seconds: Int64, nanos: Int32 = 0) {
        self.seconds = seconds
        self.nanos = nanos
    }
    public init(_ date: Date) {
        let (seconds, nanos) = RFC3339.split(date.timeIntervalSince1970)
        self.init(seconds: seconds, nanos: nanos)
    }

    public var date: Date { Date(timeIntervalSince1970: Double(seconds) + Double(nanos) / 1e9) }
    public var description: String { RFC3339.format(seconds: seconds, nanos: nanos, fractionDigits: 6) }
    public static func < (a: MicroTime, b: MicroTime) -> Bool { (a.seconds, a.nanos) < (b.seconds, b.nanos) }
}

extension Time: Codable {
    public init(from decoder: any Decoder) throws {
        (seconds, nanos) = try RFC3339.decode(from: decoder)
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension MicroTime: Codable {
    public init(from decoder: any Decoder) throws {
        (seconds, nanos) = try RFC3339.decode(from: decoder)
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Time {
    init(cStruct pointer: UnsafePointer<Skiff__Meta__V1__Time>) throws(WireError) {
        let c = pointer.pointee
        self.init(seconds: c.has_seconds != 0 ? c.seconds : 0, nanos: c.has_nanos != 0 ? c.nanos : 0)
    }

    func cStruct(in arena: Arena) throws(WireError) -> UnsafeMutablePointer<Skiff__Meta__V1__Time> {
        let c = arena.make(Skiff__Meta__V1__Time.self)
        skiff__meta__v1__time__init(c)
        c.pointee.has_seconds = 1
        c.pointee.seconds = seconds
        if nanos != 0 {
            c.pointee.has_nanos = 1
            c.pointee.nanos = nanos
        }
        return c
    }
}

extension MicroTime {
    init(cStruct pointer: UnsafePointer<Skiff__Meta__V1__MicroTime>) throws(WireError) {
        let c = pointer.pointee
        self.init(seconds: c.has_seconds != 0 ? c.seconds : 0, nanos: c.has_nanos != 0 ? c.nanos : 0)
    }

    func cStruct(in arena: Arena) throws(WireError) -> UnsafeMutablePointer<Skiff__Meta__V1__MicroTime> {
        let c = arena.make(Skiff__Meta__V1__MicroTime.self)
        skiff__meta__v1__micro_time__init(c)
        c.pointee.has_seconds = 1
        c.pointee.seconds = seconds
        if nanos != 0 {
            c.pointee.has_nanos = 1
            c.pointee.nanos = nanos
        }
        return c
    }
}

/// RFC 3339 timestamps without Foundation's formatters: "2026-11-25T08:00:00Z",
/// "2026-11-25T08:00:00.123456+01:00". Pure calendar arithmetic (proleptic Gregorian, UTC).
public enum RFC3339 {
    static func split(_ interval: Double) -> (Int64, Int32) {
        let seconds = interval.rounded(.down)
        return (Int64(seconds), Int32(((interval - seconds) * 1e9).rounded().clamped(to: 0...999_999_999)))
    }

    static func decode(from decoder: any Decoder) throws -> (Int64, Int32) {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = parse(text) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "\"\(text)\" is not an RFC 3339 time (e.g. 2026-11-25T08:00:00Z)"))
        }
        return parsed
    }

    /// Seconds and nanoseconds since the Unix epoch, or nil if `text` is not RFC 3339.
    public static func parse(_ text: String) -> (seconds: Int64, nanos: Int32)? {
        let b = Array(text.utf8)
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= b.count else { return nil }
            var value = 0
            for byte in b[start..<start + count] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard b.count >= 20, let year = digits(0, 4), b[4] == 45, let month = digits(5, 2), b[7] == 45,
              let day = digits(8, 2), b[10] == 84 || b[10] == 116, let hour = digits(11, 2), b[13] == 58,
              let minute = digits(14, 2), b[16] == 58, let second = digits(17, 2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 61 else { return nil }
        var index = 19
        var nanos = 0
        if b[index] == 46 {  // "."
            index += 1
            var scale = 100_000_000
            let start = index
            while index < b.count, b[index] >= 48, b[index] <= 57 {
                nanos += Int(b[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < b.count else { return nil }
        var offset = 0
        if b[index] == 90 || b[index] == 122 {  // "Z"
            index += 1
        } else if b[index] == 43 || b[index] == 45, let h = digits(index + 1, 2), b.count > index + 3,
                  b[index + 3] == 58, let m = digits(index + 4, 2) {
            offset = (h * 3600 + m * 60) * (b[index] == 45 ? -1 : 1)
            index += 6
        } else {
            return nil
        }
        guard index == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + second - offset)
        return (seconds, Int32(nanos))
    }

    /// `unixNanoseconds` since the epoch, UTC, with `fractionDigits` digits (truncated, never
    /// rounded up into the next second): busctl prints receive times with 3.
    public static func format(unixNanoseconds: Int64, fractionDigits: Int) -> String {
        var seconds = unixNanoseconds / 1_000_000_000
        var nanos = unixNanoseconds % 1_000_000_000
        if nanos < 0 {
            seconds -= 1
            nanos += 1_000_000_000
        }
        return format(seconds: seconds, nanos: Int32(nanos), fractionDigits: fractionDigits)
    }

    /// UTC, "Z", with 0 (Time) or 6 (MicroTime) fraction digits.
    public static func format(seconds: Int64, nanos: Int32, fractionDigits: Int) -> String {
        let days = Int(seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400)
        let secondOfDay = Int(seconds - Int64(days) * 86400)
        let (year, month, day) = civilFromDays(days)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
            + "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
        if fractionDigits > 0 {
            var fraction = Int(nanos)
            for _ in fractionDigits..<9 { fraction /= 10 }
            text += "." + pad(fraction, fractionDigits)
        }
        return text + "Z"
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Comparable {
    fileprivate func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}
