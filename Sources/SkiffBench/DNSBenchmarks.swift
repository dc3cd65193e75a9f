/// Cluster DNS queries per second, skiff-dns against dnsmasq, in one run: both serve the same
/// 2,000 names on loopback (skiff-dns from 2,000 Services created through a real store and
/// apiserver, dnsmasq from an addn-hosts file), and dnsperf sends the same query file to each
/// with the same settings. Goal: skiff-dns >= 1.0x dnsmasq's queries/s.
///
/// Every process (store, apiserver, skiff-dns, dnsmasq, dnsperf) is stopped by pid and the
/// temporary directory removed on every path. Nothing listens or sends beyond 127.0.0.1.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SkiffClient
import SkiffTestSupport
import SkiffWire

public enum DNSBenchmarks {
    static let names = 2_000
    static let goal = 1.0
    static let seconds = 10
    static let dnsperf = "/usr/bin/dnsperf"
    static let dnsmasq = "/usr/sbin/dnsmasq"
    /// dnsperf settings, each run against both servers: clients (-c) and dnsperf threads (-T).
    static let settings: [[String]] = [["-c", "4", "-T", "2"], ["-c", "16", "-T", "2", "-q", "500"]]

    public static func run(stop: StopFlag, log: (String) -> Void) async throws -> [ComparisonRow] {
        for tool in [dnsperf, dnsmasq] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw BenchmarkError("\(tool) is missing: run scripts/install-deps (dnsperf, dnsmasq-base)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-bench-dns-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let plane = try ControlPlane()
        var processes: [ChildProcess] = []
        var clients: [APIClient] = []
        var baseline: SpawnedProgram?
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let rows = try await measure(directory: directory, plane: plane, processes: &processes, clients: &clients,
                                         baseline: &baseline, stop: stop, log: log)
            for process in processes.reversed() { await process.stop() }
            await baseline?.stop()
            for client in clients { await client.close() }
            await plane.stop()
            return rows
        } catch {
            for process in processes.reversed() { await process.stop() }
            await baseline?.stop()
            for client in clients { await client.close() }
            await plane.stop()
            throw error
        }
    }

    static func name(_ index: Int) -> String { "svc-\(index).default.svc.cluster.local" }
    static func address(_ index: Int) -> String { "10.96.\(10 + index / 250).\(1 + index % 250)" }

    private static func measure(directory: String, plane: ControlPlane, processes: inout [ChildProcess],
                                clients: inout [APIClient], baseline dnsmasqProcess: inout SpawnedProgram?, stop: StopFlag,
                                log: (String) -> Void) async throws -> [ComparisonRow] {
        let queries = "\(directory)/queries.txt"
        let hosts = "\(directory)/hosts"
        try (0..<names).map { "\(name($0)) A\n" }.joined().write(toFile: queries, atomically: true, encoding: .utf8)
        try (0..<names).map { "\(address($0)) \(name($0))\n" }.joined().write(toFile: hosts, atomically: true, encoding: .utf8)

        // dnsmasq: the same names from a hosts file, nothing upstream, loopback only.
        let dnsmasqPort = try freeUDPPort()
        let baseline = try SpawnedProgram(dnsmasq, [
            "--no-daemon", "--no-resolv", "--no-hosts", "--addn-hosts=\(hosts)", "--port=\(dnsmasqPort)",
            "--listen-address=127.0.0.1", "--bind-interfaces", "--pid-file=\(directory)/dnsmasq.pid", "--cache-size=10000",
            "--user=root",
        ], output: "\(directory)/dnsmasq.log")
        dnsmasqProcess = baseline
        guard await eventually(timeout: .seconds(30), { probe(port: dnsmasqPort, name: name(names - 1)) || !baseline.isRunning }),
              baseline.isRunning else { throw BenchmarkError("dnsmasq did not start: \(baseline.output)") }

        // skiff-dns: 2,000 Services through the API.
        log("dns: starting skiff-store and skiff-apiserver, creating \(names) Services...")
        try await plane.start(bookmarkSeconds: 5)
        for index in 0..<16 { clients.append(try plane.newClient(component: "bench-dns-\(index)")) }
        try await SchedulerBenchmarks.concurrently(clients, count: names, stop: stop) { client, index in
            _ = try await client.create(Service(metadata: ObjectMeta(name: "svc-\(index)", namespace: "default"),
                                                spec: ServiceSpec(ports: [ServicePort(name: "http", protocol: "TCP", port: 80)],
                                                                  clusterIP: address(index))))
        }
        let skiff = try ChildProcess("skiff-dns", ["--run-dir", plane.runDirectory, "--listen", "127.0.0.1:0", "--log-level", "warning"])
        processes.append(skiff)
        var skiffPort: UInt16 = 0
        guard await eventually(timeout: .seconds(60), interval: .milliseconds(50), {
            guard skiff.isRunning else { return true }
            guard let line = skiff.stderr.split(separator: "\n").first(where: { $0.hasPrefix("skiff-dns listening on 127.0.0.1:") }),
                  let port = UInt16(line.split(separator: ":").last ?? "") else { return false }
            skiffPort = port
            return probe(port: port, name: name(names - 1))
        }), skiff.isRunning, skiffPort != 0 else { throw BenchmarkError("skiff-dns did not start: \(skiff.stderr)") }
        try stop.check()

        var rows: [ComparisonRow] = []
        for setting in settings {
            let label = setting.joined(separator: " ")
            log("dns: dnsperf \(label) -l \(seconds) against dnsmasq...")
            let theirs = try await perf(port: dnsmasqPort, queries: queries, setting: setting, server: baseline.pid)
            try stop.check()
            log("dns: dnsperf \(label) -l \(seconds) against skiff-dns...")
            let ours = try await perf(port: skiffPort, queries: queries, setting: setting, server: skiff.pid)
            try stop.check()
            let ratio = ours.qps / theirs.qps
            var row = ComparisonRow(name: "DNS q/s, \(names) names, dnsperf \(label)", unit: "q/s", skiff: ours.qps,
                                    baseline: theirs.qps, baselineName: "dnsmasq \(label)", ratio: ratio,
                                    goal: ">= \(goal)x", met: ratio >= goal)
            row.detail = "skiff-dns: \(ours.detail); dnsmasq: \(theirs.detail)"
            log("dns: \(row.line)")
            rows.append(row)
        }
        return rows
    }

