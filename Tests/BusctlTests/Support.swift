/// Test support: sample messages, a temporary run directory, deadline-bounded waiting, and
/// `BusctlProcess`, the built `busctl` executable run as a child process.
///
/// Concurrency: helpers are Sendable values or used from one task; a child writes its output to
/// files that the test reads. Must never: wait without a deadline,
/// leave a child process or a temporary directory behind (callers `defer` their cleanup), or
/// signal a process other than the child it started (by its pid).
import Foundation
import Testing
import Busctl
import SkiffBus
import SkiffWire
import SkiffTestSupport

// MARK: samples

enum Sample {
    static func pod(name: String = "web-1", namespace: String = "default", resourceVersion: String = "42") -> Pod {
        var pod = Pod()
        var metadata = ObjectMeta()
        metadata.name = name
        metadata.namespace = namespace
        metadata.resourceVersion = resourceVersion
        pod.metadata = metadata
        return pod
    }

    static let secretPlaintext = "hunter2-very-secret"
    static let secretStringPlaintext = "s3cr3t-string-data"

    static func secret() -> Secret {
        var secret = Secret()
        var metadata = ObjectMeta()
        metadata.name = "db-credentials"
        metadata.namespace = "prod"
        metadata.resourceVersion = "7"
        secret.metadata = metadata
        secret.data = ["password": Array(secretPlaintext.utf8)]
        secret.stringData = ["token": secretStringPlaintext]
        return secret
    }

    /// Every form in which the secret values could leak: plain, and base64 of the value.
    static var secretLeaks: [String] {
        [secretPlaintext, secretStringPlaintext,
         Data(secretPlaintext.utf8).base64EncodedString(), Data(secretStringPlaintext.utf8).base64EncodedString()]
    }

    static func watchEvent<M: APIObject>(_ type: String, _ object: M) throws -> WatchEvent {
        var event = WatchEvent()
        event.type = type
        event.objectType = M.protoName
        event.object = try object.serializedBytes()
        event.resourceVersion = object.metadata?.resourceVersion
        event.namespace = object.metadata?.namespace
        event.name = object.metadata?.name
        event.resource = M.kind.lowercased() + "s"
        return event
    }

    /// A received message as a subscriber delivers it.
    static func received(_ message: some WireMessage, topic: String = "pods/default", sender: String = "apiserver-1",
                         sequence: UInt64 = 7) throws -> ReceivedMessage {
        var envelope = Envelope()
        envelope.type = type(of: message).protoName
        envelope.payload = try message.serializedBytes()
        envelope.sender = sender
        envelope.topic = topic
        envelope.sequence = sequence
        envelope.epoch = "00000000000000aa"
        return ReceivedMessage(topic: topic, envelope: envelope, receivedAt: .now)
    }

    /// 2025-03-01T12:34:56.789Z
    static let instant: Int64 = 1_740_832_496_789_000_000
    static let instantText = "2025-03-01T12:34:56.789Z"
}

// MARK: temporary run directory

/// A fresh directory under /tmp (short, so ipc socket paths fit nanomsg's 107 bytes).
struct TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        var template = Array("/tmp/busctl-test-XXXXXX".utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw BusctlError("mkdtemp failed")
        }
        path = String(cString: created)
    }

    func url(_ name: String) -> String { "ipc://\(path)/\(name)" }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

// MARK: waiting

/// Polls `condition` every `interval` until it holds or `timeout` passes; runs `step` before
/// each check (e.g. publish again). Returns whether the condition held.
func eventually(timeout: Duration = .seconds(30), interval: Duration = .milliseconds(20),
                step: () throws -> Void, _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        try step()
        if condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return condition()
}

/// Polls `condition` until it holds or `timeout` passes. Returns whether it held.
func eventually(timeout: Duration = .seconds(30), interval: Duration = .milliseconds(20),
                _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return condition()
}

// MARK: the busctl executable

/// The built `busctl` next to the test bundle (both are products of the same build).
enum BusctlBinary {
    static func path() throws -> String {
        if let override = ProcessInfo.processInfo.environment["BUSCTL_BINARY"], !override.isEmpty { return override }
        var candidates: [URL] = []
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: executable).deletingLastPathComponent())
        }
        candidates.append(Bundle.main.bundleURL)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        for directory in candidates {
            let path = directory.appendingPathComponent("busctl").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw BusctlError("busctl executable not found next to the test bundle (looked in \(candidates.map(\.path))); build it or set BUSCTL_BINARY")
    }
}

/// A running `busctl` child process (SkiffTestSupport's ChildProcess: its stdout and stderr go
/// to files of its own, read whenever asked). Used from one task.
final class BusctlProcess {
    private let child: ChildProcess

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        // busctl talks to this process's sockets: it gets the same bus keys, if any.
        child = try ChildProcess(path: try BusctlBinary.path(), name: "busctl", arguments,
                                 environment: ChildProcess.inheritedBusKeys.merging(environment) { $1 })
    }

    var pid: Int32 { child.pid }
    var stdout: String { child.stdout }
    var stderr: String { child.stderr }
    var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }
    var isRunning: Bool { child.isRunning }

    /// Waits (bounded) for the process to exit; returns its exit status, or nil if it did not
    /// exit in time.
    func exitStatus(within timeout: Duration = .seconds(30)) async -> Int32? {
        await child.exitStatus(within: timeout)
    }

    /// Kills the child if it still runs and removes its output. Idempotent; call it (defer) on
    /// every path, after the last read of its output.
    func stop() {
        child.crash()
        child.removeOutput()
    }

    /// Runs busctl to completion (bounded) and returns (status, stdout, stderr).
    static func run(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> (status: Int32?, stdout: String, stderr: String) {
        let child = try BusctlProcess(arguments)
        defer { child.stop() }
        let status = await child.exitStatus(within: timeout)
        return (status, child.stdout, child.stderr)
    }
}

/// Runs `body` with a request server bound in `directory`, and closes the server on every path.
func withRequestServer<T>(component: String, in directory: TemporaryDirectory, socket: String = "rep.sock",
                          _ body: (RequestServer) async throws -> T) async throws -> T {
    let server = try RequestServer(component: component, options: .init(sender: "\(component)-test",
                                                                        directory: EndpointDirectory(runDirectory: directory.path)))
    let result: Result<T, any Error>
    do {
        try server.bind(to: directory.url(socket))
        result = .success(try await body(server))
    } catch {
        result = .failure(error)
    }
    await server.close()
    return try result.get()
}
