/// ProcessCPU: CPU time (user + system) a process has used so far, from /proc/PID/stat, so
/// the write benchmark can say where each write's CPU goes (store, apiserver, etcd, client).
///
/// Concurrency: pure reads of /proc. Must never: fail a benchmark (an unreadable process
/// reads as nil).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum ProcessCPU {
    /// Seconds of CPU used by `pid` (its threads included), or nil if it cannot be read.
    static func seconds(of pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after "(comm)": state is field 3, utime 14 and stime 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// CPU used by a set of named processes between two moments.
struct CPUSample {
    private var start: [(name: String, pid: Int32, seconds: Double)]

    init(_ processes: [(name: String, pid: Int32)]) {
        start = processes.compactMap { process in
            ProcessCPU.seconds(of: process.pid).map { (process.name, process.pid, $0) }
        }
    }

    /// "store 0.210, apiserver 0.350 CPU ms/write": CPU milliseconds per operation since `init`.
    func perOperation(_ operations: Int) -> String {
        let parts = start.compactMap { entry -> String? in
            guard let now = ProcessCPU.seconds(of: entry.pid) else { return nil }
            return entry.name + String(format: " %.3f", (now - entry.seconds) * 1000 / Double(max(operations, 1)))
        }
        return parts.joined(separator: ", ") + " CPU ms/write"
    }
}
