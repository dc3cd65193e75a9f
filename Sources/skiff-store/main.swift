// skiff-store: the cluster's source of truth (etcd's semantics on SQLite), served on the bus.
// Only wires: parses flags, opens a StoreServer, closes it on SIGTERM/SIGINT.
import ArgumentParser
import Dispatch
import Foundation
import SkiffBus
import SkiffStore

@main
struct SkiffStoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skiff-store",
        abstract: "Serve the cluster's key-value store (etcd's semantics on SQLite) on the bus.",
        discussion: """
            Requests (RangeRequest, TxnRequest, HistoryRequest, CompactRequest, StoreStatusRequest) \
            are answered on --listen; every commit's events are published as EventBatch on topic \
            "store/events" at --events.
            """)

    @Option(help: "Directory holding store.db (created if missing).")
    var dataDir: String

    @Option(help: "Request endpoint (default: ipc://<run-dir>/store.sock).")
    var listen: String?

    @Option(help: "Event publisher endpoint (default: ipc://<run-dir>/store-events.sock).")
    var events: String?

    @Option(help: "Run directory for sockets and the endpoint directory (default: $SKIFF_RUN_DIR or ./var/run).")
    var runDir: String?

    @Option(help: "Revisions of history kept by auto-compaction; 0 keeps all.")
    var historyRevisions: Int64 = 10_000

    @Option(help: "Answer only requests carrying the token in this file (one base64 line, mode 0600, e.g. from `busctl keygen`; give apiservers the same file as --store-token-file). Without it, anyone who reaches the socket may use the store.")
    var clientTokenFile: String?

    func validate() throws {
        if let clientTokenFile {
            do throws(BusError) { _ = try SharedToken(file: clientTokenFile) } catch {
                throw ValidationError("--client-token-file: \(error.message)")
            }
        }
        guard !dataDir.isEmpty else { throw ValidationError("--data-dir must not be empty") }
        guard historyRevisions >= 0 else { throw ValidationError("--history-revisions must be 0 or more") }
        for (flag, url) in [("--listen", listen), ("--events", events)] {
            guard let url else { continue }
            do {
                _ = try BusEndpoint(url)
            } catch {
                throw ValidationError("\(flag): \(error.message)")
            }
        }
    }

    func run() async throws {
        // Absolute, so the socket paths advertised in the endpoint directory are clean.
        let runDirectory = URL(fileURLWithPath: runDir ?? ProcessInfo.processInfo.environment["SKIFF_RUN_DIR"] ?? "./var/run")
            .standardizedFileURL.path
        do {
            // 0700: the sockets in it are reachable by the cluster's user alone.
            try PrivateDirectory.prepare(runDirectory)
        } catch {
            throw ValidationError("run directory: \(error.message)")
        }
        let options = StoreServer.Options(
            dataDirectory: dataDir,
            listen: try BusEndpoint(listen ?? "ipc://\(runDirectory)/store.sock"),
            events: try BusEndpoint(events ?? "ipc://\(runDirectory)/store-events.sock"),
            runDirectory: runDirectory,
            engine: StoreEngine.Options(historyRevisions: historyRevisions),
            clientToken: try clientTokenFile.map { try SharedToken(file: $0) })
        if options.clientToken == nil {
            FileHandle.standardError.write(Data("skiff-store: no --client-token-file: any process that reaches the store's socket may use it\n".utf8))
        }
        let server: StoreServer
        do {
            server = try await StoreServer(options: options)
        } catch {
            FileHandle.standardError.write(Data("skiff-store: \(error)\n".utf8))
            throw ExitCode.failure
        }
        let signals = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { Task { await server.close() } }
            source.resume()
            return source
        }
        // Unbuffered: whoever started us may be waiting for this line on a pipe.
        FileHandle.standardOutput.write(Data(
            "skiff-store: serving revision \(server.revision) at \(options.listen), events at \(options.events)\n".utf8))
        await server.run()
        for source in signals { source.cancel() }
    }
}
