/// RuleApplier: the only place nft runs. `apply` feeds a script to `nft -f -` (one kernel
/// transaction); `check` asks nft to validate a script without committing it (`nft -c`);
/// `tableExists` and `deleteTable` serve the resync and `--cleanup`.
///
/// Concurrency: Sendable and stateless; nft runs on HostCommand's own thread, never on the
/// cooperative pool. Must never: touch a table other than the one it is given.
import SkiffImages

public struct RuleApplier: Sendable {
    /// The nft program and any leading arguments; tests and the benchmark run it in another
    /// namespace with `["/sbin/ip", "netns", "exec", NS, "/usr/sbin/nft"]`.
    public var command: [String]

    public init(command: [String] = ["/usr/sbin/nft"]) { self.command = command }

    private func nft(_ arguments: [String], stdin: String = "") -> HostCommand {
        HostCommand(command[0], Array(command.dropFirst()) + arguments, stdin: Array(stdin.utf8), timeout: .seconds(60))
    }

    /// Applies `script`; throws with nft's message (and the offending line) when the kernel or
    /// nft refuses it, in which case nothing of it took effect.
    public func apply(_ script: String) async throws {
        let result = try await nft(["-f", "-"], stdin: script).run()
        guard result.status == 0 else { throw ProxyError("nft -f failed: \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))") }
    }

    /// Validates `script` without changing anything.
    public func check(_ script: String) async throws {
        let result = try await nft(["-c", "-f", "-"], stdin: script).run()
        guard result.status == 0 else { throw ProxyError("nft -c failed: \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))") }
    }

    public func tableExists(_ table: String) async throws -> Bool {
        let result = try await nft(["list", "tables", "ip"]).run()
        guard result.status == 0 else { throw ProxyError("nft list tables failed: \(result.stderrText)") }
        return result.stdoutText.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces) == "table ip \(table)" }
    }

    /// The table as nft lists it (tests, troubleshooting).
    public func list(_ table: String) async throws -> String {
        let result = try await nft(["list", "table", "ip", table]).run()
        guard result.status == 0 else { throw ProxyError("nft list table failed: \(result.stderrText)") }
        return result.stdoutText
    }

    /// Removes the table if it is there.
    public func deleteTable(_ table: String) async throws {
        try await apply("add table ip \(table)\ndelete table ip \(table)\n")
    }
}
