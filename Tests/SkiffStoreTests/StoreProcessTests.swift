// The real skiff-store binary as a child process: kill -9 in the middle of concurrent writes
// loses no acknowledged write and never half-applies a transaction; SIGTERM closes cleanly;
// bad flags fail with a message. The binary comes from the same build products directory as
// this test bundle (`swift build --product skiff-store` with the same scratch path first).
import Foundation
import Synchronization
import Testing
import SkiffBus
import SkiffStoreClient
import SkiffWire
import SkiffTestSupport

/// One skiff-store child process (SkiffTestSupport's ChildProcess), its stdout and stderr kept
/// for messages. Killed and its output removed when released.
final class StoreProcess: Sendable {
    private let child: ChildProcess

    /// The skiff-store binary next to this test bundle; fails (never skips) when missing.
    static func binary() throws -> String {
        let testBinary = Bundle.main.executablePath ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        // On platforms where tests are a bundle, the executable sits inside it.
        while directory.path.contains(".xctest") { directory.deleteLastPathComponent() }
        let path = directory.appendingPathComponent("skiff-store").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BusError(.transport, "skiff-store is not built: \(path) is missing. Build it first with "
                           + "`swift build --product skiff-store` using the same --scratch-path as the tests.")
        }
        return path
    }

    init(arguments: [String]) throws {
        // The store answers this process's clients: it gets the same bus keys, if any.
        child = try ChildProcess(path: try Self.binary(), name: "skiff-store", arguments, environment: ChildProcess.inheritedBusKeys)
    }

    deinit {
        child.crash()
        child.removeOutput()
    }

    var pid: Int32 { child.pid }
    var text: String { child.stdout + child.stderr }
    var termination: Termination? { child.termination }

    func waitUntilServing() async throws {
        guard await waitUntil({ self.text.contains("skiff-store: serving") || !self.child.isRunning }),
              child.isRunning else {
            throw BusError(.timeout, "skiff-store did not start: \(text)")
        }
    }

    /// Waits for the process to end; returns its exit status (nil if it did not end in time).
    func waitForExit() async -> Int32? {
        guard await waitUntil({ !self.child.isRunning }) else { return nil }
        return child.termination?.status
    }

    func kill(_ signal: Int32) { child.signal(signal) }
}

/// What each crash-test writer has had acknowledged, by writer.
final class AckLedger: Sendable {
    private let state: Mutex<(acked: [Int], total: Int)>

    init(writers: Int) { state = Mutex((Array(repeating: 0, count: writers), 0)) }

    func ack(writer: Int, generation: Int) {
        state.withLock { s in
            s.acked[writer] = generation
            s.total += 1
        }
    }

    var acked: [Int] { state.withLock { $0.acked } }
    var total: Int { state.withLock { $0.total } }
}

@Suite(.serialized) struct StoreProcessTests {
    static func value(writer: Int, generation: Int) -> [UInt8] { bytes("w\(writer) g\(generation)") }

    static func generation(of kv: KeyValue?) -> Int? {
        guard let text = text(kv?.value), let g = text.split(separator: "g").last else { return nil }
        return Int(g)
    }

    /// Writes pair generations for `writer` until a call fails (the store was killed). Each
    /// transaction writes both keys of the pair, guarded by the first key's modRevision.
    static func write(writer: Int, client: StoreClient, ledger: AckLedger) async {
        let a = "/crash/\(writer)/a", b = "/crash/\(writer)/b"
        do {
            let current = try await client.get(a)
            var generation = generation(of: current) ?? 0
            var modRevision = current?.modRevision ?? 0
            while true {
                generation += 1
                var compare = [Compare(key: a, modRevision: modRevision)]
                if modRevision == 0 { compare.append(Compare(key: b, modRevision: 0)) }
                let response = try await client.txn(compare: compare, success: [
                    Operation(key: a, value: value(writer: writer, generation: generation)),
                    Operation(key: b, value: value(writer: writer, generation: generation)),
                ])
                guard response.succeeded == true, let revision = response.revision else {
                    Issue.record("writer \(writer): generation \(generation) lost its compare: \(response.current)")
                    return
                }
                modRevision = revision
                ledger.ack(writer: writer, generation: generation)
            }
        } catch {
            // The store went away mid-call: expected once it is killed.
        }
    }

