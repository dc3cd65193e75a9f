/// `busctl ls`: list the run directory's endpoint directory (`EndpointListing`): every
/// publisher and request server with its process's liveness, and for live request servers the
/// request types they handle (asked with Ping) or "unreachable".
///
/// Concurrency: pings run concurrently, each bounded by --ping-timeout. Must never: delete or
/// rewrite an entry, or hang on a server that does not answer.
import ArgumentParser
import SkiffBus
import SkiffCommandLine

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the cluster's bus endpoints and what each request server handles.",
        discussion: """
            Reads RUN/endpoints/*.json. ALIVE says whether the registering process still \
            exists (entries of dead processes are shown, not removed). Live request servers \
            are pinged (skiff.wire.v1.Ping); HANDLES lists their request types, or \
            "unreachable".
            """)

    @OptionGroup var runDirectory: RunDirectoryOptions

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    @Option(help: ArgumentHelp("Seconds to wait for each request server's Pong.", valueName: "seconds"))
    var pingTimeout: Double = 1

    func validate() throws {
        if !(pingTimeout > 0 && pingTimeout.isFinite) { throw ValidationError("--ping-timeout must be a positive number of seconds") }
    }

    func run() async throws {
        let directory = EndpointDirectory(runDirectory: runDirectory.resolved())
        let (json, pingTimeout) = (json, pingTimeout)
        try await reportingErrors {
            guard RunDirectory.exists(directory) else { throw BusctlError(RunDirectory.emptiness(of: directory)) }
            let statuses = await EndpointListing.probe(EndpointListing.read(directory), timeout: .seconds(pingTimeout))
            if json {
                FileDescriptorSink.standardOutput.write(line: EndpointListing.json(statuses).prettyText())
                return
            }
            guard !statuses.isEmpty else {
                FileDescriptorSink.standardError.write(line: "busctl: \(RunDirectory.emptiness(of: directory))")
                return
            }
            for line in EndpointListing.tableLines(statuses) { FileDescriptorSink.standardOutput.write(line: line) }
        }
    }
}
