/// `skiffctl`: the user's command-line tool, kubectl's commands and output for Skiff. This file
/// is the root command only; each subcommand (Commands/) wires its flags to the pure pieces:
/// ManifestLoader, ApplyPlan, ObjectTable, ObjectDocuments, ObjectDescription, MetadataEdits.
///
/// Concurrency: ArgumentParser runs one subcommand on the main task. Must never: print a stack
/// trace, or exit 0 after printing an error (errors are one line on stderr and exit status 1).
import ArgumentParser
import SkiffCommandLine

public struct SkiffctlCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "skiffctl",
        abstract: "Control a Skiff cluster: kubectl's commands, for Skiff.",
        discussion: """
            The apiserver is found from --server, else $SKIFF_SERVER, else the kubeconfig's \
            server, else the apiserver registered in the run directory (--run-dir, else \
            $SKIFF_RUN_DIR, else ./var/run). Credentials: --token, else $SKIFF_TOKEN, else the \
            kubeconfig's user (--kubeconfig, else $SKIFF_KUBECONFIG, else ./var/kubeconfig).
            """,
        subcommands: [GetCommand.self, DescribeCommand.self, ApplyCommand.self, CreateCommand.self,
                      ReplaceCommand.self, DeleteCommand.self, PatchCommand.self, LabelCommand.self,
                      AnnotateCommand.self, ScaleCommand.self, ExposeCommand.self, RolloutCommand.self, LogsCommand.self, ExecCommand.self, TopCommand.self, ImageCommand.self, AuthCommand.self])

    public init() {}

    /// Parses `arguments` (default: the process's) and runs the subcommand, exiting with
    /// ArgumentParser's status and message on a usage error. The executable's whole `main`.
    /// (ArgumentParser's own `main()` is not used: from top-level code the compiler picks its
    /// synchronous overload, which refuses async commands on Linux.)
    public static func execute(_ arguments: [String]? = nil) async {
        await executeAsRoot(movingGlobalOptions(arguments ?? Array(CommandLine.arguments.dropFirst())))
    }

    /// The global options a user may write before the subcommand, as with kubectl
    /// (`skiffctl -n shop get pods`); each takes a value.
    static let globalOptions: Set<String> = ["--server", "--events", "--run-dir", "--token", "--kubeconfig", "-n", "--namespace"]

    /// `arguments` with global options written before the subcommand moved after its name
    /// (after a command group's subcommand's name), where every subcommand declares them.
    public static func movingGlobalOptions(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            guard globalOptions.contains(name) else { break }
            leading.append(argument)
            if !argument.contains("="), index + 1 < arguments.count {
                leading.append(arguments[index + 1])
                index += 1
            }
            index += 1
        }
        guard !leading.isEmpty, index < arguments.count else { return arguments }
        // A command group (`rollout status`, `auth can-i`, `create secret generic`) takes them
        // after the deepest subcommand named; `create -f` (its default) right after `create`.
        var path = 0
        var commands: [any ParsableCommand.Type] = configuration.subcommands
        while index + path < arguments.count,
              let command = commands.first(where: { $0.configuration.commandName == arguments[index + path] }) {
            path += 1
            commands = command.configuration.subcommands
        }
        path = max(path, 1)
        return Array(arguments[index..<(index + path)]) + leading + arguments[(index + path)...]
    }
}
