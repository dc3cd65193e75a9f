/// Resident memory of the whole idle cluster: `compose/up --nodes 1` in a temporary directory,
/// a settling pause, then the memory of every process supervisord runs, summed (and, apart,
/// supervisord's own). The anchors are k3s (512 MB for server and agent) and k0s (510 MB); the
/// goal is <= 128 MB. Needs root and supervisord; skipped with the reason printed otherwise.
///
/// Two sums: proportional set size (Pss, each shared page divided among the processes mapping
/// it: the memory the cluster really takes, and the one held to the goal) and resident set
/// size (VmRSS, every shared library page counted once per process: with a dozen processes
/// sharing the Swift runtime and Foundation, an overcount).
import Foundation
import SkiffTestSupport

public struct ClusterMemoryBenchmarkOptions: Sendable {
    /// compose/ of the checkout (make bench runs from the repository's root).
    public var composeDirectory = "compose"
    /// Where the release executables are (compose/up's --bin).
    public var binDirectory = "bin"
    public var settle: Duration = .seconds(15)
    public init() {}
}

public enum ClusterMemoryBenchmark {
    static let k3s = 512.0
    static let goal = 128.0

    public static func run(_ options: ClusterMemoryBenchmarkOptions, stop: StopFlag, log: (String) -> Void) async throws -> [ComparisonRow] {
        if let missing = TestNode.missingCapability { log("cluster memory: skipped: \(missing)"); return [] }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/supervisord") else {
            log("cluster memory: skipped: supervisord is missing"); return []
        }
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-bench-memory-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let cluster = Compose(directory: options.composeDirectory, state: state, bin: options.binDirectory)
        func compose(_ command: String, _ arguments: [String] = []) async throws -> String {
            let (status, output) = try await cluster.run(command, arguments)
            guard status == 0 else { throw BenchmarkError("compose/\(command) failed: \(output)") }
            return output
        }
        log("cluster memory: compose/up --nodes 1...")
        _ = try await compose("up", ["--nodes", "1"])
        do {
            try await Task.sleep(for: options.settle)
            try stop.check()
            let perProcess = try await cluster.processes().sorted { $0.key < $1.key }
                .map { ($0.key, proportionalMB(Int32($0.value.pid) ?? 0), residentMB(Int32($0.value.pid) ?? 0)) }
            let supervisorPid = Int32((try? String(contentsOfFile: state + "/compose/supervisord.pid", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
            let supervisor = proportionalMB(supervisorPid)
            _ = try await compose("down")
            let total = perProcess.reduce(0) { $0 + $1.1 }
            let resident = perProcess.reduce(0) { $0 + $1.2 }
            var row = ComparisonRow(name: "idle cluster memory (Pss), 1 node", unit: "MB", skiff: total, baseline: k3s,
                                    baselineName: "k3s server+agent (documented minimum)", ratio: total / k3s,
                                    goal: "<= \(Int(goal)) MB", met: total <= goal)
            row.detail = "\(perProcess.count) processes, Pss/RSS MB: "
                + perProcess.map { String(format: "%@ %.1f/%.1f", $0.0, $0.1, $0.2) }.joined(separator: ", ")
                + String(format: "; RSS summed %.1f MB; supervisord itself %.1f MB Pss (with it: %.1f MB)", resident, supervisor,
                         total + supervisor)
            return [row]
        } catch {
            _ = try? await compose("down")
            throw error
        }
    }

    /// Pss of a process (smaps_rollup), in MB.
    static func proportionalMB(_ pid: Int32) -> Double {
        guard pid > 0, let rollup = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8),
              let line = rollup.split(separator: "\n").first(where: { $0.hasPrefix("Pss:") }),
              let kilobytes = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
        return kilobytes / 1024
    }

    /// VmRSS of a process, in MB.
    static func residentMB(_ pid: Int32) -> Double {
        guard pid > 0, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
        return kilobytes / 1024
    }
}
