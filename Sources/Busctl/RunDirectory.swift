/// RunDirectory: the `--run-dir` option `tap` and `ls` share, and how its default is found:
/// the option, else `$SKIFF_RUN_DIR`, else `./var/run` (a local cluster's run directory,
/// relative to the repository: its sockets and `endpoints/*.json`).
///
/// Concurrency: plain values; reads the environment once per call. Must never: create or
/// change anything in the run directory (busctl only reads it; `tap` drops stale entries
/// through `EndpointDirectory.list(removingStale:)`, which is the directory's own cleanup).
import ArgumentParser
import Foundation
import SkiffBus

struct RunDirectoryOptions: ParsableArguments {
    @Option(name: .customLong("run-dir"), help: ArgumentHelp(
        "The cluster's run directory, holding endpoints/*.json (default: $SKIFF_RUN_DIR, else ./var/run).",
        valueName: "dir"))
    var runDirectory: String?

    /// The run directory to use.
    func resolved(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        RunDirectory.resolve(option: runDirectory, environment: environment)
    }
}

enum RunDirectory {
    static let environmentVariable = "SKIFF_RUN_DIR"
    static let fallback = "./var/run"

    static func resolve(option: String?, environment: [String: String]) -> String {
        if let option, !option.isEmpty { return option }
        if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty { return fromEnvironment }
        return fallback
    }

    /// Why `directory` has no endpoints (of `role`) to show, for an error message.
    static func emptiness(of directory: EndpointDirectory, role: EndpointDirectory.Role? = nil) -> String {
        if !exists(directory) {
            return "run directory \(directory.runDirectory) does not exist (is the cluster running? use --run-dir or $\(environmentVariable))"
        }
        let what = switch role {
        case .pub?: "publishers"
        case .rep?: "request servers"
        case nil: "endpoints"
        }
        return "no live \(what) registered in \(directory.endpointsDirectory)"
    }

    /// Whether the run directory itself exists.
    static func exists(_ directory: EndpointDirectory) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: directory.runDirectory, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
