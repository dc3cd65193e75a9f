/// UDPServer: DNS over UDP on dedicated threads, one socket each (SO_REUSEPORT spreads clients
/// over them). A thread receives a batch of datagrams with one recvmmsg, answers each with
/// QueryAnswerer from the table current for that batch into buffers allocated once, and sends
/// the batch of responses with one sendmmsg. Queries for names outside the zones go to the
/// Forwarder when there is one.
///
/// Concurrency: `start` once, `stop` once (from any thread; it returns after every thread has
/// exited). The threads never run Swift tasks and never block the cooperative pool. Must
/// never: allocate per query on the answer path, or answer from a half-built table.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSkiffHost
import Foundation
import Synchronization

public final class UDPServer: Sendable {
    /// The address bound (with the port the kernel chose when asked for port 0).
    public let address: SocketAddress
    private let sockets: [Int32]
    private let answers: PublishedAnswers
    private let options: AnswerOptions
    private let forwarder: Forwarder?
    private let wake: WakePipe
    private let running = Mutex<[DispatchSemaphore]>([])

    /// Binds `threads` sockets to `address`; the threads start with `start()`.
    public init(address: SocketAddress, threads: Int, answers: PublishedAnswers, options: AnswerOptions,
                forwarder: Forwarder?) throws {
        var sockets: [Int32] = []
        var bound = address
        do {
            for _ in 0..<max(1, threads) {
                let socket = try Sockets.bound(bound, type: Int32(SOCK_DGRAM.rawValue), reusePort: threads > 1)
                sockets.append(socket)
                // Bind the next sockets to the port the first one got.
                if let actual = SocketAddress.bound(to: socket) { bound = actual }
            }
        } catch {
            for socket in sockets { close(socket) }
            throw error
        }
        for socket in sockets { Sockets.setBufferSizes(socket, bytes: 4 << 20) }
        self.address = bound
        self.sockets = sockets
        self.answers = answers
        self.options = options
        self.forwarder = forwarder
        wake = try WakePipe()
    }

    public func start() {
        for (index, socket) in sockets.enumerated() {
            let done = DispatchSemaphore(value: 0)
            running.withLock { $0.append(done) }
            let worker = UDPWorker(socket: socket, wake: wake.readEnd, answers: answers, options: options,
                                   forwarder: forwarder, slotSize: max(options.maxUDPSize, DNSLimits.classicUDPSize))
            let thread = Thread {
                worker.run()
                done.signal()
            }
            thread.name = "skiff-dns-udp-\(index)"
            thread.start()
        }
    }

    /// Stops the threads and closes the sockets.
    public func stop() {
        wake.wake()
        let threads = running.withLock { state in
            defer { state = [] }
            return state
        }
        for done in threads { done.wait() }
        for socket in sockets { close(socket) }
    }
}

/// One thread's socket and buffers. Owned by that thread alone (hence unchecked).
private final class UDPWorker: @unchecked Sendable {
    static let batch = 32

    let socket: Int32
    let wake: Int32
    let answers: PublishedAnswers
    let options: AnswerOptions
    let forwarder: Forwarder?
    let slotSize: Int
    let received: UnsafeMutableRawPointer
    let responses: UnsafeMutableRawPointer
    let peers: UnsafeMutablePointer<sockaddr_storage>
    let receiveVectors: UnsafeMutablePointer<iovec>
    let sendVectors: UnsafeMutablePointer<iovec>
    let receiveHeaders: UnsafeMutablePointer<skiff_datagram>
    let sendHeaders: UnsafeMutablePointer<skiff_datagram>

    init(socket: Int32, wake: Int32, answers: PublishedAnswers, options: AnswerOptions, forwarder: Forwarder?, slotSize: Int) {
        self.socket = socket
        self.wake = wake
        self.answers = answers
        self.options = options
        self.forwarder = forwarder
        self.slotSize = slotSize
        let batch = Self.batch
        received = .allocate(byteCount: batch * slotSize, alignment: 16)
        responses = .allocate(byteCount: batch * slotSize, alignment: 16)
        peers = .allocate(capacity: batch)
        receiveVectors = .allocate(capacity: batch)
        sendVectors = .allocate(capacity: batch)
        receiveHeaders = .allocate(capacity: batch)
        sendHeaders = .allocate(capacity: batch)
        for index in 0..<batch {
            receiveVectors[index] = iovec(iov_base: received + index * slotSize, iov_len: slotSize)
            sendVectors[index] = iovec(iov_base: responses + index * slotSize, iov_len: 0)
            receiveHeaders[index] = skiff_datagram(header: msghdr(), length: 0)
            sendHeaders[index] = skiff_datagram(header: msghdr(), length: 0)
        }
    }

