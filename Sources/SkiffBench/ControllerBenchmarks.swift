/// Reconcile throughput of the ReplicaSet controller, one process against three sharing the
/// work: on a fresh store and apiserver each time, N `skiff-controller replicaset` processes
/// start and join their shard ring; then a burst of ReplicaSets (one replica each) is created
/// by concurrent clients. The figure is ReplicaSets reconciled per second: from the first create
/// until a watch has seen every ReplicaSet's status report its pod (replicas 1 at its
/// generation). No scheduler or kubelet runs: the pods stay Pending, so the controller's work,
/// not the nodes', is measured. Goal: three instances >= 2.5x one.
///
/// Two rows: each process paced to an API budget (as every Kubernetes controller-manager is,
/// by its client's QPS), which is what sharding multiplies; and unpaced, where on a small
/// machine the store, the apiserver and the controllers share the same cores, so the total CPU
/// per reconcile bounds the rate however many instances run.
///
/// Every process is stopped by pid and every directory removed on every path.
import Foundation
import SkiffBus
import SkiffClient
import SkiffTestSupport
import SkiffWire

public struct ControllerBenchmarkOptions: Sendable {
    public var replicaSets = 2_000
    public var instances = [1, 3]
    public var clients = 32
    /// Each instance's --api-qps for the paced row (its --api-burst is the same).
    public var pacedQPS = 100
    public init() {}
}

public enum ControllerBenchmarks {
    static let goal = 2.5

    public static func run(_ options: ControllerBenchmarkOptions, stop: StopFlag,
                           log: (String) -> Void) async throws -> [ComparisonRow] {
        var rows: [ComparisonRow] = []
        for qps in [options.pacedQPS, 0] {
            var rates: [(instances: Int, rate: Double, detail: String)] = []
            for instances in options.instances {
                try stop.check()
                let (rate, detail) = try await measure(instances: instances, qps: qps, options: options, stop: stop, log: log)
                rates.append((instances, rate, detail))
            }
            guard let one = rates.first(where: { $0.instances == 1 }), let many = rates.last, many.instances > 1 else { continue }
            let pacing = qps > 0 ? "\(qps) QPS each" : "unpaced"
            var row = ComparisonRow(name: "RS controller: RS/s, \(many.instances) vs 1, \(pacing)", unit: "/s", skiff: many.rate,
                                    baseline: one.rate, baselineName: "the same controller as one process",
                                    ratio: many.rate / one.rate, goal: ">= \(goal)x", met: many.rate / one.rate >= goal)
            row.detail = rates.map { "\($0.instances) instance(s): \($0.detail)" }.joined(separator: "; ")
            rows.append(row)
        }
        return rows
    }

    static func measure(instances: Int, qps: Int, options: ControllerBenchmarkOptions, stop: StopFlag,
                        log: (String) -> Void) async throws -> (Double, String) {
        log("controllers: \(instances) replicaset instance(s), \(qps > 0 ? "\(qps) QPS" : "unpaced"): starting skiff-store and skiff-apiserver...")
        let plane = try ControlPlane()
        var controllers: [ChildProcess] = []
        var clients: [APIClient] = []
        do {
            try await plane.start(bookmarkSeconds: 5)
            for index in 0..<options.clients { clients.append(try plane.newClient(component: "bench-rs-\(index)")) }
            guard let observer = plane.client else { throw BenchmarkError("the control plane has no client") }
            for _ in 0..<instances {
                controllers.append(try ChildProcess("skiff-controller", ["replicaset", "--run-dir", plane.runDirectory,
                                                                        "--lease-seconds", "6", "--api-qps", String(qps),
                                                                        "--api-burst", String(max(qps, 100))]))
            }
            // Every instance holds a lease and has taken its share (settle is 2 s at this lease).
            guard await eventually(timeout: .seconds(60), interval: .milliseconds(100), {
                let leases = try? await observer.list(Lease.self, namespace: "kube-system",
                                                      labelSelector: "skiff.io/controller-shard=replicaset").items
                return leases?.count == instances && controllers.allSatisfy { $0.stderr.contains("caches synced") }
            }) else { throw BenchmarkError("the controllers did not start: \(controllers.map(\.stderr))") }
            try await Task.sleep(for: .seconds(3))
            try stop.check()

            let version = try await observer.list(ReplicaSet.self, namespace: "default", limit: 1).resourceVersion
            let watching = Task { try await countReconciled(observer, after: version, expected: options.replicaSets) }
            var processes: [(name: String, pid: Int32)] = [("store", plane.store?.pid ?? 0),
                                                           ("apiserver", plane.apiservers.first?.pid ?? 0)]
            processes += controllers.enumerated().map { ("controller-\($0.offset)", $0.element.pid) }
            let cpu = CPUSample(processes)
            log("controllers: creating \(options.replicaSets) ReplicaSets with \(options.clients) clients...")
            let start = MonotonicTime.now()
            try await SchedulerBenchmarks.concurrently(clients, count: options.replicaSets, stop: stop) { client, index in
                _ = try await client.create(replicaSet(index))
            }
            let created = MonotonicTime.now()
            let last = try await SchedulerBenchmarks.withDeadline(seconds: 600, watching)
            let elapsed = Double(last - start) / 1e9
            let rate = Double(options.replicaSets) / elapsed
            let detail = String(format: "%.0f RS/s (%d in %.2f s, creates done at %.2f s); ", rate, options.replicaSets,
                                elapsed, Double(created - start) / 1e9)
                + cpu.perOperation(options.replicaSets).replacingOccurrences(of: "CPU ms/write", with: "CPU ms/RS")
            for controller in controllers { await controller.stop() }
            for client in clients { await client.close() }
            await plane.stop()
            log("controllers: \(instances) instance(s): \(detail)")
            return (rate, detail)
        } catch {
            for controller in controllers { await controller.stop() }
            for client in clients { await client.close() }
            await plane.stop()
            throw error
        }
    }

    static func replicaSet(_ index: Int) -> ReplicaSet {
        let labels = ["app": "bench-\(index)"]
        return ReplicaSet(metadata: ObjectMeta(name: "bench-\(index)", namespace: "default"),
                          spec: ReplicaSetSpec(replicas: 1, selector: LabelSelector(matchLabels: labels),
                                               template: PodTemplateSpec(metadata: ObjectMeta(labels: labels),
                                                                         spec: PodSpec(containers: [Container(name: "main", image: "busybox")]))))
    }

    /// Watches ReplicaSets until `expected` report one replica at their generation; returns the
    /// monotonic time of the last.
    static func countReconciled(_ client: APIClient, after version: String, expected: Int) async throws -> UInt64 {
        var done = Set<String>()
        for try await change in client.watch(ReplicaSet.self, namespace: "default", after: version) {
            guard case .modified(let rs) = change, let name = rs.metadata?.name else { continue }
            if rs.status?.replicas == 1, rs.status?.observedGeneration == rs.metadata?.generation {
                done.insert(name)
                if done.count == expected { return MonotonicTime.now() }
            }
        }
        throw BenchmarkError("the ReplicaSet watch ended after \(done.count) of \(expected)")
    }
}
