/// RequestServer: answers requests on one raw NN_REP socket with typed handlers, several at
/// once. Every server also answers `Ping` with a `Pong` (component, pid, start time, the
/// request types it handles) without user code. A handler that throws, a request type with no
/// handler, an undecodable payload, an expired deadline or an over-large reply is answered
/// with a `Failure` (codes in envelope.proto); nothing a client sends can crash the server.
///
/// Why a raw socket: a cooked REP answers only the request it received last, so it serves
/// one request at a time. The raw socket hands each request's route (nanomsg's backtrace
/// header) to us; the reply goes back along it whenever its handler finishes.
///
/// At most once per request id: nanomsg delivers requests at least once (a client resends on
/// reconnect), so the server keys requests by (sender, requestId) in a `ReplyCache`: a copy
/// arriving while the handler runs gets the same reply when it finishes; one arriving later is
/// answered from the cache. The handler never runs twice for one id in one server incarnation.
///
/// With a bus key (`Options.key`, by default SKIFF_BUS_KEY_FILE) every request must open with
/// it (`EnvelopeSeal`) and every reply is sealed. A request that does not open (no key, another
/// key, altered) is dropped without a reply, since a reply would tell an unauthenticated peer
/// something, and counted (`statistics`) and logged at most once per 10 s. A keyless server
/// answers a sealed request with a clear BadRequest saying so, to make the mismatch obvious.
///
/// `Options.requiredToken` makes the server refuse (`Unauthenticated`, no handler) any request
/// whose `Envelope.token` is not that token; Ping is exempt.
///
/// Rate limits (`Options.rateLimit`, on by default and generous): a sender over its token
/// bucket gets `TooManyRequests` and its handler does not run; see `RateLimit` for why the
/// key is the envelope's sender. Oversize requests never reach us: NN_RCVMAXSIZE is
/// `maxMessageSize`, and nanomsg drops a bigger message and resets that connection.
///
/// Concurrency: the reactor thread receives and starts one task per request; handlers run on
/// the cooperative pool (or `Options.handlerExecutor`) and reply from there (NN_DONTWAIT).
/// Handlers may be registered at any time. `close()` must be called (the reactor holds an
/// open server) and not from a handler (it waits for handlers). Must never: block the
/// reactor, run a handler twice for one (sender, requestId), run handler code after
/// `close()` returned, or run a handler for (or answer) a request that did not open with the
/// server's bus key.
import CNanomsg
import Logging
import SkiffWire
import Synchronization

/// What a handler knows about the request besides its payload.
public struct RequestContext: Sendable {
    public var requestId: String
    /// The client's sender name.
    public var sender: String
    public var traceId: String?
    /// The bearer token, for the handler (or a wrapper) to authenticate.
    public var token: String?
    /// When the client stops waiting, if it said.
    public var deadline: ContinuousClock.Instant?
    /// The server's logger, with request metadata.
    public var logger: Logger
}

public final class RequestServer: Sendable {
    public struct Options: Sendable {
        /// Name in replies' `sender`; default "<component>-<pid>".
        public var sender: String?
        /// Largest request accepted (NN_RCVMAXSIZE) and reply sent.
        public var maxMessageSize: Int
        /// Completed replies kept for answering resent requests.
        public var replyCacheSize: Int
        /// Where to advertise bound endpoints for `busctl`; nil for nowhere.
        public var directory: EndpointDirectory?
        public var reactor: BusReactor
        /// Where handlers run: nil for the global pool (the default). Passing `reactor` starts
        /// each handler on the reactor thread right after its request is received, saving a
        /// thread wake-up per request, for handlers that only do short, non-blocking work
        /// (see `BusReactor`'s TaskExecutor conformance).
        public var handlerExecutor: (any TaskExecutor)?
        /// The bus key requests must be sealed with and replies are sealed with.
        public var key: BusKey.Setting
        /// Per-sender request rate limit; nil for none.
        public var rateLimit: RateLimit?
        /// A token every request must carry in `Envelope.token`, else it is answered
        /// `Unauthenticated` without running a handler (Ping excepted, so `busctl ls` and
        /// health checks still see the server); nil for none.
        public var requiredToken: SharedToken?

