/// Publisher: one PUB socket that sends Envelopes on topics. Each message carries the
/// publisher's sender name, its epoch (a random id chosen at creation) and its sequence number
/// for the topic (1, 2, 3, ...), from which subscribers detect loss; see `SequenceTracker`.
///
/// With a bus key (`Options.key`, by default SKIFF_BUS_KEY_FILE) each envelope is sealed for
/// its topic (`EnvelopeSeal`); the topic itself stays in clear in front so that nanomsg's
/// prefix subscriptions still filter. Subscribers without the key drop everything. Topics in
/// `Options.confidential` are sealed with the confidential key instead, for the subscribers
/// that hold it alone.
///
/// Concurrency: `publish` may be called from any task or thread; sequence assignment and the
/// send happen under one mutex, so a topic's messages leave in sequence order. `publish`
/// never blocks: nanomsg's PUB drops a message for a subscriber whose buffer is full (the
/// buffer is NN_SNDBUF, 16 MiB by default, so bursts survive). Must never: send a frame
/// larger than `maxMessageSize` (the receiver would drop it silently), or reuse an epoch.
import CNanomsg
import Logging
import SkiffWire
import Synchronization

public final class Publisher: Sendable {
    public struct Options: Sendable {
        /// Name in the Envelope's `sender`; default "<component>-<pid>". Must be unique among
        /// the publishers a subscriber hears (subscribers track streams by sender and topic).
        public var sender: String?
        /// Largest frame (topic + NUL + envelope) this publisher sends.
        public var maxMessageSize: Int
        /// NN_SNDBUF: bytes queued per subscriber before nanomsg drops.
        public var sendBufferSize: Int
        /// Where to advertise bound endpoints for `busctl ls`/`tap`; nil for nowhere.
        public var directory: EndpointDirectory?
        /// The bus key envelopes are sealed with.
        public var key: BusKey.Setting
        /// Topics sealed with the confidential key instead; nil for none.
        public var confidential: ConfidentialTopics?

        public init(sender: String? = nil, maxMessageSize: Int = BusDefaults.maxMessageSize,
                    sendBufferSize: Int = BusDefaults.publisherSendBuffer, directory: EndpointDirectory? = nil,
                    key: BusKey.Setting = .fromEnvironment, confidential: ConfidentialTopics? = nil) {
            self.key = key
            self.confidential = confidential
            self.sender = sender
            self.maxMessageSize = maxMessageSize
            self.sendBufferSize = sendBufferSize
            self.directory = directory
        }
    }

    public let component: String
    public let sender: String
    /// This incarnation's id: sequences restart at 1 under a new epoch.
    public let epoch: String
    public let maxMessageSize: Int

    private struct State {
        var sequences: [String: UInt64] = [:]
        var endpoints: [BusEndpoint] = []
        var closed = false
    }

    private let socket: NanomsgSocket
    private let state = Mutex(State())
    private let directory: EndpointDirectory?
    private let logger: Logger
    private let seal: EnvelopeSeal?
    private let confidential: ConfidentialTopics?

    public init(component: String, options: Options = Options(), logger: Logger = BusLogging.disabled) throws(BusError) {
        self.component = component
        self.seal = try options.key.seal()
        self.confidential = options.confidential
        self.sender = options.sender ?? BusDefaults.sender(component: component)
        self.epoch = Epoch.random()
        self.maxMessageSize = options.maxMessageSize
        self.directory = options.directory
        var logger = logger
        logger[metadataKey: "publisher"] = "\(sender)"
        self.logger = logger
        socket = try NanomsgSocket(protocol: skiff_nn_PUB, kind: "PUB")
        try socket.setOption(level: skiff_nn_SOL_SOCKET, skiff_nn_SNDBUF, Int32(clamping: options.sendBufferSize), name: "NN_SNDBUF")
        try socket.setOption(level: skiff_nn_SOL_SOCKET, skiff_nn_RCVMAXSIZE, Int32(clamping: options.maxMessageSize), name: "NN_RCVMAXSIZE")
    }

