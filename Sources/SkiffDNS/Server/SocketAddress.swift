/// SocketAddress: an IPv4 or IPv6 address and port ("127.0.0.1:53", "[::1]:53") as the sockaddr
/// bytes the kernel takes, and the few socket calls the servers share (bind, set options, the
/// address actually bound, errno as text).
///
/// Concurrency: plain values and free functions. Must never: pick an address the caller did
/// not give (no wildcard fallback, no resolution of host names).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct SocketError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ what: String, errno code: Int32 = errno) {
        description = "\(what): \(String(cString: strerror(code)))"
    }
    public init(message: String) { description = message }
}

public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    public let ip: IPAddress
    public let port: UInt16

    public init(ip: IPAddress, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    /// "ADDR:PORT" or "[V6ADDR]:PORT".
    public init?(_ text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let ip = IPAddress(String(host)), let port = UInt16(portText) else { return nil }
        self.init(ip: ip, port: port)
    }

    public var description: String { ip.isIPv4 ? "\(ip):\(port)" : "[\(ip)]:\(port)" }

    var family: Int32 { ip.isIPv4 ? AF_INET : AF_INET6 }

    /// Calls `body` with this address as a sockaddr.
    func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        if ip.isIPv4 {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            withUnsafeMutableBytes(of: &address.sin_addr) { $0.copyBytes(from: ip.bytes) }
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = port.bigEndian
        withUnsafeMutableBytes(of: &address.sin6_addr) { $0.copyBytes(from: ip.bytes) }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
    }

    /// The address a socket is bound to (after binding port 0, the port the kernel chose).
    static func bound(to descriptor: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) == 0 }
        }
        guard ok else { return nil }
        return withUnsafeBytes(of: &storage) { raw -> SocketAddress? in
            let family = Int32(raw.load(as: sa_family_t.self))
            if family == AF_INET {
                let address = raw.load(as: sockaddr_in.self)
                let bytes = withUnsafeBytes(of: address.sin_addr) { Array($0) }
                return SocketAddress(ip: IPAddress(bytes: bytes)!, port: UInt16(bigEndian: address.sin_port))
            }
            if family == AF_INET6 {
                let address = raw.load(as: sockaddr_in6.self)
                let bytes = withUnsafeBytes(of: address.sin6_addr) { Array($0) }
                return SocketAddress(ip: IPAddress(bytes: bytes)!, port: UInt16(bigEndian: address.sin6_port))
            }
            return nil
        }
    }
}

enum Sockets {
    /// A socket of `type` bound to `address`, close-on-exec, SO_REUSEADDR (and SO_REUSEPORT
    /// when several sockets share the port).
    static func bound(_ address: SocketAddress, type: Int32, reusePort: Bool) throws(SocketError) -> Int32 {
        let descriptor = socket(address.family, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SocketError("socket") }
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if reusePort { setsockopt(descriptor, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) }
        let result = address.withSockaddr { bind(descriptor, $0, $1) }
        guard result == 0 else {
            let error = SocketError("bind \(address)")
            close(descriptor)
            throw error
        }
        return descriptor
    }

    static func setNonBlocking(_ descriptor: Int32) {
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
    }

    static func setBufferSizes(_ descriptor: Int32, bytes: Int32) {
        var size = bytes
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }
}
