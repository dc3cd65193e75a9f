/// Socket: the few BSD socket calls the userspace relay makes, over IPv4 only, each returning a
/// descriptor or throwing with errno's text.
///
/// Concurrency: free functions on descriptors; the caller owns each descriptor and closes it
/// once. Must never: leave a descriptor open on a failure path.
#if canImport(Glibc)
import Glibc
#endif
import SkiffAPI

enum Socket {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ what: String) { description = "\(what): \(String(cString: strerror(errno)))" }
    }

    static func address(_ ip: IPv4Address, _ port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = ip.value.bigEndian
        return address
    }

    static func endpoint(_ address: sockaddr_in) -> (ip: IPv4Address, port: UInt16) {
        (IPv4Address(UInt32(bigEndian: address.sin_addr.s_addr)), UInt16(bigEndian: address.sin_port))
    }

    /// A bound socket of `type` (SOCK_STREAM listening, or SOCK_DGRAM) on ip:port.
    static func bound(_ type: Int32, _ ip: IPv4Address, _ port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = address(ip, port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let failure = Failure("bind \(ip):\(port)")
            close(fd)
            throw failure
        }
        if type == Int32(SOCK_STREAM.rawValue), listen(fd, 512) != 0 {
            let failure = Failure("listen \(ip):\(port)")
            close(fd)
            throw failure
        }
        return fd
    }

    /// A socket of `type` connected to ip:port (TCP: waits at most `timeoutMillis`).
    static func connected(_ type: Int32, _ ip: IPv4Address, _ port: UInt16, timeoutMillis: Int32 = 5000) throws -> Int32 {
        let fd = socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket") }
        var address = address(ip, port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 && errno == EINPROGRESS {
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            if poll(&poller, 1, timeoutMillis) == 1, getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error == 0 {
                return fd
            }
            errno = error == 0 ? ETIMEDOUT : error
        } else if result == 0 {
            return fd
        }
        let failure = Failure("connect \(ip):\(port)")
        close(fd)
        throw failure
    }

    static func setNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }
}
