/// NanomsgSocket: owns one nanomsg socket and is the only code that calls nn_* on it.
///
/// Concurrency: every call takes the socket's mutex, so a send racing `close()` fails with
/// `.closed` instead of reaching a socket number nanomsg may already have handed to a new
/// socket. Every send and receive is NN_DONTWAIT: nothing here ever blocks a thread, which is
/// what lets the bus run on Swift's cooperative pool and one reactor thread.
/// Must never: block (no calls without NN_DONTWAIT), or be closed while the reactor still
/// polls its NN_RCVFD (owners unregister first).
import CNanomsg
import Synchronization

final class NanomsgSocket: Sendable {
    /// The socket number; -1 once closed.
    private let handle: Mutex<Int32>
    /// For error messages: "REQ", "raw REP", ...
    let kind: String

    init(protocol proto: Int32, raw: Bool = false, kind: String) throws(BusError) {
        let s = nn_socket(raw ? skiff_nn_AF_SP_RAW : skiff_nn_AF_SP, proto)
        guard s >= 0 else { throw Self.error("nn_socket(\(kind))") }
        self.handle = Mutex(s)
        self.kind = kind
    }

    var isClosed: Bool { handle.withLock { $0 < 0 } }

    // MARK: configuration

    func setOption(level: Int32, _ option: Int32, _ value: Int32, name: String) throws(BusError) {
        var value = value
        let rc = handle.withLock { s in
            s < 0 ? -2 : nn_setsockopt(s, level, option, &value, MemoryLayout<Int32>.size)
        }
        try check(rc, "nn_setsockopt(\(name))")
    }

    func setOption(level: Int32, _ option: Int32, bytes: [UInt8], name: String) throws(BusError) {
        let rc = handle.withLock { s in
            s < 0 ? -2 : bytes.withUnsafeBytes { nn_setsockopt(s, level, option, $0.baseAddress, $0.count) }
        }
        try check(rc, "nn_setsockopt(\(name))")
    }

    /// The file descriptor that polls readable while a message can be received (NN_RCVFD).
    func receiveDescriptor() throws(BusError) -> Int32 {
        var fd: Int32 = -1
        var size = MemoryLayout<Int32>.size
        let rc = handle.withLock { s in
            s < 0 ? -2 : nn_getsockopt(s, skiff_nn_SOL_SOCKET, skiff_nn_RCVFD, &fd, &size)
        }
        try check(rc, "nn_getsockopt(NN_RCVFD)")
        return fd
    }

    func bind(_ endpoint: BusEndpoint) throws(BusError) {
        let rc = handle.withLock { s in s < 0 ? -2 : nn_bind(s, endpoint.url) }
        if rc == -1 && nn_errno() == skiff_nn_EADDRINUSE {
            throw BusError(.addressInUse, "cannot bind \(kind) socket to \(endpoint): address in use")
        }
        try check(rc, "nn_bind(\(endpoint))")
    }

    func connect(_ endpoint: BusEndpoint) throws(BusError) {
        let rc = handle.withLock { s in s < 0 ? -2 : nn_connect(s, endpoint.url) }
        try check(rc, "nn_connect(\(endpoint))")
    }

    // MARK: sending

    /// Sends `bytes` (copied by nanomsg). Returns false if the socket cannot take the message
    /// now (EAGAIN); throws if it is closed or the send failed otherwise.
    func send(_ bytes: UnsafeRawBufferPointer) throws(BusError) -> Bool {
        let rc = handle.withLock { s -> Int32 in
            s < 0 ? -2 : nn_send(s, bytes.baseAddress, bytes.count, skiff_nn_DONTWAIT)
        }
        return try sent(rc, "nn_send")
    }

    /// Sends a message of `count` bytes written by `fill` straight into a nanomsg chunk: one
    /// copy fewer than assembling an array first.
    func send(count: Int, fill: (UnsafeMutableRawBufferPointer) -> Void) throws(BusError) -> Bool {
        guard var chunk = nn_allocmsg(count, 0) else { throw Self.error("nn_allocmsg(\(count))") }
        fill(UnsafeMutableRawBufferPointer(start: chunk, count: count))
        let rc = handle.withLock { s -> Int32 in
            s < 0 ? -2 : nn_send(s, &chunk, skiff_nn_msg(), skiff_nn_DONTWAIT)
        }
        // On success nanomsg owns the chunk; on failure it is still ours.
        if rc < 0 { nn_freemsg(chunk) }
        return try sent(rc, "nn_send")
    }

