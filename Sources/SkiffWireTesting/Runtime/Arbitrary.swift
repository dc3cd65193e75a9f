/// Random values of every message type, for property tests: a seeded generator (so a failure
/// names a seed that reproduces it) biased toward the inputs codecs get wrong: empty and very
/// long strings, non-ASCII text, extreme integers, empty and long repeated fields.
import SkiffWire

public protocol Arbitrary {
    static func arbitrary(using g: inout ValueGenerator, depth: Int) -> Self
}

public typealias ArbitraryMessage = WireMessage & Arbitrary

/// The generated list of every message type lives in an extension (ArbitraryRegistry.tables.swift).
public enum ArbitraryRegistry {}

/// SplitMix64: small, fast, and reproducible from a seed.
public struct ValueGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Whether an optional field is set: more often than not, so that nested values get filled.
    public mutating func present() -> Bool { Int.random(in: 0..<3, using: &self) > 0 }

    public mutating func bool() -> Bool { Bool.random(using: &self) }

    public mutating func int32() -> Int32 {
        switch Int.random(in: 0..<5, using: &self) {
        case 0: [Int32.min, Int32.max, 0, -1, 1].randomElement(using: &self)!
        default: Int32.random(in: -1000...100_000, using: &self)
        }
    }

    public mutating func int64() -> Int64 {
        switch Int.random(in: 0..<5, using: &self) {
        case 0: [Int64.min, Int64.max, 0, -1, Int64(Int32.max) + 1].randomElement(using: &self)!
        default: Int64.random(in: -1_000_000...10_000_000_000, using: &self)
        }
    }

    public mutating func uint32() -> UInt32 { UInt32.random(in: 0...UInt32.max, using: &self) }
    public mutating func uint64() -> UInt64 { next() >> UInt64.random(in: 0..<64, using: &self) }
    public mutating func double() -> Double { Double.random(in: -1e9...1e9, using: &self) }
    public mutating func float() -> Float { Float.random(in: -1e6...1e6, using: &self) }

    /// Text without NUL (which protobuf strings may hold but C strings cannot; the encoder
    /// refuses it, and a test covers that separately).
    public mutating func string() -> String {
        let alphabets: [[Character]] = [
            Array("abcdefghijklmnopqrstuvwxyz0123456789-./"),
            Array("äöüßéñ漢字カタカナ한국어Ωπ∑🚀🎉👩‍💻\u{200B}\t\n\"\\'"),
        ]
        switch Int.random(in: 0..<8, using: &self) {
        case 0: return ""
        case 1: return String(repeating: "x", count: Int.random(in: 1000...5000, using: &self))
        default:
            let alphabet = alphabets[Int.random(in: 0..<2, using: &self)]
            let count = Int.random(in: 1...24, using: &self)
            return String((0..<count).map { _ in alphabet.randomElement(using: &self)! })
        }
    }

    public mutating func bytes() -> [UInt8] {
        let count = [0, 1, 16, 300].randomElement(using: &self)!
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }

    public mutating func array<T>(_ element: (inout ValueGenerator) -> T) -> [T] {
        let count = Int.random(in: 0..<10, using: &self) == 0 ? Int.random(in: 20...60, using: &self)
                                                               : Int.random(in: 0...3, using: &self)
        return (0..<count).map { _ in element(&self) }
    }

    public mutating func map<V>(_ value: (inout ValueGenerator) -> V) -> [String: V] {
        var result: [String: V] = [:]
        for _ in 0..<Int.random(in: 0...4, using: &self) { result[string()] = value(&self) }
        return result
    }
}

extension Quantity: Arbitrary {
    public static func arbitrary(using g: inout ValueGenerator, depth: Int) -> Quantity {
        let forms = ["0", "1", "500m", "128Mi", "1.5Gi", "2", "100k", "1e3", "250u", "0.5", "-1", "+3Ti"]
        return Quantity(forms.randomElement(using: &g)!)!
    }
}

extension IntOrString: Arbitrary {
    public static func arbitrary(using g: inout ValueGenerator, depth: Int) -> IntOrString {
        g.bool() ? .int(g.int32()) : .string(["http", "25%", "", "web-port"].randomElement(using: &g)!)
    }
}

extension Time: Arbitrary {
    /// Whole seconds: Time's JSON form has no fraction, so anything finer would not round-trip.
    public static func arbitrary(using g: inout ValueGenerator, depth: Int) -> Time {
        Time(seconds: Int64.random(in: -2_000_000_000...4_000_000_000, using: &g))
    }
}

extension MicroTime: Arbitrary {
    /// Whole microseconds, MicroTime's JSON precision.
    public static func arbitrary(using g: inout ValueGenerator, depth: Int) -> MicroTime {
        MicroTime(seconds: Int64.random(in: 0...4_000_000_000, using: &g),
                  nanos: Int32.random(in: 0..<1_000_000, using: &g) * 1000)
    }
}
