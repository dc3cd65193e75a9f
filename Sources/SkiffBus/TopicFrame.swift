/// TopicFrame: the pub/sub wire frame, `topic bytes (UTF-8) | 0x00 | Envelope bytes`. The topic
/// comes first so nanomsg's prefix subscriptions filter without decoding anything; the NUL
/// ends it, so a subscription to "pods\0" matches topic "pods" exactly and "pods" matches
/// every topic starting with it.
///
/// Concurrency: pure functions. Must never: change the layout (every publisher and subscriber
/// of a cluster shares it), or accept a topic containing NUL.
/// `split` is package-visible so that SkiffFuzz can feed it hostile frames.
package enum TopicFrame {
    static let separator: UInt8 = 0

    static func validate(topic: String) throws(BusError) {
        guard !topic.isEmpty else { throw BusError(.invalidTopic, "empty topic") }
        guard !topic.utf8.contains(separator) else {
            throw BusError(.invalidTopic, "topic '\(topic)' contains a NUL byte")
        }
    }

    /// Bytes a frame for `topic` carrying `bodyCount` envelope bytes takes.
    static func size(topic: String, bodyCount: Int) -> Int { topic.utf8.count + 1 + bodyCount }

    /// Writes the frame into `buffer`, which holds exactly `size(topic:bodyCount:)` bytes.
    static func write(topic: String, body: [UInt8], into buffer: UnsafeMutableRawBufferPointer) {
        var offset = 0
        for byte in topic.utf8 {
            buffer[offset] = byte
            offset += 1
        }
        buffer[offset] = separator
        offset += 1
        body.withUnsafeBytes { source in
            guard let base = source.baseAddress, !source.isEmpty else { return }
            buffer.baseAddress!.advanced(by: offset).copyMemory(from: base, byteCount: source.count)
        }
    }

    /// Splits a received frame into its topic and envelope bytes; nil if there is no
    /// separator or the topic is not UTF-8.
    package static func split(_ frame: UnsafeRawBufferPointer) -> (topic: String, body: UnsafeRawBufferPointer)? {
        guard let end = frame.firstIndex(of: separator), end > 0 else { return nil }
        guard let topic = String(validating: frame[..<end], as: UTF8.self) else { return nil }
        return (topic, UnsafeRawBufferPointer(rebasing: frame[(end + 1)...]))
    }

    /// The NN_SUB_SUBSCRIBE filter for exactly `topic`.
    static func filter(exactTopic topic: String) -> [UInt8] { Array(topic.utf8) + [separator] }

    /// The NN_SUB_SUBSCRIBE filter for every topic starting with `prefix` ("" for all).
    static func filter(prefix: String) -> [UInt8] { Array(prefix.utf8) }
}