        public init(sender: String? = nil, maxMessageSize: Int = BusDefaults.maxMessageSize, replyCacheSize: Int = 4096,
                    directory: EndpointDirectory? = nil, reactor: BusReactor = .shared,
                    handlerExecutor: (any TaskExecutor)? = nil, key: BusKey.Setting = .fromEnvironment,
                    rateLimit: RateLimit? = .default, requiredToken: SharedToken? = nil) {
            self.requiredToken = requiredToken
            self.handlerExecutor = handlerExecutor
            self.key = key
            self.rateLimit = rateLimit
            self.sender = sender
            self.maxMessageSize = maxMessageSize
            self.replyCacheSize = replyCacheSize
            self.directory = directory
            self.reactor = reactor
        }
    }

    /// Requests refused before any handler, since creation.
    public struct Statistics: Sendable, Equatable {
        /// Dropped unanswered: they did not open with the bus key.
        public var unauthenticated = 0
        /// Answered TooManyRequests: their sender was over the rate limit.
        public var throttled = 0
    }

    public typealias Handler<R: WireMessage> = @Sendable (R, RequestContext) async throws -> any WireMessage

    public let component: String
    public let sender: String
    public let maxMessageSize: Int
    /// When this server was created, nanoseconds since the Unix epoch (reported in Pong).
    public let startedAtUnixNano: Int64

    /// A handler with its request type erased: decodes the payload, runs, returns the reply.
    private struct ErasedHandler: Sendable {
        let run: @Sendable ([UInt8], RequestContext) async throws -> any WireMessage
    }

    /// The payload did not decode as the handler's request type.
    private struct PayloadError: Error {
        let message: String
    }

    private struct State {
        var handlers: [String: ErasedHandler] = [:]
        var replies: ReplyCache<[UInt8]>
        var tasks: [UInt64: Task<Void, Never>] = [:]
        var nextTask: UInt64 = 0
        var endpoints: [BusEndpoint] = []
        var registration: BusReactor.Registration?
        var closed = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var buckets: SenderBuckets?
        var unauthenticated = ThrottledLog()
        var throttled = ThrottledLog()
    }

    private let socket: NanomsgSocket
    private let state: Mutex<State>
    private let reactor: BusReactor
    private let handlerExecutor: (any TaskExecutor)?
    private let directory: EndpointDirectory?
    private let logger: Logger
    private let seal: EnvelopeSeal?
    private let rateLimit: RateLimit?
    private let requiredToken: SharedToken?

    public init(component: String, options: Options = Options(), logger: Logger = BusLogging.disabled) throws(BusError) {
        self.component = component
        self.sender = options.sender ?? BusDefaults.sender(component: component)
        self.maxMessageSize = options.maxMessageSize
        self.startedAtUnixNano = WallTime.unixNanoseconds()
        self.reactor = options.reactor
        self.handlerExecutor = options.handlerExecutor
        self.directory = options.directory
        var logger = logger
        logger[metadataKey: "server"] = "\(sender)"
        self.logger = logger
        self.seal = try options.key.seal()
        self.rateLimit = options.rateLimit
        self.requiredToken = options.requiredToken
        state = Mutex(State(replies: ReplyCache(capacity: options.replyCacheSize),
                            buckets: options.rateLimit.map { SenderBuckets(rate: $0.rate, burst: $0.burst) }))
        socket = try NanomsgSocket(protocol: skiff_nn_REP, raw: true, kind: "raw REP")
        try socket.setOption(level: skiff_nn_SOL_SOCKET, skiff_nn_RCVMAXSIZE, Int32(clamping: options.maxMessageSize), name: "NN_RCVMAXSIZE")
    }

    // MARK: handlers

    /// Handles requests of type `R`; replaces an earlier handler for `R`. The reply may be any
    /// message; throwing a `BusError` sends its code and message, any other error is sent as
    /// `.handlerFailed` with the error's description.
    public func handle<R: WireMessage>(_ type: R.Type, _ handler: @escaping Handler<R>) {
        let erased = ErasedHandler { payload, context in
            let request: R
            do {
                request = try R(serializedBytes: payload)
            } catch {
                throw PayloadError(message: "payload does not decode as \(R.protoName): \(error)")
            }
            return try await handler(request, context)
        }
        state.withLock { $0.handlers[R.protoName] = erased }
    }

