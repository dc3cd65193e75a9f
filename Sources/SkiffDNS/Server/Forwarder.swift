/// Forwarder: relays queries for names outside the served zones to one upstream server (the
/// --forward address) and hands each answer back to whoever asked. Queries go upstream over UDP
/// under an ID of the forwarder's choosing; the answer must echo that ID and the question, and
/// gets the client's ID back. An answer truncated upstream is fetched again over TCP when the
/// client asked over TCP. No answer within the timeout: the client gets SERVFAIL.
///
/// Concurrency: `relay` from any thread; one thread of its own receives answers and expires
/// queries; a TCP retry runs on a short-lived thread. Replies are called on those threads and
/// must not block. Must never: send anywhere but the configured upstream, or hand a client an
/// answer to another client's question.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

public final class Forwarder: Sendable {
    public typealias Reply = @Sendable ([UInt8]) -> Void

    private struct Pending {
        var clientID: UInt16
        var question: [UInt8]
        var query: [UInt8]
        var transport: Transport
        var deadline: ContinuousClock.Instant
        var reply: Reply
    }

    private struct State {
        var pending: [UInt16: Pending] = [:]
        var random = SystemRandomNumberGenerator()
        var stopped = false
    }

    public let upstream: SocketAddress
    private let timeout: Duration
    private let descriptor: Int32
    private let wake: WakePipe
    private let state = Mutex(State())
    private let done = DispatchSemaphore(value: 0)
    static let maxPending = 4096

    public init(upstream: SocketAddress, timeout: Duration = .seconds(2)) throws {
        self.upstream = upstream
        self.timeout = timeout
        let descriptor = Glibc.socket(upstream.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SocketError("socket") }
        guard upstream.withSockaddr({ connect(descriptor, $0, $1) }) == 0 else {
            let error = SocketError("connect \(upstream)")
            close(descriptor)
            throw error
        }
        Sockets.setNonBlocking(descriptor)
        self.descriptor = descriptor
        wake = try WakePipe()
    }

    public func start() {
        let thread = Thread { [self] in
            receiveLoop()
            done.signal()
        }
        thread.name = "skiff-dns-forward"
        thread.start()
    }

    /// Answers every pending query with SERVFAIL, stops the thread, closes the socket.
    public func stop() {
        let pending = state.withLock { state in
            state.stopped = true
            defer { state.pending = [:] }
            return Array(state.pending.values)
        }
        for query in pending { query.reply(Self.failure(query.query)) }
        wake.wake()
        done.wait()
        close(descriptor)
    }

    /// Sends `query` upstream; `reply` gets the answer, or SERVFAIL.
    public func relay(_ query: [UInt8], transport: Transport, reply: @escaping Reply) {
        guard query.count >= DNSLimits.headerLength, let question = Self.question(of: query) else { return }
        let clientID = UInt16(query[0]) << 8 | UInt16(query[1])
        let id: UInt16? = state.withLock { state in
            guard !state.stopped, state.pending.count < Self.maxPending else { return nil }
            var id = UInt16.random(in: 0...UInt16.max, using: &state.random)
            while state.pending[id] != nil { id = UInt16.random(in: 0...UInt16.max, using: &state.random) }
            state.pending[id] = Pending(clientID: clientID, question: question, query: query, transport: transport,
                                        deadline: .now + timeout, reply: reply)
            return id
        }
        guard let id else { return reply(Self.failure(query)) }
        var outgoing = query
        outgoing[0] = UInt8(id >> 8)
        outgoing[1] = UInt8(id & 0xFF)
        let sent = outgoing.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        if sent < 0, let pending = state.withLock({ $0.pending.removeValue(forKey: id) }) {
            pending.reply(Self.failure(pending.query))
        }
    }

    /// For `answered`, a CNAME to a name outside the zones: asks upstream for the target (same
    /// type) and replies with the CNAME followed by what upstream said (CNAMEChase.merge).
    public func chase(_ query: [UInt8], answered: [UInt8], transport: Transport, options: AnswerOptions,
                      reply: @escaping Reply) {
        guard let targetQuery = CNAMEChase.targetQuery(clientQuery: query, answered: answered) else { return reply(answered) }
        relay(targetQuery, transport: transport) { upstream in
            reply(CNAMEChase.merge(clientQuery: query, answered: answered, upstream: upstream, transport: transport,
                                   options: options))
        }
    }