    struct PerfResult {
        var qps: Double
        var detail: String
    }

    /// One dnsperf run; queries/s, and lost queries, latency and the server's CPU as detail.
    private static func perf(port: UInt16, queries: String, setting: [String], server pid: Int32) async throws -> PerfResult {
        let before = ProcessCPU.seconds(of: pid) ?? 0
        let run = try ChildProcess(path: dnsperf, name: "dnsperf", ["-s", "127.0.0.1", "-p", String(port), "-d", queries,
                                                                    "-l", String(seconds)] + setting)
        guard await run.exitStatus(within: .seconds(seconds * 3 + 30)) == 0 else {
            let message = run.stderr + run.stdout
            await run.stop()
            throw BenchmarkError("dnsperf failed: \(message)")
        }
        let output = run.stdout
        await run.stop()
        let cpu = (ProcessCPU.seconds(of: pid) ?? before) - before
        func field(_ label: String) -> String? {
            output.split(separator: "\n").first { $0.contains(label) }.map {
                String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces)
            }
        }
        guard let qpsText = field("Queries per second"), let qps = Double(qpsText) else {
            throw BenchmarkError("no queries/s in dnsperf's output: \(output)")
        }
        let lost = field("Queries lost") ?? "?"
        let latency = field("Average Latency (s)").map { $0.split(separator: " ").first.map(String.init) ?? $0 } ?? "?"
        return PerfResult(qps: qps, detail: String(format: "%.0f q/s, lost %@, avg latency %@ s, server CPU %.0f%% of a core",
                                                   qps, lost, latency, cpu / Double(seconds) * 100))
    }

    /// A UDP port free on 127.0.0.1 right now (the kernel's pick).
    private static func freeUDPPort() throws -> UInt16 {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw BenchmarkError("socket failed") }
        defer { close(descriptor) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw BenchmarkError("cannot bind a loopback port") }
        return UInt16(bigEndian: address.sin_port)
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// Whether 127.0.0.1:port answers an A query for `name` with an answer (one try, 300 ms).
    static func probe(port: UInt16, name: String) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 0, tv_usec: 300_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // Header (ID 0x5EED, RD, one question), the name's labels, type A, class IN.
        var query: [UInt8] = [0x5E, 0xED, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") {
            query.append(UInt8(label.utf8.count))
            query += Array(label.utf8)
        }
        query += [0, 0, 1, 0, 1]
        var address = loopback(port: port)
        let sent = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(descriptor, query, query.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard sent == query.count else { return false }
        var reply = [UInt8](repeating: 0, count: 512)
        let count = recv(descriptor, &reply, reply.count, 0)
        // Same ID, a response, NOERROR, at least one answer.
        return count >= 12 && reply[0] == 0x5E && reply[1] == 0xED && reply[2] & 0x80 != 0 && reply[3] & 0x0F == 0
            && (Int(reply[6]) << 8 | Int(reply[7])) > 0
    }
}

/// A program started with posix_spawn and stopped by its pid. dnsmasq closes every descriptor it
/// inherits as it starts, which Foundation's Process takes for the child's exit (its monitor
/// then blocks in waitpid, and no other child's exit is noticed); so dnsmasq is not run as one.
final class SpawnedProgram: @unchecked Sendable {
    let pid: pid_t
    let outputPath: String
    private var exited = false

    init(_ path: String, _ arguments: [String], output: String) throws {
        outputPath = output
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard result == 0 else { throw BenchmarkError("cannot start \(path): \(String(cString: strerror(result)))") }
        self.pid = pid
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    var isRunning: Bool {
        if exited { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { exited = true }
        return !exited
    }

    /// SIGTERM, then SIGKILL after 10 s; reaps it.
    func stop() async {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        if await eventually(timeout: .seconds(10), { !self.isRunning }) { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        exited = true
    }
}
