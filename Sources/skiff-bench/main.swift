// skiff-bench: Skiff measured side by side with its baselines in one run; prints the ratios.
// Results go in docs/benchmarks.md with the machine and date.
import ArgumentParser
import Foundation
import SkiffBench

@main
struct SkiffBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skiff-bench", abstract: "Benchmark Skiff against its baselines and print the ratios.")

    @Option(help: "Request/reply round trips per side.") var roundTrips = 20_000
    @Option(help: "Messages per pub/sub burst.") var burst = 25_000
    @Option(help: "Pod encode+decode iterations per side.") var codecIterations = 200_000

    func run() async throws {
        var options = BenchmarkOptions()
        options.roundTrips = roundTrips
        options.burst = burst
        options.codecIterations = codecIterations
        let log: (String) -> Void = { FileHandle.standardError.write(Data(("  " + $0 + "\n").utf8)) }
        let rows = try await FoundationBenchmarks.run(options, log: log)
        print("\(ProcessInfo.processInfo.hostName), \(ProcessInfo.processInfo.activeProcessorCount) cores, "
              + "\(Date().formatted(.iso8601))")
        print("what".padding(toLength: 44, withPad: " ", startingAt: 0) + "        Skiff                 baseline    ratio  goal")
        for row in rows {
            print(row.line)
            if !row.detail.isEmpty { print("    \(row.detail) (baseline: \(row.baselineName))") }
        }
    }
}
