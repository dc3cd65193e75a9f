/// Compose: runs the commands of compose/ (up, status, down, ...) against one cluster's state
/// directory, as a user would, for the compose tests and the memory benchmark.
///
/// Concurrency: used from one task. Must never: leave a command running past its deadline.
import Foundation

public struct Compose: Sendable {
    /// compose/ of the checkout.
    public var directory: String
    /// The cluster's state directory (compose's --dir).
    public var state: String
    /// The executables (compose's --bin).
    public var bin: String

    public init(directory: String, state: String, bin: String) {
        self.directory = directory
        self.state = state
        self.bin = bin
    }

    /// Runs compose/COMMAND; its exit status (nil if it did not end in time) and its output.
    public func run(_ command: String, _ arguments: [String] = []) async throws -> (status: Int32?, output: String) {
        let child = try ChildProcess(path: "/bin/bash", name: "compose-\(command)",
                                     ["\(directory)/\(command)", "--dir", state, "--bin", bin] + arguments)
        let status = await child.exitStatus(within: .seconds(180))
        let output = child.stdout + child.stderr
        await child.stop()
        return (status, output)
    }

    /// NAME -> (state, pid, restarts), from compose/status.
    public func processes() async throws -> [String: (state: String, pid: String, restarts: String)] {
        var result: [String: (String, String, String)] = [:]
        for line in try await run("status").output.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if fields.count >= 5 { result[fields[0]] = (fields[1], fields[2], fields[fields.count - 1]) }
        }
        return result
    }
}
