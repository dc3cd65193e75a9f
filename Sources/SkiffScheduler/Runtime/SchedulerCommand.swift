/// `skiff-scheduler`: flags in, a SchedulerService running until SIGTERM or SIGINT. It finds
/// the apiserver through the run directory (or --server), waiting for one to register.
///
/// Concurrency: the main task runs the service; a signal source cancels it. Must never: exit
/// on SIGTERM before the in-flight bindings have been answered or cancelled.
import ArgumentParser
import Foundation
import Logging
import SkiffClient
import SkiffCommandLine

public struct SchedulerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "skiff-scheduler",
        abstract: "Assign pods to nodes, as kube-scheduler does.")

    @Option(help: "Run directory where the apiserver is registered (default $SKIFF_RUN_DIR or ./var/run).")
    var runDir: String?

    @Option(help: "An apiserver's request endpoint, instead of looking in the run directory.")
    var server: String?

    @Option(help: "That apiserver's event publisher (watches), with --server.")
    var events: String?

    @Option(help: "Schedule the pods whose spec.schedulerName is this.")
    var schedulerName = "default-scheduler"

    @Option(help: "Bindings in flight at once.")
    var parallelism = 16

    @Option(help: "Longest wait of an unschedulable pod without a cluster event before it is retried (seconds).")
    var maxUnschedulableSeconds = 60

    @Option(help: "Share of nodes to find feasible before scoring (1-100; default adaptive, as Kubernetes).")
    var percentageOfNodesToScore: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    public init() {}

    public mutating func validate() throws {
        guard parallelism > 0 else { throw ValidationError("--parallelism must be positive") }
        guard maxUnschedulableSeconds > 0 else { throw ValidationError("--max-unschedulable-seconds must be positive") }
        if let percentage = percentageOfNodesToScore, !(1...100).contains(percentage) {
            throw ValidationError("--percentage-of-nodes-to-score must be within 1...100")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    public func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "skiff.scheduler")
        let run = runDir ?? ProcessInfo.processInfo.environment["SKIFF_RUN_DIR"] ?? "./var/run"
        var configuration = Scheduler.Configuration()
        configuration.schedulerName = schedulerName
        configuration.parallelism = parallelism
        configuration.queue.maxInUnschedulable = .seconds(maxUnschedulableSeconds)
        configuration.profile.percentageOfNodesToScore = percentageOfNodesToScore
        configuration.instance = "\(schedulerName)-\(ProcessInfo.processInfo.hostName)"

        let clientConfig = ClientConfig(server: server, events: events, runDirectory: URL(fileURLWithPath: run).standardizedFileURL.path,
                                        component: "scheduler")
        let settings = configuration
        try await runUntilTerminated {
            let client = try await APIClient.connect(clientConfig, logger: logger)
            let service = SchedulerService(client: client, configuration: settings, logger: logger)
            try await service.run()
            await client.close()
        }
    }
}
