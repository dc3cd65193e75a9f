/// The service proxy, measured with real processes: a store, an apiserver, a kubelet with runc
/// in its own network namespace and `skiff-proxy` in that namespace, as compose runs them.
///   throughput  iperf3 (one TCP stream, 3 s, median of 5 alternating runs after a warm-up) from one pod to
///               another: through a service's virtual IP (nftables DNAT) vs straight to the
///               pod's IP. iperf3 is the host's, run inside the pods' network namespaces
///               (nsenter into each sandbox's netns), so the path is exactly pod -> bridge ->
///               node's nftables -> pod. The userspace relay's figure is printed beside it.
///   rule sync   with 1,000 services (2 endpoints each) in place, one service's Endpoints
///               are changed through the API; the time from that write until `nft monitor`,
///               running in the node's namespace, reports the new backend's `dnat` rule (the
///               kernel has committed the transaction). Compared with what rewriting the
///               whole 1,000-service table costs nft (the same listing applied as one script).
///
/// Needs root (network namespaces, mounts, cgroups), nft and iperf3; without them the suite
/// is skipped with the reason printed. Everything it starts is stopped and removed on every
/// path.
import Foundation
import SkiffClient
import SkiffTestSupport
import SkiffWire

public enum ProxyBenchmarks {
    static let services = 1000
    static let syncSamples = 40
    static let iperf = "/usr/bin/iperf3"
    static let nft = "/usr/sbin/nft"

    public static func run(stop: StopFlag, log: (String) -> Void) async throws -> [ComparisonRow] {
        if let missing = TestNode.missingCapability ?? [iperf, nft].first(where: { !FileManager.default.isExecutableFile(atPath: $0) })
            .map({ "\($0) is missing" }) {
            log("proxy: skipped: \(missing)")
            return []
        }
        log("proxy: starting skiff-store, skiff-apiserver, a node and skiff-proxy...")
        let plane = try ControlPlane()
        var node: TestNode?
        var proxy: ChildProcess?
        var children: [ChildProcess] = []
        do {
            try await plane.start(bookmarkSeconds: 5)
            let started = try TestNode(plane: plane)
            node = started
            try await started.startKubelet()
            guard let client = plane.client else { throw BenchmarkError("the control plane has no client") }
            proxy = try startProxy(started, plane: plane, mode: "nftables")

            var rows: [ComparisonRow] = []
            let bench = Throughput(node: started, client: client)
            try await bench.startPods()
            try stop.check()
            log("proxy: iperf3 through the service IP vs straight to the pod (5 x 3 s each, alternating)...")
            // A first run warms caches and CPU frequency; it is not counted.
            _ = try await bench.measure(target: Throughput.serviceIP)
            var direct: [Double] = [], viaService: [Double] = []
            for _ in 0..<5 {
                try stop.check()
                direct.append(try await bench.measure(target: bench.serverIP))
                viaService.append(try await bench.measure(target: Throughput.serviceIP))
            }
            // The userspace relay, for comparison only: the same path with a copy in a process.
            await proxy?.stop()
            proxy = nil
            try cleanupProxy(started)
            proxy = try startProxy(started, plane: plane, mode: "userspace")
            var userspace: [Double] = []
            for _ in 0..<2 {
                try stop.check()
                userspace.append(try await bench.measure(target: Throughput.serviceIP, waitForService: true))
            }
            await proxy?.stop()
            proxy = nil
            let directMedian = median(direct), serviceMedian = median(viaService)
            var row = ComparisonRow(name: "iperf3 pod -> service IP (nftables)", unit: "Gb/s", skiff: serviceMedian / 1e9,
                                    baseline: directMedian / 1e9, baselineName: "pod -> pod IP directly",
                                    ratio: serviceMedian / directMedian, goal: ">= 0.9x direct", met: serviceMedian / directMedian >= 0.9)
            row.detail = String(format: "runs (Gb/s) direct %@; via VIP %@; userspace relay %.1f Gb/s (%.2fx)",
                                direct.map { String(format: "%.1f", $0 / 1e9) }.joined(separator: "/"),
                                viaService.map { String(format: "%.1f", $0 / 1e9) }.joined(separator: "/"),
                                median(userspace) / 1e9, median(userspace) / directMedian)
            rows.append(row)

            try stop.check()
            try cleanupProxy(started)
            // Debug: one line per sync with its steps' times, for the breakdown below.
            proxy = try startProxy(started, plane: plane, mode: "nftables", logLevel: "debug")
            log("proxy: creating \(services) services with endpoints...")
            let sync = RuleSync(node: started, plane: plane)
            try await sync.createServices(count: services)
            try await sync.waitForAllRules(count: services, proxy: proxy)
            try stop.check()
            log("proxy: \(syncSamples) endpoint changes, each timed from the API write to the rule in the kernel...")
            let monitor = try await sync.startMonitor()
            children.append(monitor)
            var latencies: [Double] = [], writes: [Double] = [], writeTimes: [Date] = []
            for sample in 0..<syncSamples {
                try stop.check()
                let (total, write, at) = try await sync.changeAndTime(sample: sample, monitor: monitor)
                latencies.append(total)
                writes.append(write)
                writeTimes.append(at)
            }
            let breakdown = SyncBreakdown(proxyLog: proxy?.stderr ?? "", writes: writeTimes)
            log("proxy: where the time went (medians over \(breakdown.matched) syncs): \(breakdown.summary)")
            await monitor.stop()
            children.removeAll()
            let fullRewrite = try sync.timeFullRewrite()
            let p50 = percentile(latencies, 0.5), p99 = percentile(latencies, 0.99)
            var syncRow = ComparisonRow(name: "endpoint change -> rule in kernel, \(services) svcs", unit: "ms", skiff: p99 * 1000,
                                        baseline: fullRewrite * 1000, baselineName: "nft rewriting the whole table once",
                                        ratio: p99 / fullRewrite, goal: "p99 <= 100 ms", met: p99 <= 0.1)
            syncRow.detail = String(format: "p50 %.1f ms, p99 %.1f ms, max %.1f ms over %d changes (the API write's own reply: p50 %.1f ms); whole-table nft apply %.1f ms",
                                    p50 * 1000, p99 * 1000, (latencies.max() ?? 0) * 1000, latencies.count, median(writes) * 1000, fullRewrite * 1000)
            rows.append(syncRow)

            await sync.close()
            await proxy?.stop()
            proxy = nil
            try? cleanupProxy(started)
            await bench.stopServers()
            await started.teardown()
            await plane.stop()
            return rows
        } catch {
            for child in children { await child.stop() }
            await proxy?.stop()
            if let node { try? cleanupProxy(node) }
            await node?.teardown()
            await plane.stop()
            throw error
        }
    }

