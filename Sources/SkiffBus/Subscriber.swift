/// Subscriber: one SUB socket connected to one or more publishers, filtered by topic
/// prefixes, delivering `SubscriptionEvent`s on one AsyncStream: `.messages` with every
/// message one drain of the socket found (one element per batch, not per message: per-message
/// elements ran at ~50k msg/s), and `.gap` whenever a publisher's sequence numbers show loss,
/// a publisher restarted (new epoch), or this subscriber's own buffer overflowed. A consumer
/// that sees a gap resyncs (lists again), as Kubernetes watches do.
///
/// With a bus key (`Options.key`, by default SKIFF_BUS_KEY_FILE) every message must open with
/// it for its topic (`EnvelopeSeal`); one that does not is dropped, counted in
/// `statistics.unauthenticated` and logged at most once per 10 s. It never reaches the stream
/// nor the sequence tracker, so a forged message cannot fake a gap or hide one.
///
/// Concurrency: the reactor thread receives, opens and decodes envelopes and tracks sequences; the
/// consumer iterates `events` from one task. `connect`/`subscribe` may be called from any
/// thread; `close()` must be called (the reactor holds an open subscriber). Must never:
/// block the reactor (yields never wait; a full buffer turns into an `.overflow` gap),
/// deliver a message twice, or hide a loss it can see.
import CNanomsg
import Logging
import SkiffWire
import Synchronization

public enum SubscriptionEvent: Sendable {
    /// Messages in arrival order.
    case messages([ReceivedMessage])
    /// Something was lost before the messages that follow: resync.
    case gap(Gap)
}

public struct ReceivedMessage: Sendable {
    /// The frame's topic.
    public var topic: String
    public var envelope: Envelope
    /// When the reactor received the batch this message came in.
    public var receivedAt: ContinuousClock.Instant

    public init(topic: String, envelope: Envelope, receivedAt: ContinuousClock.Instant) {
        self.topic = topic
        self.envelope = envelope
        self.receivedAt = receivedAt
    }

    /// The payload decoded as `M`. Throws `.unexpectedReply` if the envelope carries another
    /// type, `.malformed` if the payload does not decode.
    public func decode<M: WireMessage>(_ type: M.Type = M.self) throws(BusError) -> M {
        guard envelope.type == M.protoName else {
            throw BusError(.unexpectedReply, "message on '\(topic)' is \(envelope.type ?? "untyped"), not \(M.protoName)")
        }
        do {
            return try M(serializedBytes: envelope.payload ?? [])
        } catch {
            throw BusError(.malformed, "\(M.protoName) on '\(topic)' does not decode: \(error)")
        }
    }
}

public final class Subscriber: Sendable {
    public struct Options: Sendable {
        /// NN_RCVMAXSIZE: larger frames are dropped by nanomsg. Same number as publishers use.
        public var maxMessageSize: Int
        /// Batches the event stream holds before this subscriber reports `.overflow` gaps.
        public var bufferedBatches: Int
        /// Most messages taken from the socket per drain (fairness to other sockets).
        public var maxBatchSize: Int
        /// NN_RCVBUF, or nanomsg's default (128 KiB). Loss happens at the publisher, so a larger
        /// value does not prevent it.
        public var receiveBufferSize: Int?
        public var reactor: BusReactor
        /// The bus key messages must be sealed with.
        public var key: BusKey.Setting
        /// The confidential key, which also opens messages (a publisher's confidential topics).
        public var confidentialKey: BusKey.Setting
        /// Topic prefixes the publisher seals with the confidential key: when this subscriber
        /// holds that key, a message there opens with it alone (a holder of the bus key alone
        /// cannot forge one).
        public var confidentialTopics: [String]

