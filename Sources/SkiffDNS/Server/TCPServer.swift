/// TCPServer: DNS over TCP (RFC 7766): each message prefixed by its 16-bit length, several
/// queries per connection answered in order of arrival, connections closed after an idle
/// timeout. One thread runs a poll() loop over the listener and every connection, all
/// non-blocking; forwarded queries come back through a queue and a wake pipe.
///
/// Concurrency: `start` once, `stop` once (from any thread; returns after the thread exited and
/// every connection closed). Must never: block on one client (a slow reader only delays its
/// own answers), or keep more than `maxConnections` open.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

public final class TCPServer: Sendable {
    public let address: SocketAddress
    private let listener: Int32
    private let answers: PublishedAnswers
    private let options: AnswerOptions
    private let forwarder: Forwarder?
    private let idleTimeout: Duration
    private let maxConnections: Int
    private let wake: WakePipe
    /// Forwarded answers waiting for the loop: (connection serial, framed bytes).
    private let completed = Mutex<[(UInt64, [UInt8])]>([])
    private let stopping = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)

    public init(address: SocketAddress, answers: PublishedAnswers, options: AnswerOptions, forwarder: Forwarder?,
                idleTimeout: Duration = .seconds(10), maxConnections: Int = 1024) throws {
        let listener = try Sockets.bound(address, type: Int32(SOCK_STREAM.rawValue), reusePort: false)
        guard listen(listener, 128) == 0 else {
            let error = SocketError("listen \(address)")
            close(listener)
            throw error
        }
        Sockets.setNonBlocking(listener)
        self.address = SocketAddress.bound(to: listener) ?? address
        self.listener = listener
        self.answers = answers
        self.options = options
        self.forwarder = forwarder
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        wake = try WakePipe()
    }

    public func start() {
        let thread = Thread { [self] in
            var loop = ConnectionLoop(server: self)
            loop.run()
            done.signal()
        }
        thread.name = "skiff-dns-tcp"
        thread.start()
    }

    public func stop() {
        stopping.store(true, ordering: .releasing)
        wake.wake()
        done.wait()
        close(listener)
    }

    /// The loop's state, touched by its thread only.
    private struct ConnectionLoop {
        struct Connection {
            var descriptor: Int32
            var serial: UInt64
            var inbox: [UInt8] = []
            var outbox: [UInt8] = []
            var lastActive: ContinuousClock.Instant
            var awaiting = 0
            /// The client shut its side: answer what it sent, then close.
            var peerClosed = false
        }

        let server: TCPServer
        var connections: [UInt64: Connection] = [:]
        var nextSerial: UInt64 = 1
        var scratch = [UInt8](repeating: 0, count: DNSLimits.maxMessageLength)
        var readBuffer = [UInt8](repeating: 0, count: 16_384)

        init(server: TCPServer) { self.server = server }

        mutating func run() {
            defer { for connection in connections.values { close(connection.descriptor) } }
            while !server.stopping.load(ordering: .acquiring) {
                let order = Array(connections.keys)
                var fds = [pollfd(fd: server.listener, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: server.wake.readEnd, events: Int16(POLLIN), revents: 0)]
                for serial in order {
                    let connection = connections[serial]!
                    let events = (connection.peerClosed ? 0 : Int16(POLLIN)) | (connection.outbox.isEmpty ? 0 : Int16(POLLOUT))
                    fds.append(pollfd(fd: connection.descriptor, events: events, revents: 0))
                }
                _ = poll(&fds, nfds_t(fds.count), 500)
                if fds[1].revents != 0 {
                    server.wake.drain()
                    takeCompleted()
                }
                if fds[0].revents != 0 { accept() }
                for (index, serial) in order.enumerated() {
                    let revents = fds[index + 2].revents
                    guard revents != 0, connections[serial] != nil else { continue }
                    if revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 { read(serial) }
                    if connections[serial] != nil && revents & Int16(POLLOUT) != 0 { flush(serial) }
                }
                closeIdle()
            }
        }

        mutating func accept() {
            while true {
                let descriptor = Glibc.accept(server.listener, nil, nil)
                guard descriptor >= 0 else { return }
                guard connections.count < server.maxConnections else {
                    close(descriptor)
                    continue
                }
                Sockets.setNonBlocking(descriptor)
                _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
                connections[nextSerial] = Connection(descriptor: descriptor, serial: nextSerial, lastActive: .now)
                nextSerial += 1
            }
        }

        mutating func read(_ serial: UInt64) {
            guard var connection = connections[serial] else { return }
            while true {
                let count = readBuffer.withUnsafeMutableBytes { Glibc.read(connection.descriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    connection.inbox += readBuffer[0..<count]
                    continue
                }
                if count < 0 && errno == EINTR { continue }
                if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { break }
                if count < 0 {
                    close(connection.descriptor)
                    connections[serial] = nil
                    return
                }
                connection.peerClosed = true
                break
            }
            connection.lastActive = .now
            // Every complete message in the inbox, in order.
            var consumed = 0
            while connection.inbox.count - consumed >= 2 {
                let length = Int(connection.inbox[consumed]) << 8 | Int(connection.inbox[consumed + 1])
                guard connection.inbox.count - consumed - 2 >= length else { break }
                let query = Array(connection.inbox[(consumed + 2)..<(consumed + 2 + length)])
                consumed += 2 + length
                answer(query, &connection)
            }
            connection.inbox.removeFirst(consumed)
            connections[serial] = connection
            flush(serial)
        }

        mutating func answer(_ query: [UInt8], _ connection: inout Connection) {
            let table = server.answers.current
            let options = server.options
            let outcome = query.withUnsafeBytes { input in
                scratch.withUnsafeMutableBytes { output in
                    QueryAnswerer.answer(input, table: table, options: options, transport: .tcp, into: output)
                }
            }
            switch outcome {
            case .respond(let length):
                connection.outbox += [UInt8(length >> 8), UInt8(length & 0xFF)]
                connection.outbox += scratch[0..<length]
            case .forward, .chase:
                guard let forwarder = server.forwarder else { return }
                connection.awaiting += 1
                let serial = connection.serial
                let server = self.server
                let reply: Forwarder.Reply = { response in
                    server.completed.withLock { $0.append((serial, response)) }
                    server.wake.wake()
                }
                if case .chase(let length) = outcome {
                    forwarder.chase(query, answered: Array(scratch[0..<length]), transport: .tcp, options: options, reply: reply)
                } else {
                    forwarder.relay(query, transport: .tcp, reply: reply)
                }
            case .drop:
                break
            }
        }

        mutating func takeCompleted() {
            let finished = server.completed.withLock { queue in
                defer { queue = [] }
                return queue
            }
            for (serial, response) in finished {
                guard var connection = connections[serial] else { continue }
                connection.awaiting -= 1
                if response.count <= DNSLimits.maxMessageLength {
                    connection.outbox += [UInt8(response.count >> 8), UInt8(response.count & 0xFF)] + response
                }
                connections[serial] = connection
                flush(serial)
            }
        }

        mutating func flush(_ serial: UInt64) {
            guard var connection = connections[serial] else { return }
            if connection.outbox.isEmpty {
                if connection.peerClosed && connection.awaiting == 0 {
                    close(connection.descriptor)
                    connections[serial] = nil
                }
                return
            }
            // MSG_NOSIGNAL: a client gone mid-answer must not SIGPIPE the server.
            let written = connection.outbox.withUnsafeBytes {
                send(connection.descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                connection.outbox.removeFirst(written)
                connection.lastActive = .now
            } else if written < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
                close(connection.descriptor)
                connections[serial] = nil
                return
            }
            connections[serial] = connection
            if connection.outbox.isEmpty && connection.peerClosed && connection.awaiting == 0 {
                close(connection.descriptor)
                connections[serial] = nil
            }
        }

        mutating func closeIdle() {
            let deadline = ContinuousClock.now - server.idleTimeout
            for (serial, connection) in connections
            where connection.lastActive < deadline && connection.awaiting == 0 && connection.outbox.isEmpty {
                close(connection.descriptor)
                connections[serial] = nil
            }
        }
    }
}
