/// ProtobufHarnesses: the generated Swift bridge over protobuf-c, fed hostile bytes: the API's
/// request, response and watch event, the store's messages, and any registered type.
///
/// Concurrency: pure. Must never: pick a type from the input in a way that changes between
/// builds for the same bytes (types are chosen from name-sorted lists, so a saved crash
/// reproduces).
import SkiffWire

enum ProtobufHarnesses {
    static let apiRequest = FuzzHarness("api-request", "skiff.api.v1.Request from bytes; round-trips",
                                        seeds: { FuzzSeeds.requests.map(FuzzSeeds.encode) }) { bytes in
        ProtobufRoundTrip.check(Request.self, bytes, harness: "api-request")
    }

    static let apiResponse = FuzzHarness("api-response", "skiff.api.v1.Response from bytes; round-trips",
                                         seeds: { FuzzSeeds.responses.map(FuzzSeeds.encode) }) { bytes in
        ProtobufRoundTrip.check(Response.self, bytes, harness: "api-response")
    }

    static let apiWatchEvent = FuzzHarness("api-watch-event", "skiff.api.v1.WatchEvent from bytes; round-trips",
                                           seeds: { FuzzSeeds.watchEvents.map(FuzzSeeds.encode) }) { bytes in
        ProtobufRoundTrip.check(WatchEvent.self, bytes, harness: "api-watch-event")
    }

    /// Every skiff.store.v1 message, the first byte choosing which.
    static let storeMessages: [any WireMessage.Type] = WireRegistry.messageTypes
        .filter { $0.key.hasPrefix("skiff.store.v1.") }.sorted { $0.key < $1.key }.map(\.value)

    static let storeMessage = FuzzHarness("store-message", "a skiff.store.v1 message (first byte picks the type) from the rest; round-trips",
                                          seeds: { FuzzSeeds.storeMessages.map { [selector($0, in: storeMessages)[1]] + FuzzSeeds.encode($0) } }) { bytes in
        guard let first = bytes.first else { return false }
        let type = storeMessages[Int(first) % storeMessages.count]
        return ProtobufRoundTrip.check(type, UnsafeRawBufferPointer(rebasing: bytes.dropFirst()), harness: "store-message")
    }

    /// Every registered message type, by name.
    static let allMessages: [any WireMessage.Type] = WireRegistry.messageTypes.sorted { $0.key < $1.key }.map(\.value)

    /// Two bytes choose the type: the registry holds more than 256.
    static let anyMessage = FuzzHarness("any-message", "any WireRegistry type (first two bytes pick it) from the rest; round-trips",
                                        seeds: { FuzzSeeds.anyMessages.map { selector($0, in: allMessages) + FuzzSeeds.encode($0) } }) { bytes in
        guard bytes.count >= 2 else { return false }
        let type = allMessages[(Int(bytes[0]) << 8 | Int(bytes[1])) % allMessages.count]
        return ProtobufRoundTrip.check(type, UnsafeRawBufferPointer(rebasing: bytes.dropFirst(2)), harness: "any-message")
    }

    /// The two bytes that choose `message`'s type from `types`.
    static func selector(_ message: any WireMessage, in types: [any WireMessage.Type]) -> [UInt8] {
        let index = types.firstIndex { ObjectIdentifier($0) == ObjectIdentifier(type(of: message)) }!
        return [UInt8(index >> 8), UInt8(index & 0xFF)]
    }
}

/// The protobuf invariant: what decodes re-encodes, and the re-encoding decodes to an equal value.
/// (Not byte equality: unknown fields are dropped, and any field order is valid protobuf.)
enum ProtobufRoundTrip {
    @discardableResult
    static func check<Message: WireMessage>(_ type: Message.Type, _ bytes: UnsafeRawBufferPointer, harness: String) -> Bool {
        guard let value = try? Message(serializedBytes: bytes) else { return false }
        let encoded: [UInt8]
        do { encoded = try value.serializedBytes() } catch {
            fatalError("\(harness): \(Message.protoName) decoded but does not re-encode: \(error)")
        }
        let again: Message
        do { again = try Message(serializedBytes: encoded) } catch {
            fatalError("\(harness): \(Message.protoName) re-encoding does not decode: \(error)")
        }
        FuzzInvariant.check(again == value, harness, "\(Message.protoName) changed in a round trip")
        return true
    }
}
