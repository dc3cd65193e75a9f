/// BusEndpoint: a validated bus address, `inproc://NAME`, `ipc://PATH` or `tcp://HOST:PORT`.
/// Every URL that reaches nanomsg passes through here first, because nanomsg reports some
/// mistakes late or not at all (and aborts the process on an over-long ipc path).
///
/// Concurrency: an immutable Sendable value. Must never: accept a transport other than the
/// three above, or an address nanomsg would reject or assert on.
#if canImport(Glibc)
import Glibc
#endif

public struct BusEndpoint: Sendable, Hashable, CustomStringConvertible {
    public enum Transport: String, Sendable, CaseIterable {
        /// Within one process (tests, and components wired together in one binary).
        case inproc
        /// A Unix domain socket file on this machine.
        case ipc
        /// TCP; the host is an IPv4 address, a bracketed IPv6 address, a DNS name, or `*`
        /// (bind only: every interface).
        case tcp
    }

    public let transport: Transport
    /// Everything after `scheme://`.
    public let address: String

    /// The URL nanomsg is given, e.g. "ipc:///run/skiff/apiserver.sock".
    public var url: String { "\(transport.rawValue)://\(address)" }
    public var description: String { url }

    /// Largest URL nanomsg accepts (NN_SOCKADDR_MAX is 128 including the NUL).
    public static let maxURLLength = 127
    /// Largest ipc path: sun_path holds 108 bytes including the NUL; nanomsg asserts beyond.
    public static let maxIPCPathLength = 107

    /// Parses and validates `url`. Throws `BusError` with code `.invalidEndpoint` and a
    /// message naming the problem.
    public init(_ url: String) throws(BusError) {
        guard let separator = url.firstRange(of: "://") else {
            throw BusError(.invalidEndpoint, "'\(url)' is not a bus URL: expected inproc://NAME, ipc://PATH or tcp://HOST:PORT")
        }
        let scheme = String(url[..<separator.lowerBound])
        guard let transport = Transport(rawValue: scheme) else {
            throw BusError(.invalidEndpoint, "'\(url)': unsupported transport '\(scheme)'; use inproc://, ipc:// or tcp://")
        }
        try self.init(transport: transport, address: String(url[separator.upperBound...]))
    }

    public init(transport: Transport, address: String) throws(BusError) {
        let url = "\(transport.rawValue)://\(address)"
        guard !address.isEmpty else {
            throw BusError(.invalidEndpoint, "'\(url)': empty address")
        }
        guard !address.utf8.contains(0) else {
            throw BusError(.invalidEndpoint, "'\(url)': address contains a NUL byte")
        }
        guard url.utf8.count <= Self.maxURLLength else {
            throw BusError(.invalidEndpoint, "'\(url)': longer than \(Self.maxURLLength) bytes")
        }
        switch transport {
        case .inproc:
            break
        case .ipc:
            guard address.utf8.count <= Self.maxIPCPathLength else {
                throw BusError(.invalidEndpoint, "'\(url)': ipc path longer than \(Self.maxIPCPathLength) bytes")
            }
        case .tcp:
            try Self.validateTCP(address, url: url)
        }
        self.transport = transport
        self.address = address
    }

    public static func inproc(_ name: String) throws(BusError) -> BusEndpoint {
        try BusEndpoint(transport: .inproc, address: name)
    }

    public static func ipc(_ path: String) throws(BusError) -> BusEndpoint {
        try BusEndpoint(transport: .ipc, address: path)
    }

    public static func tcp(host: String, port: Int) throws(BusError) -> BusEndpoint {
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return try BusEndpoint(transport: .tcp, address: "\(bracketed):\(port)")
    }

    /// For tcp: the host part (brackets removed) and the port.
    public var tcpHostAndPort: (host: String, port: Int)? {
        guard transport == .tcp, let colon = address.lastIndex(of: ":"),
              let port = Int(address[address.index(after: colon)...]) else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    /// Whether this is a tcp endpoint on every interface (`*`, `0.0.0.0`, `::`): fine to bind,
    /// not to connect to.
    public var isWildcard: Bool {
        guard let host = tcpHostAndPort?.host else { return false }
        return host == "*" || host == "0.0.0.0" || host == "::"
    }

    /// The endpoint a peer on this machine connects to: a wildcard tcp host becomes 127.0.0.1
    /// (or ::1) and a relative ipc path becomes absolute against `currentDirectory`.
    public func advertised(currentDirectory: String? = nil) -> BusEndpoint {
        switch transport {
        case .inproc:
            return self
        case .ipc:
            guard !address.hasPrefix("/") else { return self }
            let base = currentDirectory ?? Self.currentDirectory()
            return (try? BusEndpoint.ipc(base.hasSuffix("/") ? base + address : base + "/" + address)) ?? self
        case .tcp:
            guard isWildcard, let (host, port) = tcpHostAndPort else { return self }
            return (try? BusEndpoint.tcp(host: host == "::" ? "::1" : "127.0.0.1", port: port)) ?? self
        }
    }

    private static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func validateTCP(_ address: String, url: String) throws(BusError) {
        guard !address.contains(";") else {
            throw BusError(.invalidEndpoint, "'\(url)': interface-qualified addresses (IFACE;HOST) are not supported")
        }
        guard let colon = address.lastIndex(of: ":") else {
            throw BusError(.invalidEndpoint, "'\(url)': expected tcp://HOST:PORT")
        }
        let portText = address[address.index(after: colon)...]
        guard !portText.isEmpty, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber),
              let port = Int(portText), (1...65535).contains(port) else {
            throw BusError(.invalidEndpoint, "'\(url)': port must be a number from 1 to 65535")
        }
        let host = address[..<colon]
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2,
                  host.dropFirst().dropLast().allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw BusError(.invalidEndpoint, "'\(url)': malformed IPv6 address")
            }
            return
        }
        guard !host.isEmpty else {
            throw BusError(.invalidEndpoint, "'\(url)': missing host")
        }
        if host == "*" { return }
        guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }),
              !host.hasPrefix("-"), !host.hasPrefix(".") else {
            throw BusError(.invalidEndpoint, "'\(url)': '\(host)' is not a host name or address (IPv6 needs brackets)")
        }
    }
}