    private func receiveLoop() {
        var buffer = [UInt8](repeating: 0, count: DNSLimits.maxMessageLength)
        while true {
            var fds = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.readEnd, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 2, 100)
            if state.withLock({ $0.stopped }) { return }
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                if count < 0 { break }
                deliver(Array(buffer.prefix(count)))
            }
            expire()
        }
    }

    private func deliver(_ answer: [UInt8]) {
        guard answer.count >= DNSLimits.headerLength, answer[2] & 0x80 != 0 else { return }
        let id = UInt16(answer[0]) << 8 | UInt16(answer[1])
        let pending: Pending? = state.withLock { state in
            guard let pending = state.pending[id], Self.question(of: answer).map({ Self.sameQuestion($0, pending.question) }) == true
            else { return nil }
            return state.pending.removeValue(forKey: id)
        }
        guard let pending else { return }
        var response = answer
        response[0] = UInt8(pending.clientID >> 8)
        response[1] = UInt8(pending.clientID & 0xFF)
        let truncated = answer[2] & 0x02 != 0
        if truncated && pending.transport == .tcp {
            let upstream = self.upstream
            let partial = response
            let thread = Thread {
                let full = Self.exchangeOverTCP(pending.query, upstream: upstream)
                pending.reply(full ?? partial)
            }
            thread.start()
            return
        }
        pending.reply(response)
    }

    private func expire() {
        let now = ContinuousClock.now
        let expired: [Pending] = state.withLock { state in
            let ids = state.pending.filter { $0.value.deadline <= now }.map(\.key)
            return ids.compactMap { state.pending.removeValue(forKey: $0) }
        }
        for query in expired { query.reply(Self.failure(query.query)) }
    }

    // MARK: pieces

    /// The question section's bytes (name through class), or nil.
    static func question(of message: [UInt8]) -> [UInt8]? {
        guard message.count > DNSLimits.headerLength, message[4] == 0, message[5] == 1 else { return nil }
        var index = DNSLimits.headerLength
        while index < message.count {
            let length = Int(message[index])
            if length == 0 { break }
            guard length & 0xC0 == 0 else { return nil }
            index += 1 + length
        }
        guard index + 5 <= message.count else { return nil }
        return Array(message[DNSLimits.headerLength..<(index + 5)])
    }

    static func sameQuestion(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        asciiCaseInsensitiveEqual(lhs[...], rhs[...])
    }

    /// SERVFAIL for `query`: its ID, RD and question.
    static func failure(_ query: [UInt8]) -> [UInt8] {
        guard query.count >= DNSLimits.headerLength else { return [] }
        let question = Self.question(of: query) ?? []
        var response = Array(query.prefix(2))
        response.append(0x80 | (query[2] & 0x79))
        response.append(0x80 | UInt8(ResponseCode.serverFailure.rawValue))
        response += [0, question.isEmpty ? 0 : 1, 0, 0, 0, 0, 0, 0]
        return response + question
    }

    /// One query over TCP to the upstream, blocking with a short timeout.
    static func exchangeOverTCP(_ query: [UInt8], upstream: SocketAddress) -> [UInt8]? {
        let descriptor = Glibc.socket(upstream.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var limit = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        guard upstream.withSockaddr({ connect(descriptor, $0, $1) }) == 0 else { return nil }
        let framed = [UInt8(query.count >> 8), UInt8(query.count & 0xFF)] + query
        guard framed.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == framed.count else { return nil }
        func readExactly(_ count: Int) -> [UInt8]? {
            var bytes = [UInt8](repeating: 0, count: count)
            var offset = 0
            while offset < count {
                let got = bytes.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress! + offset, count - offset, 0) }
                if got <= 0 { return nil }
                offset += got
            }
            return bytes
        }
        guard let prefix = readExactly(2) else { return nil }
        return readExactly(Int(prefix[0]) << 8 | Int(prefix[1]))
    }
}
