/// RequestClient: typed request/reply calls to a request server. A call sends an Envelope
/// carrying a fresh request id and its deadline, and waits for the reply or the deadline,
/// whichever comes first; a `Failure` reply is thrown as a `BusError` with the server's code.
///
/// Sockets: a small pool of cooked NN_REQ sockets, one call in flight per socket, grown on
/// demand up to `maxSockets`; calls beyond that wait, in order, for a socket. Cooked REQ
/// gives what a raw socket would make us rebuild: a request made while no server is up waits
/// and goes out when one appears, one in flight on a connection that dies is resent at once
/// (to the restarted server), and stale replies are filtered by nanomsg's request id. Its
/// resend timer is set to an hour and call timeouts are kept below it, so it never fires.
/// Servers deduplicate by request id in any case.
///
/// A socket whose call timed out or was cancelled is never given a new request until the
/// late reply has drained it: nanomsg 1.1.5's REQ frees a reply that does not match the
/// current request without forgetting it, and frees it again later (a crash at nn_close, or
/// a use-after-free if a valid reply is waiting). Such a socket waits for its late reply; if
/// the pool is full of them, the oldest is closed and replaced.
///
/// With a bus key (`Options.key`, by default SKIFF_BUS_KEY_FILE) requests go out sealed and a
/// reply must open with the key (`EnvelopeSeal`); one that does not is dropped and the call
/// fails with `.unauthenticated`. A keyed server drops a request it cannot open without an
/// answer, so a client without the key just times out (the server logs why).
///
/// Concurrency: any number of tasks may call concurrently. Sends happen on the caller's
/// thread with NN_DONTWAIT; replies and deadlines are handled by the reactor thread, which
/// resumes the caller's continuation directly (one thread hop per reply, no timer task per
/// call; none for a caller running under `withTaskExecutorPreference(reactor)`). `close()`
/// must be called: the reactor holds an open client. Must never: block a thread, resume a continuation twice, or hand a reply to a call
/// other than the one it answers (a socket's slot and its nn_send/nn_recv share one lock).
import CNanomsg
import Logging
import SkiffWire
import Synchronization

public final class RequestClient: Sendable {
    public struct Options: Sendable {
        /// Name in the Envelope's `sender`; default "<component>-<pid>".
        public var sender: String?
        /// Bearer token put in every request.
        public var token: String?
        /// Largest request this client sends and reply it accepts (NN_RCVMAXSIZE).
        public var maxMessageSize: Int
        /// Most REQ sockets (so most calls in flight at once); more calls wait for a socket.
        public var maxSockets: Int
        /// NN_REQ_RESEND_IVL. Call timeouts are capped just below it.
        public var resendInterval: Duration
        public var reactor: BusReactor
        /// The bus key requests are sealed with and replies must open with.
        public var key: BusKey.Setting

        public init(sender: String? = nil, token: String? = nil, maxMessageSize: Int = BusDefaults.maxMessageSize,
                    maxSockets: Int = 16, resendInterval: Duration = BusDefaults.requestResendInterval,
                    reactor: BusReactor = .shared, key: BusKey.Setting = .fromEnvironment) {
            self.key = key
            self.sender = sender
            self.token = token
            self.maxMessageSize = maxMessageSize
            self.maxSockets = maxSockets
            self.resendInterval = resendInterval
            self.reactor = reactor
        }
    }

    public let sender: String
    public let endpoints: [BusEndpoint]
    public let maxMessageSize: Int

    private typealias Continuation = UnsafeContinuation<[UInt8], any Error>

    private struct Slot {
        let socket: NanomsgSocket
        let registration: BusReactor.Registration
        /// The call whose request this socket carries.
        var call: UInt64?
        /// The socket carries a request nobody waits for any more; it takes no new request
        /// until the late reply has been drained (see the type's comment).
        var abandonedSince: UInt64?
    }

