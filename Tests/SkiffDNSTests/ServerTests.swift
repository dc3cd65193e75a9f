/// The servers in-process on loopback: TCP framing with several queries per connection, a
/// half-closed client still answered, idle connections closed; UDP batches; the forwarder's
/// SERVFAIL when the upstream stays silent.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import SkiffDNS
import SkiffTestSupport
import Testing

@Suite(.serialized) struct ServerTests {
    let answers = PublishedAnswers(Fixture.table())

    @Test func tcpAnswersSeveralQueriesPerConnectionInOrder() throws {
        let server = try TCPServer(address: SocketAddress("127.0.0.1:0")!, answers: answers, options: AnswerOptions(),
                                   forwarder: nil)
        server.start()
        defer { server.stop() }
        let connection = try LoopbackStream(port: server.address.port)
        defer { connection.close() }
        // Two queries in one write, then a third split across writes.
        let first = Fixture.query("web.default.svc.cluster.local", .a, id: 1)
        let second = Fixture.query("missing.default.svc.cluster.local", .a, id: 2)
        let third = Fixture.query("db.default.svc.cluster.local", .a, id: 3)
        try connection.write(framed(first) + framed(second))
        let thirdFrame = framed(third)
        try connection.write(Array(thirdFrame.prefix(5)))
        try connection.write(Array(thirdFrame.dropFirst(5)))
        let responses = try (0..<3).map { _ in try DNSMessage(parsing: try connection.readFrame()) }
        #expect(responses.map(\.id) == [1, 2, 3])
        #expect(responses.map(\.responseCode) == [.noError, .nameError, .noError])
        #expect(responses[2].answers.count == 2)
    }

    @Test func tcpAnswersAClientThatShutItsSide() throws {
        let server = try TCPServer(address: SocketAddress("127.0.0.1:0")!, answers: answers, options: AnswerOptions(),
                                   forwarder: nil)
        server.start()
        defer { server.stop() }
        let connection = try LoopbackStream(port: server.address.port)
        defer { connection.close() }
        try connection.write(framed(Fixture.query("web.default.svc.cluster.local", .a, id: 9)))
        connection.shutdownWrite()
        #expect(try DNSMessage(parsing: try connection.readFrame()).id == 9)
        #expect(connection.readsEndOfStream())
    }

    @Test func tcpClosesIdleConnections() async throws {
        let server = try TCPServer(address: SocketAddress("127.0.0.1:0")!, answers: answers, options: AnswerOptions(),
                                   forwarder: nil, idleTimeout: .milliseconds(200))
        server.start()
        defer { server.stop() }
        let connection = try LoopbackStream(port: server.address.port)
        defer { connection.close() }
        try connection.write(framed(Fixture.query("web.default.svc.cluster.local", .a)))
        _ = try connection.readFrame()
        // The server closes it: the next read sees the end of the stream (bounded wait).
        #expect(connection.readsEndOfStream())
    }

    @Test func udpAnswersABurst() throws {
        let server = try UDPServer(address: SocketAddress("127.0.0.1:0")!, threads: 2, answers: answers,
                                   options: AnswerOptions(), forwarder: nil)
        server.start()
        defer { server.stop() }
        let socket = try LoopbackDatagram()
        defer { socket.close() }
        for id in 0..<200 {
            try socket.send(Fixture.query("web.default.svc.cluster.local", .a, id: UInt16(id)), port: server.address.port)
        }
        var ids = Set<UInt16>()
        while ids.count < 200, let reply = socket.receive() {
            let message = try DNSMessage(parsing: reply)
            #expect(message.answers.count == 1)
            ids.insert(message.id)
        }
        #expect(ids.count == 200)
    }

    @Test func forwarderAnswersSERVFAILWhenTheUpstreamIsSilent() async throws {
        // A bound socket that never answers stands in for a dead upstream.
        let silent = try LoopbackDatagram()
        defer { silent.close() }
        let forwarder = try Forwarder(upstream: SocketAddress(ip: IPAddress("127.0.0.1")!, port: silent.port),
                                      timeout: .milliseconds(200))
        forwarder.start()
        defer { forwarder.stop() }
        let reply = Reply()
        forwarder.relay(Fixture.query("www.example.com", .a, id: 77), transport: .udp) { reply.set($0) }
        #expect(await eventually(timeout: .seconds(10)) { reply.value != nil })
        let message = try DNSMessage(parsing: try #require(reply.value))
        #expect(message.id == 77)
        #expect(message.responseCode == .serverFailure)
        #expect(message.questions.first?.name == "www.example.com")
        // The upstream did get the query, under another ID.
        let relayed = try #require(silent.receive())
        #expect(try DNSMessage(parsing: relayed).questions == message.questions)
    }

    func framed(_ message: [UInt8]) -> [UInt8] { [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message }
}

final class Reply: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8]?
    func set(_ value: [UInt8]) { lock.withLock { bytes = value } }
    var value: [UInt8]? { lock.withLock { bytes } }
}

/// A TCP client socket on 127.0.0.1 with 5 s timeouts.
struct LoopbackStream {
    let descriptor: Int32

    init(port: UInt16) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        setTimeouts(descriptor)
        let connected = SocketAddress(ip: IPAddress("127.0.0.1")!, port: port).withSockaddr { connect(descriptor, $0, $1) }
        guard connected == 0 else { throw SocketError("connect") }
    }

    func write(_ bytes: [UInt8]) throws {
        guard bytes.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            throw SocketError("send")
        }
    }

    func read(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let got = bytes.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress! + offset, count - offset, 0) }
            guard got > 0 else { throw SocketError("recv") }
            offset += got
        }
        return bytes
    }

    func readFrame() throws -> [UInt8] {
        let prefix = try read(2)
        return try read(Int(prefix[0]) << 8 | Int(prefix[1]))
    }

    /// Whether a read returns end-of-stream (rather than data or the 5 s timeout).
    func readsEndOfStream() -> Bool {
        var byte: UInt8 = 0
        return recv(descriptor, &byte, 1, 0) == 0
    }

    func shutdownWrite() { shutdown(descriptor, Int32(SHUT_WR)) }
    func close() { Glibc.close(descriptor) }
}

/// A UDP socket bound to 127.0.0.1 (port chosen by the kernel) with a 5 s receive timeout.
struct LoopbackDatagram {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        descriptor = try Sockets.bound(SocketAddress("127.0.0.1:0")!, type: Int32(SOCK_DGRAM.rawValue), reusePort: false)
        setTimeouts(descriptor)
        port = SocketAddress.bound(to: descriptor)!.port
    }

    func send(_ bytes: [UInt8], port: UInt16) throws {
        let sent = SocketAddress(ip: IPAddress("127.0.0.1")!, port: port).withSockaddr { address, length in
            bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, 0, address, length) }
        }
        guard sent == bytes.count else { throw SocketError("sendto") }
    }

    func receive() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? Array(buffer.prefix(count)) : nil
    }

    func close() { Glibc.close(descriptor) }
}

private func setTimeouts(_ descriptor: Int32) {
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
}
