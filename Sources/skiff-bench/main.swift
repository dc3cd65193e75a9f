// skiff-bench: Skiff measured side by side with its baselines in one run; prints the ratios.
// Results go in docs/benchmarks.md with the machine and date. SIGINT/SIGTERM stop the run at
// its next check, after which every child process is stopped and every temp dir removed.
import ArgumentParser
import Dispatch
import Foundation
import SkiffBench

@main
struct SkiffBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skiff-bench", abstract: "Benchmark Skiff against its baselines and print the ratios.")

    enum Suite: String, ExpressibleByArgument, CaseIterable {
        case all, foundation, controlPlane = "control-plane", scheduler, podStartup = "pod-startup", clusterMemory = "cluster-memory",
             controllers, proxy, dns
    }

    @Option(help: "Which benchmarks: all, foundation (bus, codec), control-plane (writes vs etcd, GET), scheduler (pods bound/s), pod-startup (creation to Running, real containers; needs root), cluster-memory (the idle cluster's resident memory; needs root) controllers (ReplicaSet reconciles/s, 3 instances vs 1), proxy (throughput through a service IP vs direct; rule sync time with 1,000 services; needs root) or dns (queries/s vs dnsmasq).")
    var suite: Suite = .all

    @Option(help: "Request/reply round trips per side.") var roundTrips = 20_000
    @Option(help: "Messages per pub/sub burst.") var burst = 25_000
    @Option(help: "Pod encode+decode iterations per side.") var codecIterations = 200_000

    @Option(help: "Concurrent writers per write level, comma-separated.") var writeClients = "1,16,64"
    @Option(help: "Writes per level and side: at least this many...") var minWrites = 2_000
    @Option(help: "...and at least this many per client.") var writesPerClient = 200
    @Option(help: "GET round trips through the apiserver.") var gets = 10_000
    @Option(help: "The etcd binary to compare the store with.") var etcd = "/usr/bin/etcd"

    @Option(help: "Scheduler: cluster sizes (nodes), comma-separated.") var schedulerNodes = "1000,5000"
    @Option(help: "Scheduler: pods created and bound per cluster size.") var schedulerPods = 10_000
    @Option(help: "Pod startup: pods created in one burst on one node.") var startupPods = 100
    @Option(help: "Controllers: ReplicaSets created in one burst.") var controllerReplicaSets = 2_000

    func validate() throws {
        let counts = writeClients.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("--write-clients must be positive integers separated by commas")
        }
        guard minWrites > 0, writesPerClient >= 0, gets > 0 else {
            throw ValidationError("--min-writes and --gets must be positive")
        }
        let nodes = schedulerNodes.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !nodes.isEmpty, nodes.allSatisfy({ ($0 ?? 0) > 0 }), schedulerPods > 0, startupPods > 0 else {
            throw ValidationError("--scheduler-nodes must be positive integers separated by commas, --scheduler-pods positive")
        }
    }

    func run() async throws {
        let stop = StopFlag()
        let signals = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("  stopping: cleaning up...\n".utf8))
                stop.raise()
            }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }

        let log: (String) -> Void = { FileHandle.standardError.write(Data(("  " + $0 + "\n").utf8)) }
        var rows: [ComparisonRow] = []
        var rawRoundTrip: LatencySummary?
        if suite == .all || suite == .foundation {
            var options = BenchmarkOptions()
            options.roundTrips = roundTrips
            options.burst = burst
            options.codecIterations = codecIterations
            let report = try await FoundationBenchmarks.run(options, log: log)
            rows += report.rows
            rawRoundTrip = report.rawRoundTrip
        }
        if (suite == .all || suite == .controlPlane) && !stop.isRaised {
            var options = ControlPlaneBenchmarkOptions()
            options.clientCounts = writeClients.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            options.minimumWrites = minWrites
            options.writesPerClient = writesPerClient
            options.gets = gets
            options.etcdExecutable = etcd
            rows += try await ControlPlaneBenchmarks.run(options, rawRoundTrip: rawRoundTrip, stop: stop, log: log)
        }
        if (suite == .all || suite == .scheduler) && !stop.isRaised {
            var options = SchedulerBenchmarkOptions()
            options.nodeCounts = schedulerNodes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            options.pods = schedulerPods
            rows += try await SchedulerBenchmarks.run(options, stop: stop, log: log)
        }
        if (suite == .all || suite == .podStartup) && !stop.isRaised {
            var options = PodStartupBenchmarkOptions()
            options.pods = startupPods
            rows += try await PodStartupBenchmarks.run(options, stop: stop, log: log)
        }
        if (suite == .all || suite == .clusterMemory) && !stop.isRaised {
            rows += try await ClusterMemoryBenchmark.run(ClusterMemoryBenchmarkOptions(), stop: stop, log: log)
        }
        if (suite == .all || suite == .controllers) && !stop.isRaised {
            var options = ControllerBenchmarkOptions()
            options.replicaSets = controllerReplicaSets
            rows += try await ControllerBenchmarks.run(options, stop: stop, log: log)
        }
        if (suite == .all || suite == .proxy) && !stop.isRaised {
            rows += try await ProxyBenchmarks.run(stop: stop, log: log)
        }
        if (suite == .all || suite == .dns) && !stop.isRaised {
            rows += try await DNSBenchmarks.run(stop: stop, log: log)
        }
        if stop.isRaised { throw ExitCode(130) }
        print("\(ProcessInfo.processInfo.hostName), \(ProcessInfo.processInfo.activeProcessorCount) cores, "
              + "\(Date().formatted(.iso8601))")
        print("what".padding(toLength: 44, withPad: " ", startingAt: 0) + "        Skiff                 baseline    ratio  goal")
        for row in rows {
            print(row.line)
            if !row.detail.isEmpty { print("    \(row.detail) (baseline: \(row.baselineName))") }
        }
    }
}
