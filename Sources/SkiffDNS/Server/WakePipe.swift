/// WakePipe: a non-blocking pipe whose read end sits in a server thread's poll() set, so another
/// thread can wake it (to stop, or to look at a queue) without signals.
///
/// Concurrency: `wake` from any thread; `drain` from the polling thread. Must never: block
/// (a full pipe already means "wake up").
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pipe whose read end wakes a poll() loop: written once to ask a thread to look at its
/// queue or to stop.
final class WakePipe: Sendable {
    let readEnd: Int32
    let writeEnd: Int32

    init() throws(SocketError) {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw SocketError("pipe") }
        readEnd = ends[0]
        writeEnd = ends[1]
        for end in ends {
            Sockets.setNonBlocking(end)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
    }

    func wake() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readEnd, &buffer, buffer.count) > 0 {}
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }
}
