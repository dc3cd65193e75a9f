/// EtcdPutLoad: the etcd side of the write benchmark: puts through etcd's v3 JSON gateway
/// (`POST /v3/kv/put`, key and value in base64) over HTTP/1.1 keep-alive connections, one per
/// concurrent client, each with one request in flight, all driven by the calling thread with
/// poll(2). A lean client on purpose: on a 2-core machine whatever the load generator burns is
/// taken from the server, so the baseline gets the cheapest client we can write.
///
/// Concurrency: one thread at a time (the benchmark calls `run` from a dedicated thread).
/// Must never: connect anywhere but 127.0.0.1, or count a put that etcd did not answer 200.
import Foundation
import SkiffBus
#if canImport(Glibc)
import Glibc
#endif

final class EtcdPutLoad: @unchecked Sendable {
    private var sockets: [Int32] = []
    private let port: UInt16
    private let encodedValue: String
    /// A put that has not been answered after this long fails the run.
    private let requestTimeoutNanoseconds: UInt64 = 30_000_000_000

    /// Opens `connections` connections to 127.0.0.1:`port`; every put will carry the same
    /// `valueSize` bytes (pseudo-random, so the size on disk is the size sent).
    init(port: UInt16, connections: Int, valueSize: Int) throws {
        self.port = port
        var generator = SplitMix64(seed: 0x5EED)
        let value = (0..<valueSize).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        encodedValue = Data(value).base64EncodedString()
        do {
            for _ in 0..<connections { sockets.append(try Self.connect(port: port)) }
        } catch {
            close()
            throw error
        }
    }

    func close() {
        for fd in sockets { Glibc.close(fd) }
        sockets = []
    }

    /// Puts keys `keyPrefix0`..`keyPrefix<count-1>`, connection i taking i, i+n, i+2n...;
    /// returns each put's latency in nanoseconds (send of the request to the end of the reply).
    func run(count: Int, keyPrefix: String, stop: StopFlag? = nil) throws -> [Int64] {
        var latencies = [Int64](repeating: 0, count: count)
        var slots = sockets.indices.map { Slot(fd: sockets[$0], next: $0) }
        var scratch = [UInt8](repeating: 0, count: 65_536)
        var active = 0
        for index in slots.indices where try begin(&slots[index], count: count, keyPrefix: keyPrefix) { active += 1 }
        var descriptors: [pollfd] = []
        var owners: [Int] = []
        while active > 0 {
            if let stop, stop.isRaised { throw BenchmarkError("interrupted") }
            descriptors.removeAll(keepingCapacity: true)
            owners.removeAll(keepingCapacity: true)
            let now = MonotonicTime.now()
            for (index, slot) in slots.enumerated() where !slot.finished {
                if now - slot.started > requestTimeoutNanoseconds {
                    throw BenchmarkError("etcd did not answer a put within 30 s")
                }
                let events = slot.sent < slot.request.count ? POLLOUT : POLLIN
                descriptors.append(pollfd(fd: slot.fd, events: Int16(events), revents: 0))
                owners.append(index)
            }
            let ready = poll(&descriptors, nfds_t(descriptors.count), 1000)
            if ready < 0 {
                if errno == EINTR { continue }
                throw BenchmarkError("poll: \(String(cString: strerror(errno)))")
            }
            for (position, descriptor) in descriptors.enumerated() where descriptor.revents != 0 {
                let index = owners[position]
                if slots[index].sent < slots[index].request.count {
                    try flush(&slots[index])
                    continue
                }
                let received = scratch.withUnsafeMutableBytes { recv(descriptor.fd, $0.baseAddress, $0.count, 0) }
                if received == 0 { throw BenchmarkError("etcd closed a keep-alive connection") }
                if received < 0 {
                    if errno == EAGAIN || errno == EINTR { continue }
                    throw BenchmarkError("recv: \(String(cString: strerror(errno)))")
                }
                slots[index].reply.append(contentsOf: scratch[0..<received])
                guard let reply = HTTPReply(parsing: slots[index].reply) else { continue }
                latencies[slots[index].operation] = Int64(MonotonicTime.now() - slots[index].started)
                guard reply.status == 200, reply.length == slots[index].reply.count else {
                    let text = String(decoding: slots[index].reply, as: UTF8.self)
                    throw BenchmarkError("etcd answered a put with: \(text.prefix(300))")
                }
                if try !begin(&slots[index], count: count, keyPrefix: keyPrefix) { active -= 1 }
            }
        }
        return latencies
    }

