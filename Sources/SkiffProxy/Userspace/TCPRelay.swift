/// TCPRelay: one listening socket of the userspace mode (a VIP:port, or a node port on every
/// address). Its accept thread hands each connection to a thread of its own that connects to a
/// backend the `BackendChooser` picks and copies bytes both ways with non-blocking sockets and
/// poll(), passing each side's end of stream on as a half-close.
///
/// Concurrency: dedicated threads only (blocking in accept and poll must never occupy Swift's
/// cooperative pool); `close()` may be called from any task, once. Must never: close a
/// descriptor another thread still polls (each thread closes only what it owns).
import Foundation
import SkiffAPI
#if canImport(Glibc)
import Glibc
#endif

final class TCPRelay: @unchecked Sendable {
    let chooser: BackendChooser
    private let listener: Int32
    private let closed = ClosedFlag()

    init(ip: IPv4Address, port: UInt16, chooser: BackendChooser) throws {
        self.chooser = chooser
        listener = try Socket.bound(Int32(SOCK_STREAM.rawValue), ip, port)
        let thread = Thread { [self] in acceptLoop() }
        thread.stackSize = 256 * 1024
        thread.start()
    }

    /// Stops accepting; connections in flight finish on their own.
    func close() {
        guard closed.set() else { return }
        // Wakes the accept thread, which then closes the descriptor it owns.
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        while !closed.isSet {
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let client = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener, $0, &length) }
            }
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE { continue }
                break
            }
            guard let backend = chooser.choose(client: Socket.endpoint(address).ip) else {
                Glibc.close(client)
                continue
            }
            let thread = Thread { Self.relay(client, to: backend) }
            thread.stackSize = 256 * 1024
            thread.start()
        }
        Glibc.close(listener)
    }

    /// Copies both ways until both sides have ended, then closes both.
    static func relay(_ client: Int32, to backend: Backend) {
        guard let server = try? Socket.connected(Int32(SOCK_STREAM.rawValue), backend.ip, backend.port) else {
            // A reset, as a refused connection to the VIP would give.
            var reset = linger(l_onoff: 1, l_linger: 0)
            setsockopt(client, SOL_SOCKET, SO_LINGER, &reset, socklen_t(MemoryLayout<linger>.size))
            Glibc.close(client)
            return
        }
        Socket.setNonBlocking(client)
        var toServer = Direction(from: client, to: server)
        var toClient = Direction(from: server, to: client)
        while !(toServer.finished && toClient.finished) {
            var fds = [pollfd(fd: client, events: toServer.readEvents | toClient.writeEvents, revents: 0),
                       pollfd(fd: server, events: toClient.readEvents | toServer.writeEvents, revents: 0)]
            guard poll(&fds, 2, -1) >= 0 || errno == EINTR else { break }
            if !toServer.pump() || !toClient.pump() { break }
        }
        Glibc.close(client)
        Glibc.close(server)
    }

    /// One direction of a relayed connection: a buffer between a read side and a write side.
    struct Direction {
        let from: Int32, to: Int32
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        var start = 0, end = 0
        var readEnded = false, finished = false

        init(from: Int32, to: Int32) {
            self.from = from
            self.to = to
        }

        var readEvents: Int16 { !readEnded && end < buffer.count ? Int16(POLLIN) : 0 }
        var writeEvents: Int16 { end > start ? Int16(POLLOUT) : 0 }

        /// Moves what it can without blocking; false on a hard error (the connection is dropped).
        mutating func pump() -> Bool {
            if finished { return true }
            if !readEnded && end < buffer.count {
                let count = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress! + end, $0.count - end) }
                if count > 0 {
                    end += count
                } else if count == 0 {
                    readEnded = true
                } else if errno != EAGAIN && errno != EINTR {
                    return false
                }
            }
            if end > start {
                // send, not write: a peer gone must give EPIPE here, never a SIGPIPE to the process.
                let count = buffer.withUnsafeBytes { send(to, $0.baseAddress! + start, end - start, Int32(MSG_NOSIGNAL)) }
                if count > 0 {
                    start += count
                    if start == end { start = 0; end = 0 }
                } else if count < 0 && errno != EAGAIN && errno != EINTR {
                    return false
                }
            }
            if readEnded && start == end {
                shutdown(to, Int32(SHUT_WR))
                finished = true
            }
            return true
        }
    }
}

/// A one-way flag: set once, from any thread.
final class ClosedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }

    /// Sets it; true if this call was the one that did.
    func set() -> Bool {
        lock.withLock {
            defer { value = true }
            return !value
        }
    }
}