        public init(maxMessageSize: Int = BusDefaults.maxMessageSize, bufferedBatches: Int = 1024,
                    maxBatchSize: Int = 1024, receiveBufferSize: Int? = nil, reactor: BusReactor = .shared,
                    key: BusKey.Setting = .fromEnvironment, confidentialKey: BusKey.Setting = .confidentialFromEnvironment,
                    confidentialTopics: [String] = []) {
            self.key = key
            self.confidentialKey = confidentialKey
            self.confidentialTopics = confidentialTopics
            self.maxMessageSize = maxMessageSize
            self.bufferedBatches = bufferedBatches
            self.maxBatchSize = maxBatchSize
            self.receiveBufferSize = receiveBufferSize
            self.reactor = reactor
        }
    }

    /// Counters since creation.
    public struct Statistics: Sendable, Equatable {
        /// Frames taken from the socket.
        public var received = 0
        /// Messages handed to the event stream.
        public var delivered = 0
        /// Frames that were not a topic and an Envelope.
        public var malformed = 0
        /// Messages seen before (the same publisher reached twice): dropped.
        public var duplicates = 0
        /// Gaps reported (all kinds).
        public var gaps = 0
        /// Messages discarded because the event stream was full.
        public var overflowed = 0
        /// Frames dropped because they did not open with the bus key.
        public var unauthenticated = 0
    }

    /// The subscription's events, for one consumer. Finishes when the subscriber is closed.
    public let events: AsyncStream<SubscriptionEvent>

    private struct Receiver {
        var tracker = SequenceTracker()
        var ledger = OverflowLedger()
        /// Gaps not yet accepted by the stream, oldest first.
        var pendingGaps: [Gap] = []
        var statistics = Statistics()
        var unauthenticatedLog = ThrottledLog()
    }

    private struct Control {
        var registration: BusReactor.Registration?
        var endpoints: [BusEndpoint] = []
        var closed = false
    }

    private let continuation: AsyncStream<SubscriptionEvent>.Continuation
    private let socket: NanomsgSocket
    private let receiver = Mutex(Receiver())
    private let control = Mutex(Control())
    private let reactor: BusReactor
    private let maxBatchSize: Int
    private let logger: Logger
    private let seal: EnvelopeSeal?
    private let confidentialSeal: EnvelopeSeal?
    private let confidentialTopics: [String]

    /// How soon to retry handing pending gaps to a full stream.
    private static let retryInterval: Duration = .milliseconds(20)

    public init(options: Options = Options(), logger: Logger = BusLogging.disabled) throws(BusError) {
        (events, continuation) = AsyncStream.makeStream(of: SubscriptionEvent.self,
                                                        bufferingPolicy: .bufferingOldest(max(1, options.bufferedBatches)))
        reactor = options.reactor
        maxBatchSize = max(1, options.maxBatchSize)
        self.logger = logger
        seal = try options.key.seal()
        confidentialSeal = try options.confidentialKey.seal()
        confidentialTopics = options.confidentialTopics
        socket = try NanomsgSocket(protocol: skiff_nn_SUB, kind: "SUB")
        try socket.setOption(level: skiff_nn_SOL_SOCKET, skiff_nn_RCVMAXSIZE, Int32(clamping: options.maxMessageSize), name: "NN_RCVMAXSIZE")
        if let size = options.receiveBufferSize {
            try socket.setOption(level: skiff_nn_SOL_SOCKET, skiff_nn_RCVBUF, Int32(clamping: size), name: "NN_RCVBUF")
        }
        let registration = try reactor.register(fd: socket.receiveDescriptor(), source: self)
        control.withLock { $0.registration = registration }
    }

    /// Connects to a publisher (call once per publisher; reconnection is automatic).
    public func connect(to endpoint: BusEndpoint) throws(BusError) {
        try socket.connect(endpoint)
        control.withLock { $0.endpoints.append(endpoint) }
    }

    public func connect(to url: String) throws(BusError) {
        try connect(to: BusEndpoint(url))
    }

    /// Binds, for publishers that connect to this subscriber.
    public func bind(to endpoint: BusEndpoint) throws(BusError) {
        try socket.bind(endpoint)
    }