    private struct Call {
        let continuation: Continuation
        let deadline: UInt64
        let timeout: Duration
        /// The socket carrying it; nil while waiting for one.
        var slot: Int?
        /// The request, kept while waiting for a socket.
        var request: [UInt8]
    }

    private struct State {
        /// Open sockets by slot id (the reactor tag).
        var slots: [Int: Slot] = [:]
        var nextSlot = 0
        var idle: [Int] = []
        var calls: [UInt64: Call] = [:]
        /// Calls waiting for a socket, oldest first.
        var waiting: [UInt64] = []
        /// Abandoned sockets being unregistered and closed.
        var retiring: [Int: Task<Void, Never>] = [:]
        var closed = false
    }

    private typealias Resumption = (Continuation, Result<[UInt8], any Error>)

    private let state = Mutex(State())
    private let nextCall = Atomic<UInt64>(0)
    /// Prefix making request ids unique across clients sharing a sender name.
    private let idPrefix = Epoch.random()
    private let options: Options
    private let reactor: BusReactor
    private let logger: Logger
    private let seal: EnvelopeSeal?

    /// Creates a client for the servers at `endpoints` (load-balanced by nanomsg). Connecting
    /// does not wait for a server: calls made before one is up go out when it appears.
    public init(connectingTo endpoints: [BusEndpoint], component: String = "client", options: Options = Options(),
                logger: Logger = BusLogging.disabled) throws(BusError) {
        guard !endpoints.isEmpty else { throw BusError(.invalidEndpoint, "a request client needs at least one endpoint") }
        if let wildcard = endpoints.first(where: \.isWildcard) {
            throw BusError(.invalidEndpoint, "cannot connect to wildcard address \(wildcard)")
        }
        self.endpoints = endpoints
        self.sender = options.sender ?? BusDefaults.sender(component: component)
        self.maxMessageSize = options.maxMessageSize
        var options = options
        options.maxSockets = max(1, options.maxSockets)
        self.options = options
        self.reactor = options.reactor
        self.logger = logger
        self.seal = try options.key.seal()
        // One socket up front, so the connection is ready by the first call.
        try state.withLock { s throws(BusError) in s.idle.append(try addSlot(&s)) }
    }

    public convenience init(connectingTo url: String, component: String = "client", options: Options = Options(),
                            logger: Logger = BusLogging.disabled) throws(BusError) {
        try self.init(connectingTo: [BusEndpoint(url)], component: component, options: options, logger: logger)
    }

    // MARK: calls

    /// Sends `request` and returns the reply decoded as `P`.
    /// Throws `BusError`: `.timeout` when no reply came within `timeout` (or the server found
    /// the request expired); the server's code (`.noHandler`, `.badRequest`, `.handlerFailed`,
    /// `.tooLarge`, or any code a handler threw) for a Failure
    /// reply; `.tooLarge` if the request exceeds `maxMessageSize` (nothing is sent);
    /// `.unexpectedReply`/`.malformed` for a reply of another type or one that does not decode;
    /// `.closed`. Throws CancellationError if the task is cancelled while waiting.
    public func call<R: WireMessage, P: WireMessage>(_ request: R, replyType: P.Type = P.self, timeout: Duration,
                                                    traceId: String? = nil) async throws -> P {
        let payload: [UInt8]
        do {
            payload = try request.serializedBytes()
        } catch {
            throw BusError(.malformed, "cannot encode \(R.protoName): \(error)")
        }
        var envelope = Envelope()
        envelope.type = R.protoName
        envelope.payload = payload
        envelope.traceId = traceId
        let reply = try await call(envelope: envelope, timeout: timeout)
        if reply.type == Failure.protoName {
            let failure = BusError(try Self.decode(Failure.self, from: reply))
            // The server saw the deadline pass first: to the caller that is the same timeout.
            if failure.code == .expired { throw BusError(.timeout, "no reply within \(timeout): \(failure.message)") }
            throw failure
        }
        guard reply.type == P.protoName else {
            throw BusError(.unexpectedReply, "\(R.protoName) was answered with \(reply.type ?? "an untyped reply"), expected \(P.protoName)")
        }
        return try Self.decode(P.self, from: reply)
    }

