/// The entry point of every Skiff executable whose command lives in a library: parse, run,
/// and on any error print ArgumentParser's message and exit with its status.
///
/// ArgumentParser's own `main()` is not used: called from top-level code in a main.swift, the
/// compiler picks its synchronous overload, which refuses async commands on Linux.
import ArgumentParser

extension ParsableCommand {
    /// Parses `arguments` (default: the process's) as this root command and runs the chosen
    /// subcommand, async or not. The executable's whole `main`.
    public static func executeAsRoot(_ arguments: [String]? = nil) async {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
