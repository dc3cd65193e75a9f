import Foundation
import SkiffWire
import SkiffWireTesting
import Testing

/// Every generated message type, filled with random values, survives Swift -> C -> bytes -> C ->
/// Swift and Swift -> JSON -> Swift unchanged.
@Suite struct RoundTripTests {
    static let valuesPerType = 12

    @Test func everyTypeIsCovered() {
        #expect(ArbitraryRegistry.allTypes.count == WireRegistry.messageTypes.count)
        #expect(WireRegistry.messageTypes.count > 200)
    }

    @Test(arguments: ArbitraryRegistry.allTypes.map(TypeCase.init))
    func protobufRoundTrip(_ type: TypeCase) throws {
        try type.check { value, seed in
            let bytes = try value.serializedBytes()
            let decoded = try type.metatype.init(serializedBytes: bytes)
            #expect(equal(decoded, value), "\(type) seed \(seed)")
            // Encoding is deterministic (maps sorted): same value, same bytes.
            #expect(try decoded.serializedBytes() == bytes, "\(type) seed \(seed)")
        }
    }

    @Test(arguments: ArbitraryRegistry.allTypes.map(TypeCase.init))
    func jsonRoundTrip(_ type: TypeCase) throws {
        try type.check { value, seed in
            let json = try JSONEncoder().encode(value)
            let decoded = try JSONDecoder().decode(type.metatype, from: json)
            #expect(equal(decoded, value), "\(type) seed \(seed): \(String(decoding: json, as: UTF8.self).prefix(300))")
        }
    }

    @Test func mapsEncodeIdenticallyWhateverTheirInsertionOrder() throws {
        var a = ObjectMeta()
        var b = ObjectMeta()
        for key in ["b", "a", "c", "zz", "m"] { a.labels[key] = key }
        for key in ["m", "zz", "c", "a", "b"] { b.labels[key] = key }
        #expect(try a.serializedBytes() == b.serializedBytes())
    }
}

/// One message type as a test argument, named for readable test output.
struct TypeCase: CustomStringConvertible, Sendable {
    let metatype: any ArbitraryMessage.Type
    init(_ metatype: any ArbitraryMessage.Type) { self.metatype = metatype }
    var description: String { metatype.protoName }

    /// Runs `body` over random values from fixed seeds, so any failure is reproducible.
    func check(_ body: (any ArbitraryMessage, UInt64) throws -> Void) throws {
        for index in 0..<RoundTripTests.valuesPerType {
            let seed = UInt64(index) &* 0x9E37_79B9 &+ UInt64(description.utf8.count)
            var generator = ValueGenerator(seed: seed)
            try body(metatype.arbitrary(using: &generator, depth: 3), seed)
        }
    }
}

func equal(_ a: any WireMessage, _ b: any WireMessage) -> Bool {
    func open<T: WireMessage>(_ a: T) -> Bool { (b as? T) == a }
    return open(a)
}