    static func startProxy(_ node: TestNode, plane: ControlPlane, mode: String, logLevel: String = "warning") throws -> ChildProcess {
        try ChildProcess(path: "/usr/bin/nsenter", name: "skiff-proxy", [
            "--net=/run/netns/\(node.networkNamespace)", "--", try Products.path(of: "skiff-proxy"),
            "--node-name", node.name, "--run-dir", plane.runDirectory, "--cluster-cidr", "10.244.0.0/16",
            "--service-cidr", "10.96.0.0/16", "--mode", mode, "--log-level", logLevel,
        ])
    }

    /// `skiff-proxy --cleanup` in the node's namespace (between modes).
    static func cleanupProxy(_ node: TestNode) throws {
        try node.inNamespace([try Products.path(of: "skiff-proxy"), "--cleanup", "--node-name", node.name])
    }

    static func median(_ values: [Double]) -> Double { percentile(values, 0.5) }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    /// Two pods, a selector-less service in front of the server, iperf3 in their namespaces.
    final class Throughput: @unchecked Sendable {
        static let serviceIP = "10.96.0.80"
        let node: TestNode
        let client: APIClient
        private(set) var serverIP = ""
        private var servers: [ChildProcess] = []

        init(node: TestNode, client: APIClient) {
            self.node = node
            self.client = client
        }

        func startPods() async throws {
            for name in ["iperf-server", "iperf-client"] {
                _ = try await client.create(Pod(metadata: ObjectMeta(name: name, namespace: "default"),
                                                spec: PodSpec(containers: [Container(name: "main", image: "busybox", command: ["sleep", "3600"])],
                                                              terminationGracePeriodSeconds: 0, nodeName: node.name)))
            }
            let client = self.client
            var ip = ""
            guard await eventually(timeout: .seconds(90), interval: .milliseconds(100), {
                guard let pods = try? await client.list(Pod.self, namespace: "default").items else { return false }
                let running = pods.filter { $0.status?.phase == "Running" && $0.status?.podIP != nil }
                ip = running.first { $0.metadata?.name == "iperf-server" }?.status?.podIP ?? ""
                return running.count == 2
            }) else { throw BenchmarkError("the iperf pods did not start: \(node.kubelet?.stderr.suffix(1500) ?? "")") }
            serverIP = ip
            let port = ServicePort(name: "iperf", protocol: "TCP", port: 5201, targetPort: .int(5201))
            _ = try await client.create(Service(metadata: ObjectMeta(name: "iperf", namespace: "default"),
                                                spec: ServiceSpec(ports: [port], clusterIP: Self.serviceIP)))
            _ = try await client.create(Endpoints(metadata: ObjectMeta(name: "iperf", namespace: "default"), subsets: [
                EndpointSubset(addresses: [EndpointAddress(ip: ip)], ports: [EndpointPort(name: "iperf", port: 5201, protocol: "TCP")]),
            ]))
            servers.append(try ChildProcess(path: "/usr/bin/nsenter", name: "iperf3-server",
                                            ["--net=\(try sandboxNetns("iperf-server"))", "--", iperf, "-s", "-p", "5201"]))
        }