    public var endpoints: [BusEndpoint] { control.withLock { $0.endpoints } }

    /// Receives messages on exactly `topic`.
    public func subscribe(topic: String) throws(BusError) {
        try TopicFrame.validate(topic: topic)
        try socket.setOption(level: skiff_nn_SUB, skiff_nn_SUB_SUBSCRIBE, bytes: TopicFrame.filter(exactTopic: topic), name: "NN_SUB_SUBSCRIBE")
    }

    /// Receives messages on every topic starting with `prefix` ("" for every topic).
    public func subscribe(prefix: String) throws(BusError) {
        try socket.setOption(level: skiff_nn_SUB, skiff_nn_SUB_SUBSCRIBE, bytes: TopicFrame.filter(prefix: prefix), name: "NN_SUB_SUBSCRIBE")
    }

    public func unsubscribe(topic: String) throws(BusError) {
        try socket.setOption(level: skiff_nn_SUB, skiff_nn_SUB_UNSUBSCRIBE, bytes: TopicFrame.filter(exactTopic: topic), name: "NN_SUB_UNSUBSCRIBE")
    }

    public func unsubscribe(prefix: String) throws(BusError) {
        try socket.setOption(level: skiff_nn_SUB, skiff_nn_SUB_UNSUBSCRIBE, bytes: TopicFrame.filter(prefix: prefix), name: "NN_SUB_UNSUBSCRIBE")
    }

    public var statistics: Statistics { receiver.withLock { $0.statistics } }

    /// Stops receiving, closes the socket and finishes `events` (after what it buffered).
    /// Idempotent.
    public func close() async {
        let registration = control.withLock { c -> BusReactor.Registration? in
            defer {
                c.closed = true
                c.registration = nil
            }
            return c.closed ? nil : c.registration
        }
        if let registration { await reactor.unregister(registration) }
        socket.close()
        continuation.finish()
    }

    public var isClosed: Bool { control.withLock { $0.closed } }

    /// Stops draining the socket, so messages pile up in nanomsg and the publisher drops
    /// (tests use this to force real loss). `resume()` undoes it.
    func pause() {
        if let registration = control.withLock({ $0.registration }) { reactor.setEnabled(registration, false) }
    }

    func resume() {
        if let registration = control.withLock({ $0.registration }) { reactor.setEnabled(registration, true) }
    }
}

extension Subscriber: ReactorSource {
    func reactorDrain(tag: Int) {
        let receivedAt = ContinuousClock.now
        let retry = receiver.withLock { r -> Bool in
            var events: [SubscriptionEvent] = []
            var batch: [ReceivedMessage] = []
            for _ in 0..<maxBatchSize {
                guard let chunk = socket.receive() else { break }
                r.statistics.received += 1
                guard let (topic, body) = TopicFrame.split(chunk.bytes) else {
                    r.statistics.malformed += 1
                    continue
                }
                let decoded: Envelope?
                if seal != nil || EnvelopeSeal.looksSealed(body) {
                    // With a bus key nothing unsealed is accepted; a confidential topic opens
                    // with the confidential key alone.
                    let purpose = EnvelopeSeal.Purpose.publish(topic: topic)
                    let onlyConfidential = confidentialSeal != nil && confidentialTopics.contains { topic.hasPrefix($0) }
                    let opened = onlyConfidential ? confidentialSeal?.open(body, for: purpose)
                                                  : seal?.open(body, for: purpose) ?? confidentialSeal?.open(body, for: purpose)
                    guard let opened else {
                        noteUnauthenticated(topic: topic, why: Self.whyUnopened(body, keyed: seal != nil,
                                                                                 confidential: confidentialSeal != nil), &r)
                        continue
                    }
                    decoded = try? Envelope(serializedBytes: opened)
                } else {
                    decoded = try? Envelope(serializedBytes: body)
                }
                guard let envelope = decoded else {
                    r.statistics.malformed += 1
                    continue
                }
                if let sequence = envelope.sequence, let sender = envelope.sender, let epoch = envelope.epoch {
                    switch r.tracker.observe(sender: sender, topic: topic, epoch: epoch, sequence: sequence) {
                    case .deliver:
                        break
                    case .duplicate:
                        r.statistics.duplicates += 1
                        continue
                    case .deliverAfter(let gap):
                        if !batch.isEmpty {
                            events.append(.messages(batch))
                            batch = []
                        }
                        events.append(.gap(gap))
                    }
                }
                batch.append(ReceivedMessage(topic: topic, envelope: envelope, receivedAt: receivedAt))
            }
            if !batch.isEmpty { events.append(.messages(batch)) }
            return deliver(events, &r)
        }
        if retry { reactor.noteDeadline(MonotonicTime.deadline(after: Self.retryInterval)) }
    }

