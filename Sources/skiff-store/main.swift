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

    func validate() throws {
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
            try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("cannot create run directory \(runDirectory): \(error.localizedDescription)")
        }
        let options = StoreServer.Options(
            dataDirectory: dataDir,
            listen: try BusEndpoint(listen ?? "ipc://\(runDirectory)/store.sock"),
            events: try BusEndpoint(events ?? "ipc://\(runDirectory)/store-events.sock"),
            runDirectory: runDirectory,
            engine: StoreEngine.Options(historyRevisions: historyRevisions))
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
