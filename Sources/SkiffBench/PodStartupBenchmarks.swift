/// Pod startup latency, as Kubernetes' pod startup SLO measures it: from the pod's creation to
/// the pod seen Running (and ready) by a watch, for a burst of pods on one node with real
/// containers (runc, CNI), images already present. A store, an apiserver, `skiff-scheduler` and
/// a `skiff-kubelet` in its own network namespace run as real processes. Each pod's time is
/// broken down from the apiserver's watch and the kubelet's runtime records:
///   scheduling  create call -> the watch shows it bound;
///   pickup      bound -> the kubelet starts its sandbox;
///   sandbox     namespaces + CNI + /etc files -> the container is being created;
///   container   bundle, overlay and `runc create/start` through skiff-shim;
///   report      started -> the watch shows it Running and ready.
/// The anchor is Kubernetes' SLO, p99 <= 5 s; the goal here is p99 <= 0.5 s.
///
/// Needs root (network namespaces, mounts, cgroups); without it the suite is skipped with the
/// reason printed. Everything it starts is stopped and removed on every path.
import Foundation
import SkiffBus
import SkiffClient
import SkiffKubelet
import SkiffTestSupport
import SkiffWire

public struct PodStartupBenchmarkOptions: Sendable {
    public var pods = 100
    /// Concurrent clients creating the pods.
    public var clients = 10
    public init() {}
}

public enum PodStartupBenchmarks {
    static let slo = 5.0
    static let goal = 0.5

    public static func run(_ options: PodStartupBenchmarkOptions, stop: StopFlag, log: (String) -> Void) async throws -> [ComparisonRow] {
        if let missing = TestNode.missingCapability {
            log("pod startup: skipped: \(missing)")
            return []
        }
        log("pod startup: starting skiff-store, skiff-apiserver, skiff-scheduler and a node...")
        let plane = try ControlPlane()
        var scheduler: ChildProcess?
        var node: TestNode?
        var clients: [APIClient] = []
        do {
            try await plane.start(bookmarkSeconds: 5)
            let started = try TestNode(plane: plane)
            node = started
            try await started.startKubelet(["--max-pods", String(options.pods + 10)])
            let child = try ChildProcess("skiff-scheduler", ["--run-dir", plane.runDirectory])
            scheduler = child
            guard let observer = plane.client else { throw BenchmarkError("the control plane has no client") }
            for index in 0..<options.clients { clients.append(try plane.newClient(component: "bench-startup-\(index)")) }

            // Warm up: the built-in busybox image is made on first use, as a pull would be.
            log("pod startup: warming up (the busybox image)...")
            _ = try await observer.create(pod("warm-up"))
            guard await eventually(timeout: .seconds(60), interval: .milliseconds(50), {
                (try? await observer.get(Pod.self, name: "warm-up", namespace: "default"))?.status?.phase == "Running"
            }) else { throw BenchmarkError("the warm-up pod did not start: \(started.kubelet?.stderr.suffix(2000) ?? "")") }
            try stop.check()

            let version = try await observer.list(Pod.self, namespace: "default", limit: 1).resourceVersion
            let watching = Task { try await observe(observer, after: version, expected: options.pods) }
            let created = Timestamps()
            let busyBefore = machineBusySeconds()
            let components = CPUSample([("store", plane.store?.pid ?? 0), ("apiserver", plane.apiservers.first?.pid ?? 0),
                                        ("scheduler", child.pid), ("kubelet", started.kubelet?.pid ?? 0)])
            log("pod startup: creating \(options.pods) pods with \(options.clients) clients...")
            try await SchedulerBenchmarks.concurrently(clients, count: options.pods, stop: stop) { client, index in
                created.set("startup-\(index)", Date())
                _ = try await client.create(pod("startup-\(index)"))
            }
            let seen = try await SchedulerBenchmarks.withDeadline(seconds: 120, watching)
            let cpuPerPod = (machineBusySeconds() - busyBefore) / Double(options.pods)
            let componentLine = components.perOperation(options.pods).replacingOccurrences(of: "CPU ms/write", with: "CPU ms/pod")
            let runtime = RuntimeRecords(directory: started.dataDirectory + "/runtime")
            var phases: [String: [Double]] = [:]
            var totals: [Double] = []
            for index in 0..<options.pods {
                let name = "startup-\(index)"
                guard let start = created.get(name), let bound = seen.bound[name], let running = seen.running[name],
                      let uid = seen.uids[name], let sandbox = runtime.sandbox(uid), let container = runtime.container(uid),
                      let startedAt = container.startedAt else { continue }
                totals.append(running.timeIntervalSince(start))
                phases["scheduling", default: []].append(bound.timeIntervalSince(start))
                phases["pickup", default: []].append(sandbox.createdAt.timeIntervalSince(bound))
                phases["sandbox", default: []].append(container.createdAt.timeIntervalSince(sandbox.createdAt))
                phases["container", default: []].append(startedAt.timeIntervalSince(container.createdAt))
                phases["report", default: []].append(running.timeIntervalSince(startedAt))
            }
            guard totals.count == options.pods else {
                throw BenchmarkError("only \(totals.count) of \(options.pods) pods could be timed")
            }
            let p50 = percentile(totals, 0.5), p99 = percentile(totals, 0.99)
            var row = ComparisonRow(name: "pod startup p99, \(options.pods) pods on 1 node", unit: "s", skiff: p99,
                                    baseline: slo, baselineName: "Kubernetes pod startup SLO (p99)", ratio: p99 / slo,
                                    goal: "p99 <= \(goal) s", met: p99 <= goal)
            row.detail = String(format: "p50 %.3f s; machine CPU %.0f ms per pod; p50/p99 by phase: ", p50, cpuPerPod * 1000) + ["scheduling", "pickup", "sandbox", "container", "report"]
                .map { String(format: "%@ %.3f/%.3f", $0, percentile(phases[$0] ?? [], 0.5), percentile(phases[$0] ?? [], 0.99)) }
                .joined(separator: ", ") + "; " + componentLine + " (the rest: runc, shims, CNI plugins, the bench)"
            for client in clients { await client.close() }
            await child.stop()
            await started.teardown()
            await plane.stop()
            return [row]
        } catch {
            for client in clients { await client.close() }
            await scheduler?.stop()
            await node?.teardown()
            await plane.stop()
            throw error
        }
    }

