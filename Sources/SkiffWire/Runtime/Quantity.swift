/// Kubernetes' resource quantity: a decimal number with an SI or binary suffix ("500m", "128Mi",
/// "2", "1.5G", "1e3"). Kept as the string the user wrote, validated on every decode; the
/// numeric value is computed on demand for arithmetic (scheduling, autoscaling).
import CSkiffProto
import Foundation

public struct Quantity: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The quantity as written, e.g. "128Mi".
    public private(set) var string: String

    /// A zero quantity ("0").
    public init() { string = "0" }

    /// Parses a quantity; nil when `string` is not one.
    public init?(_ string: String) {
        guard Quantity.parse(string) != nil else { return nil }
        self.string = string
    }

    /// For literals in code; a literal that is not a quantity is a programming error.
    public init(stringLiteral value: String) {
        guard Quantity.parse(value) != nil else { preconditionFailure("\"\(value)\" is not a quantity") }
        string = value
    }

    public var description: String { string }

    /// The value in thousandths, rounded up: "500m" -> 500, "1" -> 1000, "1Ki" -> 1024000.
    public var milliValue: Int64 { Self.rounded((Self.parse(string) ?? 0) * 1000) }

    /// The value rounded up to a whole number: "500m" -> 1, "128Mi" -> 134217728.
    public var value: Int64 { Self.rounded(Self.parse(string) ?? 0) }

    /// Kubernetes' own wording for a malformed quantity.
    public static let formatError =
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

    private static func rounded(_ value: Double) -> Int64 {
        let up = value.rounded(.up)
        return up >= Double(Int64.max) ? .max : up <= Double(Int64.min) ? .min : Int64(up)
    }

    /// The numeric value of a quantity string, or nil if it is not one. Works on UTF-8 bytes:
    /// every decode of an object with resources validates its quantities.
    static func parse(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        var index = 0
        var sign = 1.0
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
        }
        let numberStart = index
        var digits = 0, dots = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") { digits += 1 } else if byte == UInt8(ascii: ".") { dots += 1 } else { break }
            index += 1
        }
        guard digits > 0, dots <= 1,
              let mantissa = Double(String(decoding: bytes[numberStart..<index], as: UTF8.self)) else { return nil }
        let suffix = String(decoding: bytes[index...], as: UTF8.self)
        if let factor = suffixes[suffix] { return sign * mantissa * factor }
        // Decimal exponent: "e3", "E-2". Zero times an overflowing power ("0e400") is NaN, which
        // no arithmetic on the value survives: not a quantity.
        if let first = suffix.utf8.first, first == UInt8(ascii: "e") || first == UInt8(ascii: "E"),
           let exponent = Int(suffix.dropFirst()), suffix.utf8.count > 1 {
            let value = sign * mantissa * pow(10, Double(exponent))
            return value.isNaN ? nil : value
        }
        return nil
    }

    private static let suffixes: [String: Double] = [
        "": 1, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
        "Ki": 1024, "Mi": 1_048_576, "Gi": 1_073_741_824, "Ti": 1_099_511_627_776,
        "Pi": 1_125_899_906_842_624, "Ei": 1_152_921_504_606_846_976,
    ]
}

extension Quantity: Codable {
    /// Accepts a string, or a bare number as YAML and JSON manifests write whole quantities
    /// (`cpu: 1`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text: String
        if let string = try? container.decode(String.self) {
            text = string
        } else if let integer = try? container.decode(Int64.self) {
            text = String(integer)
        } else {
            text = String(try container.decode(Double.self))
        }
        guard let quantity = Quantity(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "\"\(text)\": \(Quantity.formatError)"))
        }
        self = quantity
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(string)
    }
}

extension Quantity {
    init(cStruct pointer: UnsafePointer<Skiff__Meta__V1__Quantity>) throws(WireError) {
        var string = "0"
        if let text = pointer.pointee.string { string = try wireString(text, "skiff.meta.v1.Quantity.string") }
        guard Quantity.parse(string) != nil else {
            throw WireError(.malformed, path: "skiff.meta.v1.Quantity", "\"\(string)\": \(Quantity.formatError)")
        }
        self.string = string
    }

    func cStruct(in arena: Arena) throws(WireError) -> UnsafeMutablePointer<Skiff__Meta__V1__Quantity> {
        let c = arena.make(Skiff__Meta__V1__Quantity.self)
        skiff__meta__v1__quantity__init(c)
        c.pointee.string = try arena.cString(string, "skiff.meta.v1.Quantity.string")
        return c
    }
}
