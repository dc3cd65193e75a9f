/// Test support: a scratch directory for manifest files, fixed clocks, and a session over the
/// fake client with collecting sinks.
import Foundation
import SkiffCtl
import SkiffWire
import SkiffCommandLine

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct ScratchDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "skiffctl-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `text` to `name` inside the directory; returns the file's path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// 2023-11-14T22:13:20Z, the fake's creation stamp, and moments after it.
let created = Time(seconds: 1_700_000_000)
func later(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: Double(1_700_000_000 + seconds)) }

struct TestSession {
    let client = FakeResourceClient()
    let output = CollectingSink()
    let errors = CollectingSink()
    var session: Session

    init(namespace: String? = nil, now: Date = later(300), standardInput: String = "") {
        session = Session(client: client, output: output, errors: errors, namespace: namespace,
                          now: { now }, standardInput: { standardInput })
    }

    /// Runs the command parsed from `arguments` against the fake, as the executable would;
    /// returns whether it succeeded (a failure has printed its lines on `errors`).
    func run<Command: SessionCommand>(_ type: Command.Type, _ arguments: [String]) async throws -> Bool {
        await (try Command.parse(arguments)).execute(in: session)
    }
}

/// A user's manifest for a two-replica Deployment "web" (pods labelled app=web), ending in a
/// newline so documents can follow it.
let webDeploymentManifest = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      labels: {app: web}
    spec:
      replicas: 2
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers:
          - {name: app, image: nginx}

    """

struct TimedOut: Error, CustomStringConvertible {
    var description: String
}

/// Polls `condition` until it holds; throws when `timeout` passes first. For waiting on
/// something another task does, never for asserting how long it takes.
func waitUntil(_ what: String, timeout: Duration = .seconds(20), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now > deadline { throw TimedOut(description: "timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(5))
    }
}
