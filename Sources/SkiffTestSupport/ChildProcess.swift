/// ChildProcess: a built Skiff executable run as a child of a test, its stdout and stderr in
/// files of its own (unlike pipes, files need no end-of-file a sibling child could delay).
///
/// Concurrency: Sendable (SpawnedProcess reaps once, under its lock). Must never: signal
/// anything but the child it started (by its pid), or leave the child running after `stop()`.
import Foundation
import SkiffBus
#if canImport(Glibc)
import Glibc
#endif

public final class ChildProcess: Sendable {
    public let pid: Int32
    public let name: String
    private let process: SpawnedProcess
    private let outputDirectory: String

    /// The variables naming the bus keys: a child gets them only when a test passes them.
    private static let busKeyVariables = [BusKey.environmentVariable, BusKey.confidentialEnvironmentVariable]

    /// The bus keys this process was given, for a child that must talk to this process's own
    /// keyed sockets.
    public static var inheritedBusKeys: [String: String] {
        ProcessInfo.processInfo.environment.filter { busKeyVariables.contains($0.key) }
    }

    /// Starts `executable` (a product name, found next to the test bundle) with `arguments`.
    public convenience init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        try self.init(path: try Products.path(of: executable), name: executable, arguments, environment: environment)
    }

    /// Starts the program at `path` (e.g. nsenter wrapping a product) under the name `name`.
    public init(path: String, name executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "SKIFF_RUN_DIR")
        env.removeValue(forKey: "SKIFF_SERVER")
        // A child talks unkeyed unless the test names a key (environment:), whatever ours is.
        for variable in Self.busKeyVariables { env.removeValue(forKey: variable) }
        for (key, value) in environment { env[key] = value }
        let files = try TemporaryFiles()
        do {
            let stdout = try files.create("stdout", contents: [], forWriting: true)
            defer { close(stdout) }
            let stderr = try files.create("stderr", contents: [], forWriting: true)
            defer { close(stderr) }
            process = try SpawnedProcess(path: path, arguments: arguments, environment: env, stdout: stdout, stderr: stderr)
        } catch {
            files.remove()
            throw error
        }
        name = executable
        outputDirectory = files.path
        pid = process.pid
    }

    public var stdout: String { read("stdout") }
    public var stderr: String { read("stderr") }
    public var isRunning: Bool { process.isRunning }

    private func read(_ stream: String) -> String {
        String(decoding: FileManager.default.contents(atPath: "\(outputDirectory)/\(stream)") ?? Data(), as: UTF8.self)
    }

    /// Waits (bounded) for the child to exit; its status (the exit code, or 128 + the signal
    /// that killed it), or nil if it still runs.
    public func exitStatus(within timeout: Duration = .seconds(30)) async -> Int32? {
        await process.termination(within: timeout)?.status
    }

    /// How it ended, or nil while it runs.
    public var termination: Termination? { process.termination }

    /// kill -9, as a crash would.
    public func crash() {
        process.signal(SIGKILL)
        process.waitBlocking()
    }

    /// Sends `signal` (while it has not been reaped).
    public func signal(_ signal: Int32) { process.signal(signal) }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`; removes its output files.
    /// Idempotent; call it (defer) on every path, after the last read of the output.
    public func stop(grace: Duration = .seconds(10)) async {
        if process.isRunning {
            process.signal(SIGTERM)
            if await exitStatus(within: grace) == nil { crash() }
        }
        removeOutput()
    }

    /// Removes the output files (after the last read of them).
    public func removeOutput() { try? FileManager.default.removeItem(atPath: outputDirectory) }
}

/// Where the build put the executables: next to the running test bundle.
public enum Products {
    public static func path(of executable: String) throws -> String {
        var candidates: [URL] = []
        if let running = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: running).deletingLastPathComponent())
        }
        candidates.append(Bundle.main.bundleURL)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        for directory in candidates {
            let path = directory.appendingPathComponent(executable).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw HarnessError("\(executable) not found next to the test bundle (looked in \(candidates.map(\.path))); "
                           + "build it first: swift build --product \(executable)")
    }
}

public struct HarnessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
public func eventually(timeout: Duration = .seconds(30), interval: Duration = .milliseconds(20),
                       _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return await condition()
}
