/// UDPRelay: one UDP service port of the userspace mode. A receive thread reads datagrams sent
/// to VIP:port; each client address gets a session: a socket connected to the backend the
/// `BackendChooser` picked, whose replies a session thread sends back to the client from the
/// VIP's socket (so they carry the VIP as source). A session idle for `idleSeconds` ends.
///
/// Concurrency: dedicated threads, each polling with a short timeout so `close()` (any task,
/// once) is noticed within a second. Must never: block the receive thread on a backend.
import Foundation
import SkiffAPI
#if canImport(Glibc)
import Glibc
#endif

final class UDPRelay: @unchecked Sendable {
    let chooser: BackendChooser
    private let socket: Int32
    private let closed = ClosedFlag()
    private let idleSeconds: Int
    private let lock = NSLock()
    /// Live sessions by client address: the backend socket.
    private var sessions: [Client: Int32] = [:]
    private var threads = 1

    struct Client: Hashable {
        var ip: IPv4Address
        var port: UInt16
    }

    init(ip: IPv4Address, port: UInt16, chooser: BackendChooser, idleSeconds: Int = 30) throws {
        self.chooser = chooser
        self.idleSeconds = idleSeconds
        socket = try Socket.bound(Int32(SOCK_DGRAM.rawValue), ip, port)
        let thread = Thread { [self] in receiveLoop() }
        thread.stackSize = 256 * 1024
        thread.start()
    }

    func close() {
        _ = closed.set()
    }

    private func receiveLoop() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !closed.isSet {
            var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 500) > 0 else { continue }
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let count = buffer.withUnsafeMutableBytes { bytes in
                withUnsafeMutablePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(socket, bytes.baseAddress!, bytes.count, Int32(MSG_DONTWAIT), $0, &length) }
                }
            }
            guard count > 0 else { continue }
            let source = Socket.endpoint(address)
            let client = Client(ip: source.ip, port: source.port)
            guard openSession(for: client, address: address) else { continue }
            // Under the lock: the session's thread closes its socket only under it too.
            lock.withLock {
                guard let upstream = sessions[client] else { return }
                _ = buffer.withUnsafeBytes { send(upstream, $0.baseAddress!, count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            }
        }
        // The last thread out closes the shared socket.
        release()
    }

    /// True once the client has a session (new or existing).
    private func openSession(for client: Client, address: sockaddr_in) -> Bool {
        if lock.withLock({ sessions[client] != nil }) { return true }
        guard let backend = chooser.choose(client: client.ip),
              let upstream = try? Socket.connected(Int32(SOCK_DGRAM.rawValue), backend.ip, backend.port) else { return false }
        lock.withLock {
            sessions[client] = upstream
            threads += 1
        }
        let thread = Thread { [self] in replyLoop(client: client, address: address, upstream: upstream) }
        thread.stackSize = 256 * 1024
        thread.start()
        return true
    }

    private func replyLoop(client: Client, address: sockaddr_in, upstream: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var address = address
        var idle = ContinuousClock.now
        while !closed.isSet && ContinuousClock.now - idle < .seconds(idleSeconds) {
            var poller = pollfd(fd: upstream, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 500) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(upstream, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT)) }
            guard count > 0 else { continue }
            idle = .now
            _ = buffer.withUnsafeBytes { bytes in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(socket, bytes.baseAddress!, count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
        }
        lock.withLock {
            _ = sessions.removeValue(forKey: client)
            Glibc.close(upstream)
        }
        release()
    }

    private func release() {
        let last = lock.withLock {
            threads -= 1
            return threads == 0
        }
        if last { Glibc.close(socket) }
    }
}
