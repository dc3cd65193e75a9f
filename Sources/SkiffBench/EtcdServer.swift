/// EtcdServer: Debian's etcd 3.4 run by the bench as the store's baseline: one member, client
/// and peer URLs on free loopback ports, its data directory in a temporary directory, fsync on
/// (no `--unsafe-no-fsync`), so an acknowledged put is as durable as a Skiff write.
///
/// (Not SkiffTestSupport's ChildProcess: that one starts Skiff's own products, found next to
/// the running binary; etcd lives in /usr/bin.)
///
/// Concurrency: used from one task at a time. Must never: listen on anything but 127.0.0.1,
/// signal anything but the pid it started, or leave the process or its directory behind after
/// `stop()` (idempotent; call it on every path).
import Foundation
import SkiffBus
#if canImport(Glibc)
import Glibc
#endif

final class EtcdServer: @unchecked Sendable {
    let clientPort: UInt16
    let peerPort: UInt16
    let directory: String
    private let process: Process
    var pid: Int32 { process.processIdentifier }

    static let defaultExecutable = "/usr/bin/etcd"

    /// Starts etcd and returns once it answers a put on its client port (bounded wait).
    init(executable: String = EtcdServer.defaultExecutable) async throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw BenchmarkError("\(executable) not found: install Debian's etcd-server (make deps)")
        }
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("skiff-bench-etcd-\(getpid())-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        clientPort = try LoopbackPort.free()
        var peer = try LoopbackPort.free()
        while peer == clientPort { peer = try LoopbackPort.free() }
        peerPort = peer

        let client = "http://127.0.0.1:\(clientPort)"
        let peerURL = "http://127.0.0.1:\(peerPort)"
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--name", "bench", "--data-dir", directory + "/data",
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
            "--initial-cluster", "bench=\(peerURL)", "--initial-cluster-state", "new",
            "--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn",
        ]
        // The Debian package reads ETCD_* variables; none may change what we asked for.
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ETCD_") }
        guard FileManager.default.createFile(atPath: directory + "/log", contents: nil),
              let log = FileHandle(forWritingAtPath: directory + "/log") else {
            try? FileManager.default.removeItem(atPath: directory)
            throw BenchmarkError("cannot create \(directory)/log")
        }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
            try? log.close()
        } catch {
            try? log.close()
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        do {
            try await waitUntilServing()
        } catch {
            let output = self.log
            await stop()
            throw BenchmarkError("etcd did not start: \(error)\n\(output)")
        }
    }

    var log: String {
        String(decoding: FileManager.default.contents(atPath: directory + "/log") ?? Data(), as: UTF8.self)
    }

    private func waitUntilServing() async throws {
        let deadline = MonotonicTime.now() + 30_000_000_000
        var lastError: any Error = BenchmarkError("no answer")
        while MonotonicTime.now() < deadline {
            guard process.isRunning else { throw BenchmarkError("etcd exited") }
            do {
                let probe = try EtcdPutLoad(port: clientPort, connections: 1, valueSize: 1)
                defer { probe.close() }
                _ = try probe.run(count: 1, keyPrefix: "/skiff-bench/ready-")
                return
            } catch {
                lastError = error
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw lastError
    }

    /// SIGTERM, SIGKILL after 10 s; then removes the directory. Idempotent.
    func stop() async {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = MonotonicTime.now() + 10_000_000_000
            while process.isRunning && MonotonicTime.now() < deadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (the kernel's pick for port 0).
enum LoopbackPort {
    static func free() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchmarkError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = LoopbackPort.address(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw BenchmarkError("bind: \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw BenchmarkError("getsockname: \(String(cString: strerror(errno)))") }
        return UInt16(bigEndian: address.sin_port)
    }

    static func address(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