    deinit {
        received.deallocate()
        responses.deallocate()
        peers.deallocate()
        receiveVectors.deallocate()
        sendVectors.deallocate()
        receiveHeaders.deallocate()
        sendHeaders.deallocate()
    }

    func run() {
        while true {
            let count = receiveBatch()
            if count > 0 {
                answer(count)
                continue
            }
            if count < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
                // ICMP errors from earlier sends (ECONNREFUSED) surface here: not ours to fix.
                continue
            }
            if count < 0 && errno == EINTR { continue }
            var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, -1)
            if ready > 0 && fds[1].revents != 0 { return }
        }
    }

    private func receiveBatch() -> Int {
        for index in 0..<Self.batch {
            receiveHeaders[index].header = msghdr(msg_name: UnsafeMutableRawPointer(peers + index),
                                                  msg_namelen: socklen_t(MemoryLayout<sockaddr_storage>.size),
                                                  msg_iov: receiveVectors + index, msg_iovlen: 1,
                                                  msg_control: nil, msg_controllen: 0, msg_flags: 0)
        }
        return Int(skiff_recvmmsg(socket, receiveHeaders, UInt32(Self.batch), Int32(MSG_DONTWAIT)))
    }

    private func answer(_ count: Int) {
        let table = answers.current
        var replies = 0
        for index in 0..<count {
            let header = receiveHeaders[index]
            if header.header.msg_flags & Int32(MSG_TRUNC) != 0 { continue }  // larger than any query we answer
            let query = UnsafeRawBufferPointer(start: received + index * slotSize, count: Int(header.length))
            let slot = responses + replies * slotSize
            switch QueryAnswerer.answer(query, table: table, options: options, transport: .udp,
                                        into: UnsafeMutableRawBufferPointer(start: slot, count: slotSize)) {
            case .respond(let length):
                sendVectors[replies].iov_len = length
                sendVectors[replies].iov_base = slot
                sendHeaders[replies].header = msghdr(msg_name: UnsafeMutableRawPointer(peers + index),
                                                      msg_namelen: header.header.msg_namelen,
                                                      msg_iov: sendVectors + replies, msg_iovlen: 1,
                                                      msg_control: nil, msg_controllen: 0, msg_flags: 0)
                replies += 1
            case .forward:
                relay(Array(query), peer: index, peerLength: header.header.msg_namelen, answered: nil)
            case .chase(let length):
                let answered = Array(UnsafeRawBufferPointer(start: slot, count: length))
                relay(Array(query), peer: index, peerLength: header.header.msg_namelen, answered: answered)
            case .drop:
                break
            }
        }
        var sent = 0
        while sent < replies {
            let result = Int(skiff_sendmmsg(socket, sendHeaders + sent, UInt32(replies - sent), 0))
            if result <= 0 {
                if errno == EINTR { continue }
                break  // a full send buffer drops the rest, as a router would
            }
            sent += result
        }
    }

    /// Relays `query` upstream, or with `answered` (a CNAME out of the zones) its target.
    private func relay(_ query: [UInt8], peer index: Int, peerLength: socklen_t, answered: [UInt8]?) {
        guard let forwarder else { return }
        let peer = Array(UnsafeRawBufferPointer(start: peers + index, count: Int(peerLength)))
        let socket = self.socket
        let send: Forwarder.Reply = { response in
            response.withUnsafeBytes { bytes in
                peer.withUnsafeBytes { address in
                    _ = sendto(socket, bytes.baseAddress, bytes.count, 0,
                               address.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(address.count))
                }
            }
        }
        if let answered {
            forwarder.chase(query, answered: answered, transport: .udp, options: options, reply: send)
        } else {
            forwarder.relay(query, transport: .udp, reply: send)
        }
    }
}
