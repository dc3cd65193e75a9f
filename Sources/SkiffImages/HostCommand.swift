/// HostCommand: runs a host program (runc, the CNI plugins, tar, ip) to completion and
/// collects its output, with an optional deadline after which it is killed. Spawned with
/// posix_spawn and reaped by pid, never with waitpid(-1), so it cannot steal another
/// component's child. The async form runs on its own thread: the cooperative pool has as many
/// threads as cores (two here) and must never block on a child process.
///
/// Concurrency: stateless; any number may run at once. Must never: leave a child running past
/// its deadline, or block a cooperative thread.
import CSkiffHost
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct HostCommand: Sendable {
    public struct Result: Sendable {
        /// The exit code, or 128 + the signal that killed it.
        public var status: Int32
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        public var timedOut: Bool
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    public var path: String
    public var arguments: [String]
    /// Extra variables on top of the current environment.
    public var environment: [String: String]
    public var stdin: [UInt8]
    public var timeout: Duration?

    public init(_ path: String, _ arguments: [String], environment: [String: String] = [:], stdin: [UInt8] = [],
                timeout: Duration? = nil) {
        self.path = path
        self.arguments = arguments
        self.environment = environment
        self.stdin = stdin
        self.timeout = timeout
    }

    /// Runs and waits on the calling thread.
    public func runBlocking() throws -> Result {
        var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard skiff_pipe_cloexec(&inPipe) == 0, skiff_pipe_cloexec(&outPipe) == 0, skiff_pipe_cloexec(&errPipe) == 0 else {
            throw ImageError("\(path): cannot create pipes: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        // Descriptors opened without close-on-exec elsewhere in this process stay out of the child.
        skiff_spawn_closefrom(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Default signal dispositions in the child (the parent may ignore SIGPIPE or SIGTERM).
        skiff_spawnattr_default_signals(&attributes)

        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv = [path] + arguments
        let envp = env.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let spawned = withCStrings(argv) { argvPointers in
            withCStrings(envp) { envPointers in
                posix_spawn(&pid, path, &actions, &attributes, argvPointers, envPointers)
            }
        }
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
        guard spawned == 0 else {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            throw ImageError("\(path): \(String(cString: strerror(spawned)))")
        }
        return collect(pid: pid, stdin: inPipe[1], stdout: outPipe[0], stderr: errPipe[0])
    }

    /// Runs on a dedicated thread; the calling task waits without holding a pool thread.
    public func run() async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Swift.Result { try self.runBlocking() })
            }
            thread.stackSize = 512 * 1024
            thread.start()
        }
    }

    /// Runs and throws, with stderr in the message, unless it exits 0.
    @discardableResult
    public func check() async throws -> Result {
        let result = try await run()
        guard result.status == 0 else { throw ImageError(Self.failure(path, arguments, result)) }
        return result
    }

    static func failure(_ path: String, _ arguments: [String], _ result: Result) -> String {
        let name = (path as NSString).lastPathComponent
        let detail = (result.stderrText.isEmpty ? result.stdoutText : result.stderrText)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        if result.timedOut { return "\(name) \(arguments.first ?? ""): timed out" }
        return "\(name) \(arguments.first ?? "") exited \(result.status): \(detail)"
    }

    private func collect(pid: pid_t, stdin: Int32, stdout: Int32, stderr: Int32) -> Result {
        var input = self.stdin[...]
        var fds = [pollfd(fd: stdout, events: Int16(POLLIN), revents: 0), pollfd(fd: stderr, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: input.isEmpty ? -1 : stdin, events: Int16(POLLOUT), revents: 0)]
        if input.isEmpty {
            close(stdin)
        } else {
            _ = fcntl(stdin, F_SETFL, fcntl(stdin, F_GETFL) | O_NONBLOCK)
        }
        var out: [UInt8] = [], err: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var timedOut = false
        while fds[0].fd >= 0 || fds[1].fd >= 0 {
            var wait: Int32 = -1
            if let deadline {
                let left = deadline - ContinuousClock.now
                if left <= .zero { timedOut = true; kill(pid, SIGKILL); break }
                wait = Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
            }
            let ready = poll(&fds, nfds_t(fds.count), wait)
            if ready < 0 && errno != EINTR { break }
            for index in 0..<2 where fds[index].fd >= 0 && fds[index].revents != 0 {
                let n = read(fds[index].fd, &buffer, buffer.count)
                if n > 0 {
                    if index == 0 { out.append(contentsOf: buffer[..<n]) } else { err.append(contentsOf: buffer[..<n]) }
                } else if n == 0 || errno != EINTR {
                    close(fds[index].fd)
                    fds[index].fd = -1
                }
            }
            if fds[2].fd >= 0 && fds[2].revents != 0 {
                let n = input.withUnsafeBytes { write(stdin, $0.baseAddress, $0.count) }
                if n > 0 { input = input.dropFirst(n) }
                if n < 0 && errno != EAGAIN && errno != EINTR || input.isEmpty {
                    close(stdin)
                    fds[2].fd = -1
                }
            }
        }
        if fds[2].fd >= 0 { close(stdin) }
        for index in 0..<2 where fds[index].fd >= 0 { close(fds[index].fd) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: code, stdout: out, stderr: err, timedOut: timedOut)
    }
}

private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// Synchronous conveniences for the image store.
enum Shell {
    static func run(_ path: String, _ arguments: [String]) throws {
        let result = try HostCommand(path, arguments).runBlocking()
        guard result.status == 0 else { throw ImageError(HostCommand.failure(path, arguments, result)) }
    }

    static func output(_ path: String, _ arguments: [String]) throws -> String {
        let result = try HostCommand(path, arguments).runBlocking()
        guard result.status == 0 else { throw ImageError(HostCommand.failure(path, arguments, result)) }
        return result.stdoutText
    }
}