    /// CPU time the whole machine spent busy (user, nice, system, irq, softirq), in seconds:
    /// the pods' cost includes the runtime's child processes, which no pid list covers.
    static func machineBusySeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return 0 }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 7 else { return 0 }
        let ticks = fields[0] + fields[1] + fields[2] + fields[5] + fields[6]
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func pod(_ name: String) -> Pod {
        Pod(metadata: ObjectMeta(name: name, namespace: "default"),
            spec: PodSpec(containers: [Container(name: "main", image: "busybox", command: ["sleep", "3600"])],
                          terminationGracePeriodSeconds: 0))
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    struct Seen: Sendable {
        var bound: [String: Date] = [:]
        var running: [String: Date] = [:]
        var uids: [String: String] = [:]
    }

    /// Watches until `expected` startup pods are Running and ready; when each was first seen
    /// bound and Running.
    static func observe(_ client: APIClient, after version: String, expected: Int) async throws -> Seen {
        var seen = Seen()
        for try await change in client.watch(Pod.self, namespace: "default", after: version) {
            switch change {
            case .added(let pod), .modified(let pod): record(pod, &seen)
            case .deleted, .bookmark: continue
            }
            if seen.running.count == expected { return seen }
        }
        throw BenchmarkError("the pod watch ended after \(seen.running.count) of \(expected) running pods")
    }

    static func record(_ pod: Pod, _ seen: inout Seen) {
        guard let name = pod.metadata?.name, name.hasPrefix("startup-") else { return }
        let now = Date()
        seen.uids[name] = pod.metadata?.uid
        if let node = pod.spec?.nodeName, !node.isEmpty, seen.bound[name] == nil { seen.bound[name] = now }
        let ready = pod.status?.conditions.contains { $0.type == "Ready" && $0.status == "True" } == true
        if pod.status?.phase == "Running", ready, seen.running[name] == nil { seen.running[name] = now }
    }

    /// Create times, written by concurrent creators.
    final class Timestamps: @unchecked Sendable {
        private var values: [String: Date] = [:]
        private let lock = NSLock()
        func set(_ key: String, _ date: Date) { lock.withLock { values[key] = date } }
        func get(_ key: String) -> Date? { lock.withLock { values[key] } }
    }

    /// The kubelet's runtime records (sandbox.json, container.json), read after the run.
    struct RuntimeRecords {
        private struct ContainerFile: Decodable { var container: RuntimeContainer }
        var sandboxes: [String: RuntimeSandbox] = [:]
        var containers: [String: RuntimeContainer] = [:]

        init(directory: String) {
            let fm = FileManager.default
            for id in (try? fm.contentsOfDirectory(atPath: directory + "/sandboxes")) ?? [] {
                if let data = fm.contents(atPath: "\(directory)/sandboxes/\(id)/sandbox.json"),
                   let sandbox = try? JSONDecoder().decode(RuntimeSandbox.self, from: data) { sandboxes[sandbox.podUID] = sandbox }
            }
            for id in (try? fm.contentsOfDirectory(atPath: directory + "/containers")) ?? [] {
                if let data = fm.contents(atPath: "\(directory)/containers/\(id)/container.json"),
                   let file = try? JSONDecoder().decode(ContainerFile.self, from: data) { containers[file.container.podUID] = file.container }
            }
        }

        func sandbox(_ uid: String) -> RuntimeSandbox? { sandboxes[uid] }
        func container(_ uid: String) -> RuntimeContainer? { containers[uid] }
    }
}
