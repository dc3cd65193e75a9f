import SkiffWire
import SkiffWireTesting
import Testing

/// Bad bytes and bad strings are refused with a WireError, never a crash.
@Suite struct MalformedInputTests {
    @Test func randomBytesNeverCrashAnyDecoder() {
        var generator = ValueGenerator(seed: 42)
        var refused = 0
        for type in ArbitraryRegistry.allTypes {
            for _ in 0..<40 {
                let count = Int.random(in: 1...64, using: &generator)
                let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
                do { _ = try type.init(serializedBytes: bytes) } catch { refused += 1 }
            }
        }
        // Most random inputs are not valid encodings; the point is that none crashed.
        #expect(refused > ArbitraryRegistry.allTypes.count * 20)
    }

    @Test func truncatedAndMutatedEncodingsNeverCrash() throws {
        var generator = ValueGenerator(seed: 7)
        for type in [Pod.self, Deployment.self, Envelope.self] as [any ArbitraryMessage.Type] {
            for _ in 0..<30 {
                let bytes = try type.arbitrary(using: &generator, depth: 3).serializedBytes()
                guard bytes.count > 1 else { continue }
                for cut in stride(from: 1, to: bytes.count, by: max(1, bytes.count / 16)) {
                    _ = try? type.init(serializedBytes: Array(bytes[..<cut]))
                }
                var mutated = bytes
                for _ in 0..<4 { mutated[Int.random(in: 0..<mutated.count, using: &generator)] ^= 0xFF }
                _ = try? type.init(serializedBytes: mutated)
            }
        }
    }

    @Test func aLengthBeyondTheBufferIsMalformed() {
        // Field 1 (metadata), wire type 2, length 100, but only 3 bytes follow.
        let bytes: [UInt8] = [0x0A, 100, 1, 2, 3]
        #expect(throws: WireError.self) { try Pod(serializedBytes: bytes) }
        do { _ = try Pod(serializedBytes: bytes) } catch { #expect(error.code == .malformed) }
    }

    @Test func invalidUTF8InAStringIsRefused() {
        // Envelope.type (field 1, string) holding 0xFF 0xFE.
        let bytes: [UInt8] = [0x0A, 2, 0xFF, 0xFE]
        do {
            _ = try Envelope(serializedBytes: bytes)
            Issue.record("invalid UTF-8 was accepted")
        } catch {
            #expect(error.code == .invalidUTF8)
            #expect(error.path == "skiff.wire.v1.Envelope.type")
        }
    }

    @Test func aStringWithNULCannotBeEncoded() {
        let envelope = Envelope(type: "a\u{0}b")
        do {
            _ = try envelope.serializedBytes()
            Issue.record("a NUL was silently truncated")
        } catch {
            #expect(error.code == .embeddedNUL)
        }
    }

    @Test func anInvalidQuantityOnTheWireIsRefused() throws {
        // ResourceRequirements.limits["cpu"] = Quantity{string: "lots"}: built with protoc's
        // text format would be clearer, but raw bytes keep the test self-contained.
        let quantity: [UInt8] = [0x0A, 4] + Array("lots".utf8)
        let entry: [UInt8] = [0x0A, 3] + Array("cpu".utf8) + [0x12, UInt8(quantity.count)] + quantity
        let bytes: [UInt8] = [0x0A, UInt8(entry.count)] + entry
        #expect(throws: WireError.self) { try ResourceRequirements(serializedBytes: bytes) }
    }
}