        /// The pod's sandbox network namespace file, from the kubelet's runtime records.
        func sandboxNetns(_ pod: String) throws -> String {
            let directory = node.dataDirectory + "/runtime/sandboxes"
            for id in try FileManager.default.contentsOfDirectory(atPath: directory) {
                guard let data = FileManager.default.contents(atPath: "\(directory)/\(id)/sandbox.json"),
                      let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                      object["name"] as? String == pod else { continue }
                return "\(directory)/\(id)/net"
            }
            throw BenchmarkError("no sandbox for pod \(pod)")
        }

        /// Bits per second received, one stream for 3 s from the client pod to `target`:5201.
        func measure(target: String, waitForService: Bool = true) async throws -> Double {
            let netns = try sandboxNetns("iperf-client")
            for attempt in 0..<50 {
                let child = try ChildProcess(path: "/usr/bin/nsenter", name: "iperf3-client",
                                             ["--net=\(netns)", "--", iperf, "-c", target, "-p", "5201", "-t", "3", "-J"])
                _ = await child.exitStatus(within: .seconds(30))
                let output = child.stdout
                await child.stop()
                if let data = output.data(using: .utf8),
                   let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                   let end = json["end"] as? [String: Any], let received = end["sum_received"] as? [String: Any],
                   let bits = received["bits_per_second"] as? Double, bits > 0 {
                    return bits
                }
                // The proxy may not have programmed the service yet (or the server not yet bound).
                guard waitForService, attempt < 49 else { throw BenchmarkError("iperf3 to \(target) failed: \(output.suffix(500))") }
                try await Task.sleep(for: .milliseconds(200))
            }
            throw BenchmarkError("iperf3 to \(target) never ran")
        }

        func stopServers() async {
            for server in servers { await server.stop() }
            servers = []
        }
    }

    /// The proxy's debug lines ("synced", one per sync; docs/proxy.md) matched to the API
    /// writes: for each write, the first sync whose first change came after it. `delivery` is
    /// the write to the proxy's informer hearing of it (wall clocks of two processes on one
    /// machine); `since-change` ends when nft exits, which is after the commit the monitor sees.
    struct SyncBreakdown {
        var steps: [String: [Double]] = [:]
        var matched = 0
        static let order = ["delivery", "queued", "rules", "render", "nft", "since-change"]

        init(proxyLog: String, writes: [Date]) {
            var syncs: [(change: Double, fields: [String: Double])] = []
            for line in proxyLog.split(separator: "\n") where line.hasSuffix("] synced") {
                var fields: [String: Double] = [:]
                for word in line.split(separator: " ") {
                    let pair = word.split(separator: "=", maxSplits: 1)
                    if pair.count == 2, let value = Double(pair[1]) { fields[String(pair[0])] = value }
                }
                if let change = fields["change-unix-us"] { syncs.append((change / 1e6, fields)) }
            }
            for write in writes {
                let at = write.timeIntervalSince1970
                guard let sync = syncs.first(where: { $0.change >= at }) else { continue }
                matched += 1
                steps["delivery", default: []].append((sync.change - at) * 1000)
                for name in Self.order.dropFirst() { if let value = sync.fields[name] { steps[name, default: []].append(value) } }
            }
        }

        var summary: String {
            Self.order.compactMap { name in
                steps[name].map { String(format: "%@ %.1f ms", name, ProxyBenchmarks.median($0)) }
            }.joined(separator: ", ")
        }
    }

    /// Many services, their Endpoints changed one at a time, watched land with `nft monitor`.
    final class RuleSync: @unchecked Sendable {
        let node: TestNode
        let plane: ControlPlane
        private var clients: [APIClient] = []

        init(node: TestNode, plane: ControlPlane) {
            self.node = node
            self.plane = plane
        }

        static func name(_ index: Int) -> String { "bench-\(index)" }
        static func clusterIP(_ index: Int) -> String { "10.96.\(10 + index / 250).\(index % 250 + 1)" }