    /// Why a message did not open, for the operator.
    private static func whyUnopened(_ body: UnsafeRawBufferPointer, keyed: Bool, confidential: Bool) -> String {
        guard EnvelopeSeal.looksSealed(body) else { return "not sealed: a publisher without SKIFF_BUS_KEY_FILE?" }
        if confidential { return "sealed with another key, or altered" }
        return keyed ? "sealed with another key (a confidential topic needs SKIFF_BUS_CONFIDENTIAL_KEY_FILE), or altered"
                     : "sealed with a bus key, and this subscriber has none (SKIFF_BUS_KEY_FILE)"
    }

    private func noteUnauthenticated(topic: String, why: String, _ r: inout Receiver) {
        r.statistics.unauthenticated += 1
        guard let count = r.unauthenticatedLog.note(now: MonotonicTime.now()) else { return }
        logger.warning("messages dropped: they did not open with the bus key",
                       metadata: ["topic": "\(topic)", "dropped": "\(count)",
                                  "why": "\(why)"])
    }

    func reactorExpire(now: UInt64) -> UInt64? {
        let retry = receiver.withLock { r in deliver([], &r) }
        return retry ? MonotonicTime.deadline(after: Self.retryInterval) : nil
    }

    /// Hands events to the stream after any gaps still pending; whatever the stream refuses
    /// becomes a pending gap. Returns whether gaps remain pending (retry later).
    private func deliver(_ events: [SubscriptionEvent], _ r: inout Receiver) -> Bool {
        var blocked = false
        // First what the stream refused before: wire gaps, then overflow summaries.
        var accepted = 0
        for gap in r.pendingGaps {
            guard offer(.gap(gap), &r) else {
                blocked = true
                break
            }
            accepted += 1
        }
        r.pendingGaps.removeFirst(accepted)
        if !blocked {
            for gap in r.ledger.take() {
                if blocked || !offer(.gap(gap), &r) {
                    blocked = true
                    r.ledger.merge(gap)
                }
            }
        }
        for event in events {
            if !blocked && offer(event, &r) { continue }
            blocked = true
            switch event {
            case .gap(let gap):
                r.pendingGaps.append(gap)
            case .messages(let messages):
                for message in messages {
                    r.statistics.overflowed += 1
                    let envelope = message.envelope
                    guard let sequence = envelope.sequence, let sender = envelope.sender, let epoch = envelope.epoch else { continue }
                    r.ledger.record(sender: sender, topic: message.topic, epoch: epoch, sequence: sequence)
                }
            }
        }
        return !r.pendingGaps.isEmpty || !r.ledger.isEmpty
    }

    /// Yields one event; false if the stream is full. A finished stream accepts (and drops)
    /// everything: nobody is listening.
    private func offer(_ event: SubscriptionEvent, _ r: inout Receiver) -> Bool {
        switch continuation.yield(event) {
        case .enqueued, .terminated:
            switch event {
            case .messages(let messages): r.statistics.delivered += messages.count
            case .gap: r.statistics.gaps += 1
            }
            return true
        case .dropped:
            return false
        @unknown default:
            return false
        }
    }
}
