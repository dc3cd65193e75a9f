/// `skiff-controller NAME`: runs one controller as its own process until SIGTERM or SIGINT.
/// Several processes of one controller share its keys (`--instances-share-work`, the default,
/// through leases in kube-system); `compose/scale NAME N` starts more.
///
/// Concurrency: the main task runs the controller; a signal source cancels it. Must never: exit
/// on SIGTERM before in-flight reconciles finished and the shard lease was given back.
import ArgumentParser
import Foundation
import Logging
import SkiffClient
import SkiffCommandLine

public struct ControllerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "skiff-controller",
        abstract: "Run one Skiff controller (as a process of kube-controller-manager's).",
        discussion: "Controllers:\n" + Controllers.all.map { "  \($0.name.padding(toLength: 24, withPad: " ", startingAt: 0))\($0.summary)" }
            .joined(separator: "\n"))

    @Argument(help: "The controller to run (see the list below).")
    var name: String

    @Option(help: "Run directory where the apiserver is registered (default $SKIFF_RUN_DIR or ./var/run).")
    var runDir: String?

    @Option(help: "An apiserver's request endpoint, instead of looking in the run directory.")
    var server: String?

    @Option(help: "That apiserver's event publisher (watches), with --server.")
    var events: String?

    @Option(help: "Keys reconciled at once.")
    var workers = 5

    @Option(help: "Requests per second to the apiserver (0: unpaced), as kube-controller-manager's --kube-api-qps (20 there).")
    var apiQps: Double = 50

    @Option(help: "Requests at once before pacing applies, as --kube-api-burst (30 there).")
    var apiBurst = 100

    @Option(help: "Seconds without renewal after which an instance's keys move to the others.")
    var leaseSeconds = 15

    @Flag(help: "Run as the only instance: no shard lease (not for use beside other instances).")
    var noSharding = false

    @Option(help: "This instance's identity (default NAME-HOST-PID).")
    var identity: String?

    @Option(name: .customLong("option"), help: "A controller setting, KEY=VALUE (repeatable; see docs/controllers.md).")
    var options: [String] = []

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    public init() {}

    public mutating func validate() throws {
        guard Controllers.named(name) != nil else {
            throw ValidationError("unknown controller \(name); one of: \(Controllers.all.map(\.name).joined(separator: ", "))")
        }
        guard workers > 0 else { throw ValidationError("--workers must be positive") }
        guard apiQps >= 0, apiBurst > 0 else { throw ValidationError("--api-qps must not be negative, --api-burst must be positive") }
        guard leaseSeconds >= 1 else { throw ValidationError("--lease-seconds must be at least 1") }
        for option in options where !option.contains("=") {
            throw ValidationError("--option \(option): expected KEY=VALUE")
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
        guard let kind = Controllers.named(name) else { return }
        let logger = Logger(label: "skiff.controller.\(kind.name)")
        let run = runDir ?? ProcessInfo.processInfo.environment["SKIFF_RUN_DIR"] ?? "./var/run"
        let identity = self.identity ?? "\(kind.name)-\(ProcessInfo.processInfo.hostName)-\(getpid())"
        var configuration = ControllerRunner.Configuration()
        configuration.workers = workers
        if !noSharding {
            var sharding = ShardMembership.Configuration(controller: kind.name, identity: identity)
            sharding.leaseDuration = .seconds(leaseSeconds)
            sharding.settle = .milliseconds(min(2000, leaseSeconds * 1000 / 3))
            configuration.sharding = sharding
        }
        for option in options {
            let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
            configuration.options[parts[0]] = parts[1]
        }
        var clientConfig = ClientConfig(server: server, events: events,
                                        runDirectory: URL(fileURLWithPath: run).standardizedFileURL.path,
                                        component: "\(kind.name)-controller")
        clientConfig.qps = apiQps > 0 ? apiQps : nil
        clientConfig.burst = apiBurst
        let settings = configuration, connection = clientConfig
        try await runUntilTerminated {
            let client = try await APIClient.connect(connection, logger: logger)
            let runner = ControllerRunner(kind: kind, client: client, configuration: settings, logger: logger)
            try await runner.run()
            await client.close()
        }
    }
}
