/// SpawnedProcess: a child started with posix_spawn and reaped by its pid, the one way tests
/// start programs. Foundation's Process is not used: on Linux it watches children through a
/// SIGCHLD dispatch source and a run-loop thread, and its pipes' readability handlers through
/// dispatch sources whose teardown races (the suspected cause of a test process that crashed
/// in CI at random, jumping to an unmapped address), and it hangs when a child closes its
/// descriptors. Here nothing runs in the background: a child is reaped when someone asks
/// whether it still runs.
///
/// Concurrency: Sendable; any thread may ask or wait (reaping happens once, under a mutex).
/// Must never: reap with waitpid(-1) (it would steal other code's children), or signal a pid
/// it has already reaped (the number may belong to another process by then).
import CSkiffHost
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How a child ended.
public enum Termination: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    /// The shell's number for it: the exit code, or 128 + the signal.
    public var status: Int32 {
        switch self {
        case .exited(let code): return code
        case .signaled(let signal): return 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): return "exited \(code)"
        case .signaled(let signal): return "killed by signal \(signal)"
        }
    }

    init(waitStatus raw: Int32) {
        let signal = raw & 0x7F
        self = signal == 0 ? .exited((raw >> 8) & 0xFF) : .signaled(signal)
    }
}

public final class SpawnedProcess: Sendable {
    public let pid: pid_t
    private let ended = Mutex<Termination?>(nil)

    /// Starts `path` with `arguments` and exactly `environment`. The child's stdin, stdout and
    /// stderr are the descriptors given (duplicated; the caller keeps and closes its own), or
    /// /dev/null; no other descriptor of this process reaches it, and its signals start from
    /// their defaults.
    public init(path: String, arguments: [String], environment: [String: String],
                stdin: Int32? = nil, stdout: Int32? = nil, stderr: Int32? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (descriptor, target) in [(stdin, Int32(0)), (stdout, 1), (stderr, 2)] {
            if let descriptor {
                posix_spawn_file_actions_adddup2(&actions, descriptor, target)
            } else {
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            }
        }
        skiff_spawn_closefrom(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        skiff_spawnattr_default_signals(&attributes)

        var pid: pid_t = 0
        let argv = [path] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        let result = withCStringArray(argv) { argvPointers in
            withCStringArray(envp) { envPointers in
                posix_spawn(&pid, path, &actions, &attributes, argvPointers, envPointers)
            }
        }
        guard result == 0 else { throw HarnessError("cannot start \(path): \(String(cString: strerror(result)))") }
        self.pid = pid
    }

    /// How it ended, or nil while it runs (reaps it if it has just ended).
    public var termination: Termination? {
        ended.withLock { ended in
            if ended == nil { ended = reap(flags: WNOHANG) }
            return ended
        }
    }

    public var isRunning: Bool { termination == nil }

    /// Blocks the calling thread until it ends. For a child that is ending anyway (killed, or a
    /// short command): a test waiting on a long-lived child uses `termination(within:)`.
    @discardableResult
    public func waitBlocking() -> Termination {
        ended.withLock { ended in
            if ended == nil { ended = reap(flags: 0) }
            return ended ?? .exited(-1)
        }
    }

    /// Waits, polling, up to `timeout` for it to end; nil if it still runs.
    public func termination(within timeout: Duration) async -> Termination? {
        guard await eventually(timeout: timeout, { !self.isRunning }) else { return nil }
        return termination
    }

    /// Sends `signal` unless it has already been reaped.
    public func signal(_ signal: Int32) {
        ended.withLock { ended in
            if ended == nil { _ = kill(pid, signal) }
        }
    }

    private func reap(flags: Int32) -> Termination? {
        var raw: Int32 = 0
        while true {
            let result = waitpid(pid, &raw, flags)
            if result == pid { return Termination(waitStatus: raw) }
            if result == 0 { return nil }
            if errno == EINTR { continue }
            // ECHILD: not ours to wait for any more; nothing will tell us how it ended.
            return .exited(-1)
        }
    }
}

/// What a program run to its end printed, and how it ended.
public struct ProgramOutput: Sendable {
    public var termination: Termination
    public var stdoutBytes: [UInt8]
    public var stderrBytes: [UInt8]
    public var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }
    public var stderr: String { String(decoding: stderrBytes, as: UTF8.self) }
    public var succeeded: Bool { termination == .exited(0) }
}

public enum Program {
    /// Runs `path` to its end with `stdin` as input, the test's environment plus `environment`.
    /// Output goes through files, so no pipe needs draining while the child runs.
    public static func run(_ path: String, _ arguments: [String], stdin: [UInt8] = [],
                           environment: [String: String] = [:]) throws -> ProgramOutput {
        let directory = try TemporaryFiles()
        defer { directory.remove() }
        let input = try directory.create("stdin", contents: stdin, forWriting: false)
        defer { close(input) }
        let output = try directory.create("stdout", contents: [], forWriting: true)
        defer { close(output) }
        let errors = try directory.create("stderr", contents: [], forWriting: true)
        defer { close(errors) }
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let child = try SpawnedProcess(path: path, arguments: arguments, environment: env,
                                       stdin: input, stdout: output, stderr: errors)
        let termination = child.waitBlocking()
        return ProgramOutput(termination: termination, stdoutBytes: directory.read("stdout"), stderrBytes: directory.read("stderr"))
    }

    /// Runs `path` to its end; its stdout, or an error naming the command and carrying its stderr.
    @discardableResult
    public static func check(_ path: String, _ arguments: [String], stdin: [UInt8] = []) throws -> String {
        let result = try run(path, arguments, stdin: stdin)
        guard result.succeeded else {
            let detail = result.stderr.isEmpty ? result.stdout : result.stderr
            throw HarnessError("\(path) \(arguments.joined(separator: " ")) \(result.termination): \(detail)")
        }
        return result.stdout
    }
}

/// A private temporary directory of files for one child's standard streams.
final class TemporaryFiles {
    let path: String

    init() throws {
        var template = Array("\(NSTemporaryDirectory())/skiff-program-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw HarnessError("cannot create a temporary directory: \(String(cString: strerror(errno)))")
        }
        path = String(cString: made)
    }

    /// Creates `name` holding `contents`; a descriptor open for writing (output) or reading
    /// from the start (input), close-on-exec.
    func create(_ name: String, contents: [UInt8], forWriting: Bool) throws -> Int32 {
        let file = "\(path)/\(name)"
        guard FileManager.default.createFile(atPath: file, contents: Data(contents)) else {
            throw HarnessError("cannot create \(file)")
        }
        let descriptor = open(file, (forWriting ? O_WRONLY | O_APPEND : O_RDONLY) | O_CLOEXEC)
        guard descriptor >= 0 else { throw HarnessError("cannot open \(file): \(String(cString: strerror(errno)))") }
        return descriptor
    }

    func read(_ name: String) -> [UInt8] {
        [UInt8](FileManager.default.contents(atPath: "\(path)/\(name)") ?? Data())
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Calls `body` with a NULL-terminated array of C strings, alive for the call.
func withCStringArray<Result>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> Result) -> Result {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}