    /// Binds to `endpoint` (may be called for several) and advertises it in the directory.
    public func bind(to endpoint: BusEndpoint) throws(BusError) {
        try socket.bind(endpoint)
        let endpoints = state.withLock { s in
            s.endpoints.append(endpoint)
            return s.endpoints
        }
        logger.debug("publisher bound", metadata: ["url": "\(endpoint)"])
        try directory?.register(component: component, sender: sender, role: .pub, endpoints: endpoints)
    }

    public func bind(to url: String) throws(BusError) {
        try bind(to: BusEndpoint(url))
    }

    /// Connects to a subscriber that bound (the less common direction).
    public func connect(to endpoint: BusEndpoint) throws(BusError) {
        try socket.connect(endpoint)
    }

    public var endpoints: [BusEndpoint] { state.withLock { $0.endpoints } }

    /// Publishes `message` on `topic` and returns its sequence number.
    /// Throws `.tooLarge` (nothing is sent and no sequence number used), `.invalidTopic`,
    /// `.malformed` (the message did not encode) or `.closed`.
    @discardableResult
    public func publish(_ message: some WireMessage, topic: String, traceId: String? = nil) throws(BusError) -> UInt64 {
        let payload: [UInt8]
        do {
            payload = try message.serializedBytes()
        } catch {
            throw BusError(.malformed, "cannot encode \(type(of: message).protoName): \(error)")
        }
        return try publish(type: type(of: message).protoName, payload: payload, topic: topic, traceId: traceId)
    }

    /// Publishes an already encoded payload of type `type` (a full proto name).
    @discardableResult
    public func publish(type: String, payload: [UInt8], topic: String, traceId: String? = nil) throws(BusError) -> UInt64 {
        try TopicFrame.validate(topic: topic)
        var envelope = Envelope()
        envelope.type = type
        envelope.sender = sender
        envelope.epoch = epoch
        envelope.topic = topic
        envelope.traceId = traceId
        envelope.payload = payload
        envelope.sentAtUnixNano = WallTime.unixNanoseconds()
        let result = state.withLock { s -> Result<UInt64, BusError> in
            guard !s.closed else { return .failure(BusError(.closed, "publisher \(sender) is closed")) }
            let sequence = (s.sequences[topic] ?? 0) + 1
            envelope.sequence = sequence
            var body: [UInt8]
            do {
                body = try envelope.serializedBytes()
            } catch {
                return .failure(BusError(.malformed, "cannot encode envelope: \(error)"))
            }
            if let confidential, confidential.covers(topic) {
                body = confidential.key.seal.seal(body, for: .publish(topic: topic))
            } else if let seal {
                body = seal.seal(body, for: .publish(topic: topic))
            }
            let size = TopicFrame.size(topic: topic, bodyCount: body.count)
            guard size <= maxMessageSize else {
                return .failure(BusError(.tooLarge, "\(type) on '\(topic)' is \(size) bytes, over the bus limit of \(maxMessageSize) bytes"))
            }
            do throws(BusError) {
                // PUB never reports EAGAIN: a full subscriber just misses the message, which its
                // sequence tracker reports.
                _ = try socket.send(count: size) { TopicFrame.write(topic: topic, body: body, into: $0) }
            } catch {
                return .failure(error)
            }
            s.sequences[topic] = sequence
            return .success(sequence)
        }
        return try result.get()
    }

    /// Closes the socket and removes the directory entry. Idempotent. Messages still queued
    /// may be dropped (nanomsg does not linger).
    public func close() {
        let wasOpen = state.withLock { s in
            defer { s.closed = true }
            return !s.closed
        }
        guard wasOpen else { return }
        socket.close()
        directory?.remove(sender: sender, role: .pub)
        logger.debug("publisher closed")
    }

    public var isClosed: Bool { state.withLock { $0.closed } }
}

/// Random ids for epochs and request-id prefixes.
enum Epoch {
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
