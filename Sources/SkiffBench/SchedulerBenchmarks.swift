/// The scheduler's throughput, in the shape of Kubernetes' scheduler_perf SchedulingBasic: a
/// store, an apiserver and `skiff-scheduler` as real processes; N Node objects (4 CPU, 32Gi,
/// 110 pods, Ready, as scheduler_perf's node-default) registered through the API; then M pods
/// (100m CPU, 500Mi, as its pod-default) created through the API by concurrent clients while the
/// scheduler runs. The figure is pods bound per second end to end: from the first create to the
/// last pod seen bound by a watch. The anchor is kube-scheduler's CI floor for SchedulingBasic at
/// 5,000 nodes, 810 pods/s (on a much larger machine); the goal here is >= 1,000 pods/s on 2 cores.
///
/// Every process is stopped by pid and every directory removed on every path, an error or an
/// interrupt (StopFlag) included.
import Foundation
import SkiffBus
import SkiffClient
import SkiffTestSupport
import SkiffWire

public struct SchedulerBenchmarkOptions: Sendable {
    /// Cluster sizes, each measured on a fresh control plane.
    public var nodeCounts = [1_000, 5_000]
    /// Pods created (and bound) per cluster size.
    public var pods = 10_000
    /// Concurrent API clients creating nodes and pods.
    public var clients = 64
    /// The scheduler's --parallelism (bindings in flight).
    public var bindParallelism = 16
    public init() {}
}

public enum SchedulerBenchmarks {
    /// kube-scheduler's throughput floor in Kubernetes' CI for SchedulingBasic at 5,000 nodes.
    static let kubernetesFloor = 810.0
    static let goal = 1_000.0

    public static func run(_ options: SchedulerBenchmarkOptions, stop: StopFlag,
                           log: (String) -> Void) async throws -> [ComparisonRow] {
        var rows: [ComparisonRow] = []
        for nodes in options.nodeCounts {
            try stop.check()
            rows.append(try await measure(nodes: nodes, options: options, stop: stop, log: log))
        }
        return rows
    }

    static func measure(nodes nodeCount: Int, options: SchedulerBenchmarkOptions, stop: StopFlag,
                        log: (String) -> Void) async throws -> ComparisonRow {
        log("scheduler: starting skiff-store and skiff-apiserver...")
        let plane = try ControlPlane()
        var scheduler: ChildProcess?
        var clients: [APIClient] = []
        do {
            try await plane.start(bookmarkSeconds: 5)
            for index in 0..<options.clients { clients.append(try plane.newClient(component: "bench-sched-\(index)")) }
            log("scheduler: registering \(nodeCount) nodes...")
            let nodeStart = MonotonicTime.now()
            try await concurrently(clients, count: nodeCount, stop: stop) { client, index in
                try await register(benchNode(index), client)
            }
            let nodeSeconds = Double(MonotonicTime.now() - nodeStart) / 1e9

            log("scheduler: starting skiff-scheduler...")
            let child = try ChildProcess("skiff-scheduler", ["--run-dir", plane.runDirectory,
                                                             "--parallelism", String(options.bindParallelism)])
            scheduler = child
            guard await eventually(timeout: .seconds(60), interval: .milliseconds(50), {
                child.stderr.contains("caches synced") || !child.isRunning
            }), child.isRunning else {
                throw BenchmarkError("skiff-scheduler did not start: \(child.stderr)")
            }
            try stop.check()

            guard let observer = plane.client else { throw BenchmarkError("the control plane has no client") }
            let version = try await observer.list(Pod.self, namespace: "default", limit: 1).resourceVersion
            let watching = Task { try await countBound(observer, after: version, expected: options.pods) }
            let processes: [(name: String, pid: Int32)] = [
                ("store", plane.store?.pid ?? 0), ("apiserver", plane.apiservers.first?.pid ?? 0),
                ("scheduler", child.pid), ("bench", getpid()),
            ]
            let cpu = CPUSample(processes)
            log("scheduler: creating \(options.pods) pods with \(options.clients) clients...")
            let start = MonotonicTime.now()
            try await concurrently(clients, count: options.pods, stop: stop) { client, index in
                _ = try await client.create(benchPod(index))
            }
            let created = MonotonicTime.now()
            let lastBound = try await withDeadline(seconds: 300, watching)
            let elapsed = Double(lastBound - start) / 1e9
            let createSeconds = Double(created - start) / 1e9
            let rate = Double(options.pods) / elapsed
            let cpuLine = cpu.perOperation(options.pods).replacingOccurrences(of: "CPU ms/write", with: "CPU ms/pod")

            // SIGTERM first, so its closing summary (events dropped, binding conflicts) can be read.
            kill(child.pid, SIGTERM)
            _ = await child.exitStatus(within: .seconds(30))
            let output = child.stderr.split(separator: "\n")
            let summary = output.last { $0.contains("stopped") }.map(String.init) ?? ""
            let warnings = output.filter { $0.contains(" warning ") || $0.contains(" error ") }.prefix(3)
            await child.stop()
            scheduler = nil
            for client in clients { await client.close() }
            await plane.stop()

            var row = ComparisonRow(name: "scheduler: pods bound/s, \(nodeCount) nodes", unit: "/s", skiff: rate,
                                    baseline: kubernetesFloor, baselineName: "kube-scheduler CI floor, SchedulingBasic 5000 nodes",
                                    ratio: rate / kubernetesFloor, goal: ">= \(Int(goal))/s", met: rate >= goal)
            row.detail = String(format: "%d pods in %.2f s (creates done at %.2f s, %.0f creates/s); %d nodes registered in %.1f s; ",
                                options.pods, elapsed, createSeconds, Double(options.pods) / createSeconds, nodeCount,
                                nodeSeconds) + cpuLine + "; scheduler: " + Self.counters(in: summary)
                + warnings.map { "\n    scheduler said: " + $0 }.joined()
            return row
        } catch {
            await scheduler?.stop()
            for client in clients { await client.close() }
            await plane.stop()
            throw error
        }
    }