    /// Request types with a handler, Ping included, sorted.
    public var handledTypes: [String] {
        let types = state.withLock { Array($0.handlers.keys) }
        return Set(types + [Ping.protoName]).sorted()
    }

    // MARK: lifecycle

    /// Binds to `endpoint` (may be called for several), starts serving and advertises the
    /// endpoint in the directory. Throws `.addressInUse` if another socket has it.
    public func bind(to endpoint: BusEndpoint) throws(BusError) {
        if endpoint.transport == .tcp {
            try socket.setOption(level: skiff_nn_TCP, skiff_nn_TCP_NODELAY, 1, name: "NN_TCP_NODELAY")
        }
        try socket.bind(endpoint)
        let needsRegistration = state.withLock { s -> Bool in
            s.endpoints.append(endpoint)
            return s.registration == nil && !s.closed
        }
        if needsRegistration {
            let registration = try reactor.register(fd: socket.receiveDescriptor(), source: self)
            state.withLock { $0.registration = registration }
        }
        logger.debug("request server bound", metadata: ["url": "\(endpoint)"])
        try directory?.register(component: component, sender: sender, role: .rep, endpoints: endpoints)
    }

    public func bind(to url: String) throws(BusError) {
        try bind(to: BusEndpoint(url))
    }

    public var endpoints: [BusEndpoint] { state.withLock { $0.endpoints } }

    /// Requests being handled right now.
    public var inFlightCount: Int { state.withLock { $0.tasks.count } }

    /// Requests refused before any handler ran.
    public var statistics: Statistics {
        state.withLock { Statistics(unauthenticated: $0.unauthenticated.total, throttled: $0.throttled.total) }
    }

    /// Whether requests must be sealed with a bus key.
    public var isKeyed: Bool { seal != nil }

    /// Copies of running requests waiting for their reply (tests).
    var pendingDuplicatesForTesting: Int { state.withLock { $0.replies.waitingCount } }