    /// Sends `envelope` as is, filling in what it lacks (request id, sender, token, send time,
    /// timeout), and returns the reply envelope. A `Failure` reply is returned, not thrown
    /// (tools show it); see `call(_:replyType:timeout:)` for the other errors.
    public func call(envelope: Envelope, timeout: Duration) async throws -> Envelope {
        let timeout = min(timeout, options.resendInterval - .seconds(1))
        var envelope = envelope
        if envelope.requestId == nil || envelope.requestId == "" {
            envelope.requestId = "\(idPrefix)-\(nextCall.add(1, ordering: .relaxed).newValue)"
        }
        if envelope.sender == nil { envelope.sender = sender }
        if envelope.token == nil { envelope.token = options.token }
        envelope.sentAtUnixNano = WallTime.unixNanoseconds()
        envelope.timeoutMillis = Int64(timeout.clampedMilliseconds)
        var request: [UInt8]
        do {
            request = try envelope.serializedBytes()
        } catch {
            throw BusError(.malformed, "cannot encode request envelope: \(error)")
        }
        if let seal { request = seal.seal(request, for: .request) }
        guard request.count <= maxMessageSize else {
            throw BusError(.tooLarge, "request \(envelope.type ?? "") is \(request.count) bytes, over the bus limit of \(maxMessageSize) bytes")
        }
        var bytes = try await exchange(request, timeout: timeout)
        if let seal {
            guard let opened = bytes.withUnsafeBytes({ seal.open($0, for: .reply) }) else {
                let why = bytes.withUnsafeBytes { EnvelopeSeal.looksSealed($0) }
                    ? "it is sealed with another key, or was altered" : "it is not sealed: the server has no bus key"
                throw BusError(.unauthenticated, "reply to \(envelope.type ?? "request") from \(endpoints.map(\.url).joined(separator: ", ")) dropped: \(why)")
            }
            bytes = opened
        } else if bytes.withUnsafeBytes({ EnvelopeSeal.looksSealed($0) }) {
            throw BusError(.unauthenticated, "reply to \(envelope.type ?? "request") is sealed with a bus key and this client has none (set \(BusKey.environmentVariable))")
        }
        let reply: Envelope
        do {
            reply = try Envelope(serializedBytes: bytes)
        } catch {
            throw BusError(.malformed, "reply to \(envelope.type ?? "request") is not an envelope: \(error)")
        }
        guard reply.requestId == envelope.requestId else {
            throw BusError(.unexpectedReply, "reply carries request id \(reply.requestId ?? "none"), expected \(envelope.requestId ?? "")")
        }
        return reply
    }

    /// Fails every waiting call with `.closed`, unregisters and closes the sockets. Idempotent.
    public func close() async {
        let (resumptions, slots, retiring) = state.withLock { s -> ([Resumption], [Slot], [Task<Void, Never>]) in
            guard !s.closed else { return ([], [], Array(s.retiring.values)) }
            s.closed = true
            let error = BusError(.closed, "request client closed")
            let resumptions = s.calls.values.map { ($0.continuation, Result<[UInt8], any Error>.failure(error)) }
            s.calls = [:]
            s.waiting = []
            s.idle = []
            let slots = Array(s.slots.values)
            s.slots = [:]
            return (resumptions, slots, Array(s.retiring.values))
        }
        Self.resume(resumptions)
        for slot in slots {
            await reactor.unregister(slot.registration)
            slot.socket.close()
        }
        for task in retiring { await task.value }
    }

    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Sockets currently open (retiring ones excluded).
    public var socketCount: Int { state.withLock { $0.slots.count } }

    /// Sockets waiting for the late reply to a call that timed out or was cancelled (tests).
    var abandonedSocketCountForTesting: Int { state.withLock { s in s.slots.values.count { $0.abandonedSince != nil } } }