    /// "bound=10000 bindConflicts=0 eventsDropped=312" from the scheduler's closing log line.
    static func counters(in line: String) -> String {
        ["bound", "bindConflicts", "bindErrors", "eventsDropped"].compactMap { name -> String? in
            guard let range = line.range(of: name + "=") else { return nil }
            return name + "=" + line[range.upperBound...].prefix { $0.isNumber }
        }.joined(separator: " ")
    }

    /// scheduler_perf's node-default: 4 CPU, 32Gi, 110 pods; Ready.
    static func benchNode(_ index: Int) -> Node {
        let allocatable: [String: Quantity] = ["cpu": "4", "memory": "32Gi", "pods": "110"]
        return Node(metadata: ObjectMeta(name: "node-\(index)", labels: ["kubernetes.io/hostname": "node-\(index)"]),
                    status: NodeStatus(capacity: allocatable, allocatable: allocatable,
                                       conditions: [NodeCondition(type: "Ready", status: "True")]))
    }

    /// scheduler_perf's pod-default: one pause container asking 100m CPU and 500Mi.
    static func benchPod(_ index: Int) -> Pod {
        let resources: [String: Quantity] = ["cpu": "100m", "memory": "500Mi"]
        return Pod(metadata: ObjectMeta(name: "pod-\(index)", namespace: "default"),
                   spec: PodSpec(containers: [Container(name: "pause", image: "registry.k8s.io/pause:3.10",
                                                        resources: ResourceRequirements(limits: resources, requests: resources))]))
    }

    /// Creates the node, then reports its status as a kubelet would (status is ignored on create).
    static func register(_ node: Node, _ client: APIClient) async throws {
        var created = try await client.create(Node(metadata: node.metadata, spec: node.spec))
        created.status = node.status
        _ = try await client.updateStatus(created)
    }

    /// Runs `operation` for 0..<count, client i taking i, i+n, i+2n...
    static func concurrently(_ clients: [APIClient], count: Int, stop: StopFlag,
                             _ operation: @escaping @Sendable (APIClient, Int) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (offset, client) in clients.enumerated() {
                group.addTask {
                    var index = offset
                    while index < count {
                        try stop.check()
                        try await operation(client, index)
                        index += clients.count
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Watches pods from `version` until `expected` distinct pods were seen with a node; returns
    /// the monotonic time of the last one.
    static func countBound(_ client: APIClient, after version: String, expected: Int) async throws -> UInt64 {
        var bound = Set<String>()
        for try await change in client.watch(Pod.self, namespace: "default", after: version) {
            switch change {
            case .added(let pod), .modified(let pod):
                if let node = pod.spec?.nodeName, !node.isEmpty, let name = pod.metadata?.name {
                    bound.insert(name)
                    if bound.count == expected { return MonotonicTime.now() }
                }
            case .deleted, .bookmark:
                continue
            }
        }
        throw BenchmarkError("the pod watch ended after \(bound.count) of \(expected) bound pods")
    }

    static func withDeadline<T: Sendable>(seconds: Int, _ task: Task<T, any Error>) async throws -> T {
        let timer = Task {
            try await Task.sleep(for: .seconds(seconds))
            task.cancel()
        }
        defer { timer.cancel() }
        do {
            return try await task.value
        } catch is CancellationError {
            throw BenchmarkError("not every pod was bound within \(seconds) s")
        }
    }
}
