/// Kubernetes' IntOrString: a port number or name (8080, "http"), a count or percentage
/// (1, "25%"). JSON and YAML carry it as a bare number or a string.
import CSkiffProto

public enum IntOrString: Sendable, Hashable, CustomStringConvertible {
    case int(Int32)
    case string(String)

    public init() { self = .int(0) }

    public var description: String {
        switch self {
        case .int(let value): String(value)
        case .string(let value): value
        }
    }

    /// Resolves a count or percentage against a total, as Kubernetes' maxSurge and
    /// maxUnavailable do: "25%" of 10 is 3 rounding up, 2 rounding down. Nil if malformed.
    public func scaled(total: Int, roundUp: Bool) -> Int? {
        switch self {
        case .int(let value):
            return Int(value)
        case .string(let text):
            guard text.hasSuffix("%"), let percent = Int(text.dropLast()) else { return nil }
            // maxSurge has no upper bound, so the product can overflow: saturate (more than any
            // total is as good as unlimited) instead of trapping in the controller.
            let (product, overflow) = percent.multipliedReportingOverflow(by: total)
            if overflow { return (percent < 0) == (total < 0) ? Int.max : Int.min }
            return roundUp && product % 100 > 0 ? product / 100 + 1 : product / 100
        }
    }
}

extension IntOrString: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    public init(integerLiteral value: Int32) { self = .int(value) }
    public init(stringLiteral value: String) { self = .string(value) }
}

extension IntOrString: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int32.self) {
            self = .int(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        }
    }
}

extension IntOrString {
    init(cStruct pointer: UnsafePointer<Skiff__Meta__V1__IntOrString>) throws(WireError) {
        let c = pointer.pointee
        if c.has_type != 0 && c.type == 1 {
            var text = ""
            if let p = c.strval { text = try wireString(p, "skiff.meta.v1.IntOrString.strVal") }
            self = .string(text)
        } else {
            self = .int(c.has_intval != 0 ? c.intval : 0)
        }
    }

    func cStruct(in arena: Arena) throws(WireError) -> UnsafeMutablePointer<Skiff__Meta__V1__IntOrString> {
        let c = arena.make(Skiff__Meta__V1__IntOrString.self)
        skiff__meta__v1__int_or_string__init(c)
        c.pointee.has_type = 1
        switch self {
        case .int(let value):
            c.pointee.type = 0
            c.pointee.has_intval = 1
            c.pointee.intval = value
        case .string(let value):
            c.pointee.type = 1
            c.pointee.strval = try arena.cString(value, "skiff.meta.v1.IntOrString.strVal")
        }
        return c
    }
}