    /// Serves until `close()` is called or the calling task is cancelled (then closes): the
    /// shape of a service's `run()`.
    public func run() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.closed { return true }
                    s.closeWaiters.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            Task { await self.close() }
        }
    }

    /// Stops receiving, cancels running handlers and waits for them to finish, closes the
    /// socket and removes the directory entry. Replies of cancelled handlers are not sent; the
    /// clients time out or, through nanomsg's resend, reach the next server. Idempotent.
    public func close() async {
        let (registration, wasOpen) = state.withLock { s -> (BusReactor.Registration?, Bool) in
            defer {
                s.closed = true
                s.registration = nil
            }
            return (s.registration, !s.closed)
        }
        if let registration { await reactor.unregister(registration) }
        // No request can start now: the reactor no longer drains the socket.
        let tasks = state.withLock { s in Array(s.tasks.values) }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        socket.close()
        guard wasOpen else { return }
        directory?.remove(sender: sender, role: .rep)
        let waiters = state.withLock { s in
            defer { s.closeWaiters = [] }
            return s.closeWaiters
        }
        for waiter in waiters { waiter.resume() }
        logger.debug("request server closed")
    }

    public var isClosed: Bool { state.withLock { $0.closed } }

    // MARK: serving one request

    private func serve(_ received: [UInt8], route: [UInt8]) async {
        let request: [UInt8]
        if let seal {
            guard let opened = received.withUnsafeBytes({ seal.open($0, for: .request) }) else {
                noteUnauthenticated(sealed: received.withUnsafeBytes { EnvelopeSeal.looksSealed($0) })
                return
            }
            request = opened
        } else if received.withUnsafeBytes({ EnvelopeSeal.looksSealed($0) }) {
            send(failure(BusError(.badRequest, "the request is sealed with a bus key but \(sender) has none (SKIFF_BUS_KEY_FILE)"), to: nil), to: [route])
            return
        } else {
            request = received
        }
        let envelope: Envelope
        do {
            envelope = try Envelope(serializedBytes: request)
        } catch {
            send(failure(BusError(.badRequest, "request is not an envelope: \(error)"), to: nil), to: [route])
            return
        }
        let requestId = envelope.requestId ?? ""
        let key = ReplyCache<[UInt8]>.Key(sender: envelope.sender ?? "", requestId: requestId)
        if !requestId.isEmpty {
            let admission = state.withLock { $0.replies.admit(key, route: route) }
            switch admission {
            case .run:
                break
            case .joined:
                logger.debug("duplicate request joined the running one", metadata: ["requestId": "\(requestId)"])
                return
            case .answered(let reply):
                logger.debug("duplicate request answered from cache", metadata: ["requestId": "\(requestId)"])
                send(reply, to: [route])
                return
            }
        }
        let reply: [UInt8]
        if let refusal = overRateLimit(envelope) {
            // Cached like any reply: a copy of this request is refused too, not run.
            reply = refusal
        } else {
            reply = await respond(to: envelope)
        }
        if Task.isCancelled {
            // Closing: the socket is about to go; let resends reach the next incarnation.
            if !requestId.isEmpty { _ = state.withLock { $0.replies.abandon(key) } }
            return
        }
        var routes = [route]
        if !requestId.isEmpty { routes += state.withLock { $0.replies.complete(key, reply: reply) } }
        send(reply, to: routes)
    }

    /// A TooManyRequests reply if the envelope's sender has no token left, else nil.
    private func overRateLimit(_ envelope: Envelope) -> [UInt8]? {
        guard let rateLimit else { return nil }
        let sender = envelope.sender ?? ""
        let now = rateLimit.clock()
        let logCount = state.withLock { s -> Int?? in
            guard s.buckets?.admit(sender, now: now) == false else { return .none }
            return .some(s.throttled.note(now: now))
        }
        guard let logCount else { return nil }
        if let count = logCount {
            logger.warning("requests refused: sender over the rate limit",
                           metadata: ["sender": "\(sender)", "refused": "\(count)", "rate": "\(rateLimit.rate)/s", "burst": "\(rateLimit.burst)"])
        }
        return failure(BusError(.tooManyRequests, "\(sender) is over \(self.sender)'s limit of \(rateLimit.rate) requests/s (burst \(rateLimit.burst)); retry later"), to: envelope)
    }

    /// Counts a request dropped for not opening with the bus key; logs at a limited rate.
    private func noteUnauthenticated(sealed: Bool) {
        let count = state.withLock { $0.unauthenticated.note(now: MonotonicTime.now()) }
        guard let count else { return }
        logger.warning("requests dropped: they did not open with the bus key",
                       metadata: ["dropped": "\(count)",
                                  "why": "\(sealed ? "sealed with another key, or altered" : "not sealed: a client without SKIFF_BUS_KEY_FILE?")"])
    }

    /// The reply envelope's bytes for `envelope`: the handler's reply or a Failure.
    private func respond(to envelope: Envelope) async -> [UInt8] {
        let type = envelope.type ?? ""
        if let sent = envelope.sentAtUnixNano, let timeout = envelope.timeoutMillis, timeout > 0,
           WallTime.unixNanoseconds() > sent &+ timeout &* 1_000_000 {
            return failure(BusError(.expired, "\(type) request \(envelope.requestId ?? "") expired before it was handled"), to: envelope)
        }
        if let requiredToken, type != Ping.protoName, !requiredToken.matches(envelope.token) {
            let what = envelope.token == nil ? "carries no token" : "carries a token that is not the one required"
            return failure(BusError(.unauthenticated, "\(sender) refuses \(type): the request \(what)"), to: envelope)
        }
        var context = RequestContext(requestId: envelope.requestId ?? "", sender: envelope.sender ?? "",
                                     traceId: envelope.traceId, token: envelope.token, deadline: nil, logger: logger)
        context.logger[metadataKey: "requestId"] = "\(context.requestId)"
        if let timeout = envelope.timeoutMillis, timeout > 0 {
            context.deadline = ContinuousClock.now + .milliseconds(timeout)
        }
        let handler = state.withLock { $0.handlers[type] }
        let result: any WireMessage
        if let handler {
            do {
                result = try await handler.run(envelope.payload ?? [], context)
            } catch let error as PayloadError {
                return failure(BusError(.badRequest, error.message), to: envelope)
            } catch let error as BusError {
                return failure(error, to: envelope)
            } catch {
                context.logger.debug("handler failed", metadata: ["type": "\(type)", "error": "\(error)"])
                return failure(BusError(.handlerFailed, "\(type) handler failed: \(error)"), to: envelope)
            }
        } else if type == Ping.protoName {
            var pong = Pong()
            pong.component = component
            pong.pid = Int64(BusDefaults.pid)
            pong.startedAtUnixNano = startedAtUnixNano
            pong.handles = handledTypes
            result = pong
        } else {
            return failure(BusError(.noHandler, "\(sender) has no handler for '\(type)'; it handles \(handledTypes.joined(separator: ", "))"), to: envelope)
        }
        let payload: [UInt8]
        do {
            payload = try result.serializedBytes()
        } catch {
            return failure(BusError(.handlerFailed, "\(type) handler's reply \(Swift.type(of: result).protoName) does not encode: \(error)"), to: envelope)
        }
        let bytes = encode(reply(to: envelope, type: Swift.type(of: result).protoName, payload: payload))
        guard bytes.count <= maxMessageSize else {
            return failure(BusError(.tooLarge, "reply \(Swift.type(of: result).protoName) is \(bytes.count) bytes, over the bus limit of \(maxMessageSize) bytes"), to: envelope)
        }
        return bytes
    }

    private func reply(to request: Envelope?, type: String, payload: [UInt8]) -> Envelope {
        var reply = Envelope()
        reply.type = type
        reply.requestId = request?.requestId
        reply.traceId = request?.traceId
        reply.sender = sender
        reply.payload = payload
        reply.sentAtUnixNano = WallTime.unixNanoseconds()
        return reply
    }

    private func failure(_ error: BusError, to request: Envelope?) -> [UInt8] {
        // A Failure of plain strings always encodes, unless the message holds a NUL.
        let payload = (try? error.failure.serializedBytes())
            ?? (try? BusError(error.code, "(unencodable message)").failure.serializedBytes()) ?? []
        return encode(reply(to: request, type: Failure.protoName, payload: payload))
    }

    /// The reply's bytes on the wire: encoded, and sealed when the server has a key.
    private func encode(_ envelope: Envelope) -> [UInt8] {
        let bytes: [UInt8]
        if let encoded = try? envelope.serializedBytes() {
            bytes = encoded
        } else {
            var stripped = envelope
            stripped.requestId = envelope.requestId.map { String($0.unicodeScalars.filter { $0 != "\0" }) }
            stripped.traceId = nil
            bytes = (try? stripped.serializedBytes()) ?? []
        }
        return seal?.seal(bytes, for: .reply) ?? bytes
    }

    private func send(_ reply: [UInt8], to routes: [[UInt8]]) {
        for route in routes {
            do {
                let sent = try reply.withUnsafeBytes { bytes throws(BusError) in try socket.send(bytes, route: route) }
                if !sent { logger.debug("reply dropped: peer cannot take it now") }
            } catch {
                logger.debug("reply not sent", metadata: ["error": "\(error)"])
            }
        }
    }
}

extension RequestServer: ReactorSource {
    /// Most requests taken per drain, so one busy server cannot starve other sockets.
    private static let maxBatch = 256

    func reactorDrain(tag: Int) {
        for _ in 0..<Self.maxBatch {
            guard let message = socket.receiveRouted() else { return }
            let request = Array(message.chunk.bytes)
            let route = message.route
            // The task registers itself under the lock it also removes itself under, so even a
            // handler that finishes at once cannot leave a stale entry behind.
            state.withLock { s in
                guard !s.closed else { return }
                let id = s.nextTask
                s.nextTask += 1
                s.tasks[id] = Task(executorPreference: handlerExecutor) {
                    await self.serve(request, route: route)
                    _ = self.state.withLock { $0.tasks.removeValue(forKey: id) }
                }
            }
        }
    }
}
