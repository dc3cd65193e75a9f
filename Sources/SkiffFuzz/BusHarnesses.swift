/// BusHarnesses: what a bus socket receives from any peer: a request or reply Envelope, and a
/// pub/sub frame (topic, NUL, Envelope).
///
/// Concurrency: pure. Must never: bind or connect a socket (the decoders are fed directly).
import SkiffBus
import SkiffWire

enum BusHarnesses {
    static let envelope = FuzzHarness("envelope", "Envelope from protobuf bytes; a decoded envelope re-encodes to an equal one",
                                      seeds: { FuzzSeeds.envelopes.map(FuzzSeeds.encode) }) { bytes in
        ProtobufRoundTrip.check(Envelope.self, bytes, harness: "envelope")
    }

    static let topicFrame = FuzzHarness("topic-frame", "pub/sub frame split, then its Envelope; topic + NUL + body rebuilds the frame",
                                        seeds: { FuzzSeeds.envelopes.map { Array(($0.topic ?? "pods").utf8) + [0] + FuzzSeeds.encode($0) } }) { bytes in
        guard let (topic, body) = TopicFrame.split(bytes) else { return false }
        FuzzInvariant.check(!topic.isEmpty && !topic.utf8.contains(0), "topic-frame", "topic \(topic.debugDescription)")
        FuzzInvariant.check(Array(topic.utf8) + [0] + Array(body) == Array(bytes), "topic-frame", "frame does not rebuild")
        return ProtobufRoundTrip.check(Envelope.self, body, harness: "topic-frame")
    }
}
