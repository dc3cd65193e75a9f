/// `busctl`: look at a running Skiff cluster's bus: `tap` the published event streams, `call`
/// a request server, `ls` the endpoints, `keygen` a bus key. This file is the root command only; each subcommand
/// wires options to the pure pieces beside it (`TapFormatter`, `DecodedPayload`, `Redaction`,
/// `RequestBuilder`, `ReplyRenderer`, `EndpointListing`).
///
/// Concurrency: ArgumentParser runs one subcommand on the main task. Must never: print a
/// secret value, print a stack trace, or exit 0 after an error (errors are one line on stderr,
/// `error: ...`, and exit status 1).
import ArgumentParser
import SkiffCommandLine

public struct BusctlCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "busctl",
        abstract: "Inspect a Skiff cluster's message bus. Run it as bin/busctl: the busctl on Debian's PATH is systemd's unrelated D-Bus tool.",
        discussion: """
            tap and ls find the cluster through its run directory (--run-dir, else \
            $SKIFF_RUN_DIR, else ./var/run), where every publisher and request server \
            registers itself in endpoints/<sender>.<role>.json. Secret values are never \
            printed: a Secret's data and stringData values show as "<redacted>". With \
            $SKIFF_BUS_KEY_FILE set (a cluster over tcp), busctl seals and opens messages with \
            that key, as the cluster's components do.
            """,
        subcommands: [TapCommand.self, CallCommand.self, ListCommand.self, KeygenCommand.self])

    public init() {}

    /// The executable's whole `main` (see `executeAsRoot`).
    public static func execute(_ arguments: [String]? = nil) async {
        await executeAsRoot(arguments)
    }
}