    private struct Slot {
        var fd: Int32
        var next: Int
        var operation = -1
        var request: [UInt8] = []
        var sent = 0
        var reply: [UInt8] = []
        var started: UInt64 = 0
        var finished = false
    }

    /// Sends the slot's next put; false when it has none left.
    private func begin(_ slot: inout Slot, count: Int, keyPrefix: String) throws -> Bool {
        guard slot.next < count else {
            slot.finished = true
            return false
        }
        slot.operation = slot.next
        slot.next += sockets.count
        let key = Data((keyPrefix + String(slot.operation)).utf8).base64EncodedString()
        let body = "{\"key\":\"\(key)\",\"value\":\"\(encodedValue)\"}"
        slot.request = Array(("POST /v3/kv/put HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
        slot.sent = 0
        slot.reply.removeAll(keepingCapacity: true)
        slot.started = MonotonicTime.now()
        try flush(&slot)
        return true
    }

    private func flush(_ slot: inout Slot) throws {
        while slot.sent < slot.request.count {
            let sent = slot.request.withUnsafeBytes {
                send(slot.fd, $0.baseAddress! + slot.sent, $0.count - slot.sent, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                slot.sent += sent
            } else if errno == EAGAIN || errno == EINTR {
                return
            } else {
                throw BenchmarkError("send: \(String(cString: strerror(errno)))")
            }
        }
    }

    private static func connect(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchmarkError("socket: \(String(cString: strerror(errno)))") }
        var address = LoopbackPort.address(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let message = String(cString: strerror(errno))
            Glibc.close(fd)
            throw BenchmarkError("connect 127.0.0.1:\(port): \(message)")
        }
        // Each request is one write; Nagle would only hold the next one back.
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fd
    }
}

/// The status and total length of one complete HTTP/1.1 reply at the start of a buffer, or nil
/// while it is incomplete. Knows Content-Length and chunked bodies (etcd's gateway sends the
/// former for these small replies).
struct HTTPReply: Equatable {
    var status: Int
    var length: Int

    init?(parsing bytes: [UInt8]) {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4,
              let end = (0...(bytes.count - 4)).first(where: { bytes[$0..<($0 + 4)].elementsEqual(separator) }) else {
            return nil
        }
        let head = String(decoding: bytes[0..<end], as: UTF8.self).lowercased()
        let lines = head.split(separator: "\r\n")
        guard let first = lines.first, first.hasPrefix("http/1."),
              let code = first.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            // Not HTTP: report it whole, as a failure.
            status = 0
            length = bytes.count
            return
        }
        status = code
        let bodyStart = end + 4
        if let field = lines.first(where: { $0.hasPrefix("content-length:") }),
           let size = Int(field.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) {
            guard bytes.count >= bodyStart + size else { return nil }
            length = bodyStart + size
        } else if lines.contains(where: { $0.hasPrefix("transfer-encoding:") && $0.hasSuffix("chunked") }) {
            let last: [UInt8] = Array("0\r\n\r\n".utf8)
            guard bytes.count >= bodyStart + last.count, bytes.suffix(last.count).elementsEqual(last) else { return nil }
            length = bytes.count
        } else {
            return nil
        }
    }
}

/// A tiny deterministic generator for benchmark payloads.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