    @Test func killNineLosesNoAcknowledgedWriteAndNoTransactionHalfApplied() async throws {
        let root = makeTemporaryDirectory("skiff-crash")
        defer { removeDirectory(root) }
        let listen = "ipc://\(root)/store.sock"
        let arguments = ["--data-dir", root + "/data", "--run-dir", root + "/run", "--listen", listen,
                         "--events", "ipc://\(root)/events.sock"]
        let writers = 16
        let ledger = AckLedger(writers: writers)
        var lastRevision: Int64 = 0

        for round in 1...5 {
            let store = try StoreProcess(arguments: arguments)
            defer { store.kill(SIGKILL) }
            try await store.waitUntilServing()
            let client = try StoreClient(connectingTo: listen, options: RequestClient.Options(maxSockets: writers + 1))

            // Everything acknowledged before the last kill is there, both keys of a pair alike.
            let status = try await client.status()
            #expect(status.revision ?? 0 >= lastRevision, "round \(round): revision went back")
            let acked = ledger.acked
            for writer in 0..<writers {
                let a = try await client.get("/crash/\(writer)/a"), b = try await client.get("/crash/\(writer)/b")
                let generationA = Self.generation(of: a) ?? 0, generationB = Self.generation(of: b) ?? 0
                #expect(generationA == generationB, "round \(round), writer \(writer): pair half-applied: \(generationA) vs \(generationB)")
                // At most one transaction per writer was in flight at the kill.
                #expect(generationA >= acked[writer] && generationA <= acked[writer] + 1,
                        "round \(round), writer \(writer): generation \(generationA), acknowledged \(acked[writer])")
            }

            // Write concurrently and kill the store at a random point.
            let target = ledger.total + Int.random(in: 20...600)
            let tasks = (0..<writers).map { writer in
                Task { await Self.write(writer: writer, client: client, ledger: ledger) }
            }
            let progressed = await waitUntil(timeout: .seconds(60)) { ledger.total >= target }
            #expect(progressed, "round \(round): writes stalled at \(ledger.total) acknowledgements; store says: \(store.text)")
            store.kill(SIGKILL)
            #expect(await store.waitForExit() != nil)
            #expect(store.termination == .signaled(SIGKILL), "round \(round): the store was not killed: \(store.text)")
            // Closing the client fails the calls in flight (their outcome stays unknown).
            await client.close()
            for task in tasks { await task.value }
            lastRevision = Int64(ledger.total)  // at least one revision per acknowledged write
        }

        // A last start checks the final round, then SIGTERM ends the store cleanly.
        let store = try StoreProcess(arguments: arguments)
        defer { store.kill(SIGKILL) }
        try await store.waitUntilServing()
        let client = try StoreClient(connectingTo: listen)
        let acked = ledger.acked
        for writer in 0..<writers {
            let a = try await client.get("/crash/\(writer)/a"), b = try await client.get("/crash/\(writer)/b")
            let generation = Self.generation(of: a) ?? 0
            #expect(generation == Self.generation(of: b) ?? 0, "writer \(writer): pair half-applied")
            #expect(generation >= acked[writer] && generation <= acked[writer] + 1, "writer \(writer): acknowledged \(acked[writer]), found \(generation)")
        }
        #expect(try await client.status().revision ?? 0 >= lastRevision)
        await client.close()
        store.kill(SIGTERM)
        #expect(await store.waitForExit() == 0, "store output: \(store.text)")
    }

    @Test func sigtermClosesCleanlyAndKeepsTheData() async throws {
        let root = makeTemporaryDirectory("skiff-term")
        defer { removeDirectory(root) }
        let arguments = ["--data-dir", root + "/data", "--run-dir", root + "/run"]
        let directory = EndpointDirectory(runDirectory: root + "/run")

        let first = try StoreProcess(arguments: arguments)
        defer { first.kill(SIGKILL) }
        try await first.waitUntilServing()
        #expect(first.text.contains("serving revision 0 at ipc://\(root)/run/store.sock"))
        #expect(Set(directory.list().filter { $0.component == "store" }.map(\.role)) == [.rep, .pub])
        let client = try StoreClient(connectingTo: "ipc://\(root)/run/store.sock")
        #expect(try await client.create(key: "/kept", value: bytes("yes")).revision == 1)
        await client.close()
        first.kill(SIGTERM)
        #expect(await first.waitForExit() == 0, "store output: \(first.text)")
        #expect(directory.allEntries().isEmpty)

        let second = try StoreProcess(arguments: arguments)
        defer { second.kill(SIGKILL) }
        try await second.waitUntilServing()
        #expect(second.text.contains("serving revision 1"))
        let again = try StoreClient(connectingTo: "ipc://\(root)/run/store.sock")
        #expect(text(try await again.get("/kept")?.value) == "yes")
        await again.close()
        second.kill(SIGINT)
        #expect(await second.waitForExit() == 0)
    }

    @Test(arguments: [
        ([], "--data-dir"),
        (["--data-dir", "/tmp/x", "--listen", "http://nope"], "unsupported transport"),
        (["--data-dir", "/tmp/x", "--history-revisions", "-5"], "--history-revisions"),
        (["--data-dir", "/tmp/x", "--bogus"], "--bogus"),
    ])
    func badFlagsFailWithAMessage(arguments: [String], message: String) async throws {
        let store = try StoreProcess(arguments: arguments)
        defer { store.kill(SIGKILL) }
        let status = await store.waitForExit()
        #expect(status != nil && status != 0)
        #expect(store.text.contains(message), "output: \(store.text)")
    }
}