    /// Sends a reply along `route`, a header received with `receiveRouted` (raw sockets).
    func send(_ bytes: UnsafeRawBufferPointer, route: [UInt8]) throws(BusError) -> Bool {
        let rc = handle.withLock { s -> Int32 in
            guard s >= 0 else { return -2 }
            return route.withUnsafeBytes { header in
                skiff_nn_send_routed(s, bytes.baseAddress, bytes.count, header.baseAddress, header.count,
                                     skiff_nn_DONTWAIT)
            }
        }
        return try sent(rc, "nn_sendmsg")
    }

    // MARK: receiving

    /// The next message, or nil when none is waiting (EAGAIN, or EFSM on a REQ socket that has
    /// no request outstanding) or the socket is closed.
    func receive() -> ReceivedChunk? {
        var chunk: UnsafeMutableRawPointer? = nil
        let rc = handle.withLock { s -> Int32 in
            s < 0 ? -2 : skiff_nn_recv_chunk(s, &chunk, skiff_nn_DONTWAIT)
        }
        guard rc >= 0, let chunk else { return nil }
        return ReceivedChunk(base: chunk, count: Int(rc))
    }

    /// The next message and its routing header (raw sockets), or nil when none is waiting.
    func receiveRouted() -> RoutedMessage? {
        withUnsafeTemporaryAllocation(byteCount: Int(skiff_nn_route_capacity), alignment: 16) { header in
            var chunk: UnsafeMutableRawPointer? = nil
            var routeLength = 0
            let rc = handle.withLock { s -> Int32 in
                guard s >= 0 else { return -2 }
                return skiff_nn_recv_routed(s, &chunk, header.baseAddress, header.count, &routeLength,
                                            skiff_nn_DONTWAIT)
            }
            guard rc >= 0, let chunk else { return nil }
            return RoutedMessage(chunk: ReceivedChunk(base: chunk, count: Int(rc)),
                                 route: Array(UnsafeRawBufferPointer(rebasing: header[..<routeLength])))
        }
    }

    // MARK: closing

    /// Closes the socket. Idempotent and non-blocking: nanomsg 1.1 does not linger, so
    /// messages still queued for sending may be dropped.
    func close() {
        handle.withLock { s in
            if s >= 0 {
                _ = nn_close(s)
                s = -1
            }
        }
    }

    deinit {
        close()
    }

    // MARK: errors

    private func sent(_ rc: Int32, _ call: String) throws(BusError) -> Bool {
        if rc >= 0 { return true }
        if rc == -1 && nn_errno() == skiff_nn_EAGAIN { return false }
        try check(rc, call)
        return false
    }

    /// rc -2 is our own "already closed" marker; -1 is nanomsg's failure with nn_errno set.
    private func check(_ rc: Int32, _ call: String) throws(BusError) {
        if rc >= 0 { return }
        if rc == -2 { throw BusError(.closed, "\(call) on a closed \(kind) socket") }
        let errnum = nn_errno()
        if errnum == skiff_nn_ETERM || errnum == skiff_nn_EBADF {
            throw BusError(.closed, "\(call) on a closed \(kind) socket")
        }
        throw Self.error("\(call) on \(kind) socket", errnum)
    }

    static func error(_ call: String, _ errnum: Int32 = nn_errno()) -> BusError {
        BusError(.transport, "\(call) failed: \(String(cString: nn_strerror(errnum))) (errno \(errnum))")
    }
}

/// A message nanomsg allocated for us; freed when this value goes away. Read it, copy what
/// you keep, and let it go.
struct ReceivedChunk: ~Copyable {
    let base: UnsafeMutableRawPointer
    let count: Int

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    deinit {
        nn_freemsg(base)
    }
}

/// A request received on a raw socket and the route its reply must take.
struct RoutedMessage: ~Copyable {
    let chunk: ReceivedChunk
    let route: [UInt8]
}
