/// UsageCollector: the node's and its pods' resource usage, read from cgroups every period and
/// turned into metrics.k8s.io-shaped values (cpu in cores averaged over the period, memory as
/// the working set). Each report is published on the bus on topic "metrics/NODE" (for the
/// autoscaler) and kept for `skiffctl top`, which asks the kubelet for it.
///
/// Concurrency: one task runs `run()`; `latest` may be read from any task. Must never: report
/// a CPU rate from one sample (the first period reports none).
import Foundation
import Logging
import SkiffBus
import SkiffClient
import SkiffWire
import Synchronization

final class UsageCollector: Sendable {
    private struct Sample {
        var cpuNanoseconds: UInt64
        var at: ContinuousClock.Instant
    }
    private struct State {
        var previous: [String: Sample] = [:]  // container id, or "" for the node
        var latest = UsageReport()
    }

    private let nodeName: String
    private let runtime: any ContainerRuntime
    private let pods: Indexer<Pod>
    private let publisher: Publisher?
    private let period: Duration
    private let nodeUsage: @Sendable () -> ContainerUsage?
    private let state = Mutex(State())
    private let logger: Logger

    init(nodeName: String, runtime: any ContainerRuntime, pods: Indexer<Pod>, publisher: Publisher?, period: Duration,
         nodeUsage: @escaping @Sendable () -> ContainerUsage?, logger: Logger) {
        self.nodeName = nodeName
        self.runtime = runtime
        self.pods = pods
        self.publisher = publisher
        self.period = period
        self.nodeUsage = nodeUsage
        self.logger = logger
    }

    var latest: UsageReport { state.withLock { $0.latest } }

    func run() async {
        while !Task.isCancelled {
            await collect()
            try? await Task.sleep(for: period)
        }
    }

    func collect() async {
        let now = ContinuousClock.now
        let timestamp = Time(Date())
        let window = "\(period.components.seconds)s"
        let containers = ((try? await runtime.listContainers()) ?? []).filter { $0.state == .running }
        var usages: [String: ContainerUsage] = [:]
        for container in containers {
            if let usage = await runtime.usage(container.id) { usages[container.id] = usage }
        }
        let node = nodeUsage()
        let podsByUID = Dictionary(pods.list().map { (StaticPods.runtimeUID(of: $0), $0) }, uniquingKeysWith: { a, _ in a })
        let report = state.withLock { state -> UsageReport in
            var seen: [String: Sample] = [:]
            func cores(_ key: String, _ usage: ContainerUsage) -> Quantity? {
                seen[key] = Sample(cpuNanoseconds: usage.cpuNanoseconds, at: now)
                guard let before = state.previous[key], usage.cpuNanoseconds >= before.cpuNanoseconds else { return nil }
                let elapsed = now - before.at
                let nanos = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
                guard nanos > 0 else { return nil }
                let milli = Int64((Double(usage.cpuNanoseconds - before.cpuNanoseconds) / nanos * 1000).rounded(.up))
                return Quantity("\(milli)m")
            }
            var byPod: [String: [ContainerMetrics]] = [:]
            for container in containers {
                guard let usage = usages[container.id], let cpu = cores(container.id, usage) else { continue }
                byPod[container.podUID, default: []].append(ContainerMetrics(
                    name: container.name, usage: ["cpu": cpu, "memory": Quantity("\(usage.memoryWorkingSetBytes)")!]))
            }
            var report = UsageReport()
            if let node, let cpu = cores("", node) {
                report.node = NodeMetrics(metadata: ObjectMeta(name: nodeName), timestamp: timestamp, window: window,
                                          usage: ["cpu": cpu, "memory": Quantity("\(node.memoryWorkingSetBytes)")!])
            }
            for (uid, metrics) in byPod.sorted(by: { $0.key < $1.key }) {
                guard let pod = podsByUID[uid] else { continue }
                report.pods.append(PodMetrics(metadata: ObjectMeta(name: pod.metadata?.name, namespace: pod.metadata?.namespace),
                                              timestamp: timestamp, window: window,
                                              containers: metrics.sorted { ($0.name ?? "") < ($1.name ?? "") }))
            }
            state.previous = seen
            state.latest = report
            return report
        }
        if let publisher, report.node != nil {
            do { _ = try publisher.publish(report, topic: "metrics/\(nodeName)") } catch {
                logger.warning("publishing usage failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