    /// Sends raw bytes and returns the raw reply (tests send what no envelope encodes to).
    func exchangeForTesting(_ request: [UInt8], timeout: Duration) async throws -> [UInt8] {
        try await exchange(request, timeout: timeout)
    }

    // MARK: the exchange

    private func exchange(_ request: [UInt8], timeout: Duration) async throws -> [UInt8] {
        let id = nextCall.add(1, ordering: .relaxed).newValue
        let deadline = MonotonicTime.deadline(after: timeout)
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: Continuation) in
                start(Call(continuation: continuation, deadline: deadline, timeout: timeout, slot: nil, request: request), id: id)
            }
        } onCancel: {
            abandon(id, with: CancellationError())
        }
    }

    private func start(_ call: Call, id: UInt64) {
        let failure = state.withLock { s -> (any Error)? in
            if s.closed { return BusError(.closed, "request client closed") }
            // Checked under the lock: a cancellation after this point finds the call registered.
            if Task.isCancelled { return CancellationError() }
            s.calls[id] = call
            guard let slot = takeSocket(&s) else {
                s.waiting.append(id)
                return nil
            }
            if let error = send(id, on: slot, &s) {
                s.calls[id] = nil
                s.idle.append(slot)
                return error
            }
            return nil
        }
        if let failure {
            call.continuation.resume(throwing: failure)
            return
        }
        reactor.noteDeadline(call.deadline)
    }

    /// An idle socket, or a new one while the pool has room (replacing the longest-abandoned
    /// socket when the pool is full of them); nil if every socket is busy.
    private func takeSocket(_ s: inout State) -> Int? {
        if let slot = s.idle.popLast() { return slot }
        if s.slots.count >= options.maxSockets {
            let abandoned = s.slots.filter { $0.value.abandonedSince != nil }
            guard let oldest = abandoned.min(by: { $0.value.abandonedSince! < $1.value.abandonedSince! }) else { return nil }
            retire(oldest.key, &s)
        }
        do {
            return try addSlot(&s)
        } catch {
            logger.warning("cannot open another REQ socket", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Puts call `id` on socket `slot` and sends its request; on error the call is off the
    /// socket again (the caller fails it) and the socket is unchanged.
    private func send(_ id: UInt64, on slot: Int, _ s: inout State) -> BusError? {
        let request = s.calls[id]!.request
        let socket = s.slots[slot]!.socket
        // A cooked REQ never reports EAGAIN: with no peer it holds the request until one appears.
        let result = request.withUnsafeBytes { bytes -> Result<Bool, BusError> in
            do throws(BusError) { return .success(try socket.send(bytes)) } catch { return .failure(error) }
        }
        switch result {
        case .success(true):
            s.calls[id]!.slot = slot
            s.calls[id]!.request = []
            s.slots[slot]!.call = id
            return nil
        case .success(false):
            return BusError(.transport, "REQ socket refused the request")
        case .failure(let error):
            return error
        }
    }

    /// Fails call `id` (if still pending) with `error`. A socket it was on is abandoned.
    private func abandon(_ id: UInt64, with error: any Error) {
        let resumptions = state.withLock { s -> [Resumption] in
            guard let call = s.calls.removeValue(forKey: id) else { return [] }
            abandon(call, id: id, now: MonotonicTime.now(), &s)
            return [(call.continuation, .failure(error))]
        }
        Self.resume(resumptions)
    }

    private func abandon(_ call: Call, id: UInt64, now: UInt64, _ s: inout State) {
        if let slot = call.slot {
            s.slots[slot]?.call = nil
            s.slots[slot]?.abandonedSince = now
        } else if let index = s.waiting.firstIndex(of: id) {
            s.waiting.remove(at: index)
        }
    }

    /// A socket is free (its reply drained): give it to the oldest waiting call, or park it.
    private func release(_ slot: Int, _ s: inout State, into resumptions: inout [Resumption]) {
        while !s.waiting.isEmpty {
            let next = s.waiting.removeFirst()
            guard s.calls[next] != nil else { continue }
            guard let error = send(next, on: slot, &s) else { return }
            let call = s.calls.removeValue(forKey: next)!
            resumptions.append((call.continuation, .failure(error)))
        }
        s.idle.append(slot)
    }

    /// Closes an abandoned socket in the background (unregister first, then close).
    private func retire(_ slot: Int, _ s: inout State) {
        guard let retired = s.slots.removeValue(forKey: slot) else { return }
        let reactor = reactor
        s.retiring[slot] = Task { [weak self] in
            await reactor.unregister(retired.registration)
            retired.socket.close()
            _ = self?.state.withLock { $0.retiring.removeValue(forKey: slot) }
        }
    }

    private func addSlot(_ s: inout State) throws(BusError) -> Int {
        let socket = try NanomsgSocket(protocol: skiff_nn_REQ, kind: "REQ")
        do {
            try socket.setOption(level: skiff_nn_SOL_SOCKET, skiff_nn_RCVMAXSIZE, Int32(clamping: options.maxMessageSize), name: "NN_RCVMAXSIZE")
            try socket.setOption(level: skiff_nn_REQ, skiff_nn_REQ_RESEND_IVL, options.resendInterval.clampedMilliseconds, name: "NN_REQ_RESEND_IVL")
            if endpoints.contains(where: { $0.transport == .tcp }) {
                try socket.setOption(level: skiff_nn_TCP, skiff_nn_TCP_NODELAY, 1, name: "NN_TCP_NODELAY")
            }
            for endpoint in endpoints { try socket.connect(endpoint) }
            let id = s.nextSlot
            s.nextSlot += 1
            let registration = try reactor.register(fd: socket.receiveDescriptor(), source: self, tag: id)
            s.slots[id] = Slot(socket: socket, registration: registration)
            return id
        } catch {
            socket.close()
            throw error
        }
    }

    private static func resume(_ resumptions: [Resumption]) {
        for (continuation, result) in resumptions { continuation.resume(with: result) }
    }

    private static func decode<M: WireMessage>(_ type: M.Type, from reply: Envelope) throws(BusError) -> M {
        do {
            return try M(serializedBytes: reply.payload ?? [])
        } catch {
            throw BusError(.malformed, "reply payload \(M.protoName) does not decode: \(error)")
        }
    }
}

extension RequestClient: ReactorSource {
    func reactorDrain(tag slot: Int) {
        let resumptions = state.withLock { s -> [Resumption] in
            guard let socket = s.slots[slot]?.socket, !s.closed else { return [] }
            // One reply at most: a REQ socket with nothing outstanding reports EFSM (nil).
            guard let chunk = socket.receive() else { return [] }
            var resumptions: [Resumption] = []
            if let id = s.slots[slot]!.call, let call = s.calls.removeValue(forKey: id) {
                resumptions.append((call.continuation, .success(Array(chunk.bytes))))
            }
            // Either way the socket's request is answered: it is clean and free again.
            s.slots[slot]!.call = nil
            s.slots[slot]!.abandonedSince = nil
            release(slot, &s, into: &resumptions)
            return resumptions
        }
        Self.resume(resumptions)
    }

    func reactorExpire(now: UInt64) -> UInt64? {
        let (resumptions, next) = state.withLock { s -> ([Resumption], UInt64?) in
            var next: UInt64? = nil
            var expired: [UInt64] = []
            for (id, call) in s.calls {
                if call.deadline <= now {
                    expired.append(id)
                } else {
                    next = min(next ?? .max, call.deadline)
                }
            }
            var resumptions: [Resumption] = []
            let targets = endpoints.map(\.url).joined(separator: ", ")
            for id in expired {
                guard let call = s.calls.removeValue(forKey: id) else { continue }
                abandon(call, id: id, now: now, &s)
                resumptions.append((call.continuation, .failure(BusError(.timeout, "no reply within \(call.timeout) from \(targets)"))))
            }
            return (resumptions, next)
        }
        Self.resume(resumptions)
        return next
    }
}