        func createServices(count: Int) async throws {
            for index in 0..<8 { clients.append(try plane.newClient(component: "bench-proxy-\(index)")) }
            try await SchedulerBenchmarks.concurrently(clients, count: count, stop: StopFlag()) { client, index in
                let port = ServicePort(name: "http", protocol: "TCP", port: 80, targetPort: .int(8080))
                _ = try await client.create(Service(metadata: ObjectMeta(name: Self.name(index), namespace: "default"),
                                                    spec: ServiceSpec(ports: [port], clusterIP: Self.clusterIP(index))))
                _ = try await client.create(Endpoints(metadata: ObjectMeta(name: Self.name(index), namespace: "default"),
                                                      subsets: [Self.subset(["10.244.1.\(index % 250 + 2)", "10.244.2.\(index % 250 + 2)"])]))
            }
        }

        static func subset(_ ips: [String]) -> EndpointSubset {
            EndpointSubset(addresses: ips.map { EndpointAddress(ip: $0) }, ports: [EndpointPort(name: "http", port: 8080, protocol: "TCP")])
        }

        /// Waits until the table's service map holds every service.
        func waitForAllRules(count: Int, proxy: ChildProcess?) async throws {
            let node = self.node
            let done = await eventually(timeout: .seconds(120), interval: .milliseconds(250)) {
                let listing = (try? node.inNamespace([nft, "list", "map", "ip", "skiff-proxy", "service-ips"])) ?? ""
                return listing.components(separatedBy: "goto svc-default/bench-").count - 1 == count
            }
            guard done else { throw BenchmarkError("the proxy never programmed all \(count) services: \(proxy?.stderr.suffix(1500) ?? "")") }
        }

        /// `nft monitor new rules` in the node's namespace; its output file is read as it grows.
        func startMonitor() async throws -> ChildProcess {
            let monitor = try ChildProcess(path: "/usr/bin/nsenter", name: "nft-monitor",
                                           ["--net=/run/netns/\(node.networkNamespace)", "--", nft, "monitor", "new", "rules"])
            // nft opens its netlink socket a moment after start; an event before that is missed.
            try await Task.sleep(for: .milliseconds(300))
            return monitor
        }

        /// Moves one service's second backend to a fresh address; seconds from the API write
        /// until the monitor shows that address's dnat rule, and until the write was answered.
        func changeAndTime(sample: Int, monitor: ChildProcess) async throws -> (total: Double, write: Double, at: Date) {
            let index = (sample * 37) % services
            let fresh = "10.244.\(100 + sample / 250).\(sample % 250 + 2)"
            let client = clients[0]
            var endpoints = try await client.get(Endpoints.self, name: Self.name(index), namespace: "default")
            endpoints.subsets = [Self.subset(["10.244.1.\(index % 250 + 2)", fresh])]
            let marker = "dnat to \(fresh):8080"
            let wall = Date()
            let start = ContinuousClock.now
            _ = try await client.update(endpoints)
            let written = ContinuousClock.now - start
            var seen: ContinuousClock.Instant?
            while ContinuousClock.now - start < .seconds(10) {
                if monitor.stdout.contains(marker) {
                    seen = .now
                    break
                }
                try await Task.sleep(for: .microseconds(500))
            }
            guard let seen else { throw BenchmarkError("the rule for \(fresh) never appeared") }
            // Apart, so each change is its own sync rather than joining the previous one.
            try await Task.sleep(for: .milliseconds(30))
            return (seconds(seen - start), seconds(written), wall)
        }

        func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }

        /// Seconds nft takes to replace the whole table as one script, in a scratch namespace.
        func timeFullRewrite() throws -> Double {
            let listing = try node.inNamespace([nft, "list", "table", "ip", "skiff-proxy"])
            let scratch = "skiff-bench-proxy-\(UUID().uuidString.prefix(6).lowercased())"
            try run("/sbin/ip", ["netns", "add", scratch])
            defer { try? run("/sbin/ip", ["netns", "del", scratch]) }
            let script = "add table ip skiff-proxy\ndelete table ip skiff-proxy\n" + listing
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(scratch).nft").path
            try script.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            try run("/sbin/ip", ["netns", "exec", scratch, nft, "-f", path])
            var times: [Double] = []
            for _ in 0..<3 {
                let start = ContinuousClock.now
                try run("/sbin/ip", ["netns", "exec", scratch, nft, "-f", path])
                let elapsed = ContinuousClock.now - start
                times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
            return median(times)
        }

        private func run(_ path: String, _ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw BenchmarkError("\(path) \(arguments.joined(separator: " ")) failed") }
        }

        func close() async {
            for client in clients { await client.close() }
            clients = []
        }
    }
}
