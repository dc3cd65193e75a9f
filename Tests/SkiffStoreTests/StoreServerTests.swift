// The store over the bus: StoreClient calls answered by a StoreServer, the store's error codes
// arriving as the client's constants, events published in commit order on "store/events",
// large commits split across messages, and registration in the endpoint directory.
import Foundation
import Synchronization
import Testing
import SkiffBus
@testable import SkiffStore
import SkiffStoreClient
import SkiffWire

/// A StoreServer on inproc endpoints in a temporary directory, with a client and an event
/// subscriber; everything closed and removed at the end.
final class ServerHarness: Sendable {
    let directory: String
    let server: StoreServer
    let client: StoreClient
    let subscriber: Subscriber
    /// What the subscriber heard, filled by the consumer task.
    final class Heard: Sendable {
        let batches = Mutex<[(message: ReceivedMessage, batch: EventBatch)]>([])
        let gaps = Mutex<[Gap]>([])
    }
    let heard = Heard()
    private let consumer: Task<Void, Never>

    init(maxEventMessageBytes: Int = 4 << 20, register: Bool = false) async throws {
        directory = makeTemporaryDirectory()
        let name = "store-test-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let options = StoreServer.Options(
            dataDirectory: directory + "/data", listen: try .inproc(name), events: try .inproc(name + "-events"),
            runDirectory: register ? directory + "/run" : nil, maxEventMessageBytes: maxEventMessageBytes)
        server = try await StoreServer(options: options)
        client = try StoreClient(connectingTo: [options.listen])
        subscriber = try Subscriber()
        try subscriber.subscribe(topic: StoreClient.eventsTopic)
        try subscriber.connect(to: options.events)
        let stream = subscriber.events
        let heard = heard
        consumer = Task {
            for await event in stream {
                switch event {
                case .messages(let messages):
                    for message in messages {
                        if let batch = try? message.decode(EventBatch.self) { heard.batches.withLock { $0.append((message, batch)) } }
                    }
                case .gap(let gap):
                    heard.gaps.withLock { $0.append(gap) }
                }
            }
        }
    }

    static func with<T>(maxEventMessageBytes: Int = 4 << 20, register: Bool = false,
                        _ body: (ServerHarness) async throws -> T) async throws -> T {
        let harness = try await ServerHarness(maxEventMessageBytes: maxEventMessageBytes, register: register)
        do {
            let result = try await body(harness)
            await harness.close()
            return result
        } catch {
            await harness.close()
            throw error
        }
    }

    func close() async {
        await client.close()
        await subscriber.close()
        consumer.cancel()
        await server.close()
        removeDirectory(directory)
    }

    var events: [StoreEvent] { heard.batches.withLock { $0.flatMap(\.batch.events) } }
    var highestRevision: Int64 { events.last?.kv?.modRevision ?? 0 }

    /// Writes a key until its event is heard (nanomsg drops what is published before a
    /// subscription is live); returns that write's revision.
    func warmUp() async throws -> Int64 {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let revision = try await client.update(key: "/warmup", value: [], expectedModRevision: nil).revision ?? 0
            if await waitUntil(timeout: .milliseconds(50), { self.highestRevision >= revision }) { return revision }
        }
        throw BusError(.timeout, "the event subscription never became live")
    }
}

@Suite struct StoreServerTests {
    @Test func clientCallsReachTheStore() async throws {
        try await ServerHarness.with { harness in
            let client = harness.client
            let created = try await client.create(key: "/registry/pods/default/a", value: bytes("a1"))
            #expect(created == TxnResponse(revision: 1, succeeded: true))
            let duplicate = try await client.create(key: "/registry/pods/default/a", value: bytes("other"))
            #expect(duplicate.succeeded == false)
            #expect(duplicate.current.first?.value == bytes("a1"))

            #expect(try await client.update(key: "/registry/pods/default/a", value: bytes("a2"), expectedModRevision: 7).succeeded == false)
            #expect(try await client.update(key: "/registry/pods/default/a", value: bytes("a2"), expectedModRevision: 1).revision == 2)
            _ = try await client.create(key: "/registry/pods/default/b", value: bytes("b1"))   // 3
            _ = try await client.create(key: "/registry/pods/kube-system/c", value: bytes("c1"))  // 4
            _ = try await client.create(key: "/registry/services/default/s", value: bytes("s1"))  // 5

            let a = try #require(try await client.get("/registry/pods/default/a"))
            #expect(a == KeyValue(key: "/registry/pods/default/a", value: bytes("a2"), createRevision: 1, modRevision: 2, version: 2))
            #expect(try await client.get("/registry/pods/default/a", revision: 1)?.value == bytes("a1"))
            #expect(try await client.get("/registry/pods/default/zz") == nil)

            let pods = try await client.range(prefix: "/registry/pods/")
            #expect(pods.kvs.map(\.key) == ["/registry/pods/default/a", "/registry/pods/default/b", "/registry/pods/kube-system/c"])
            let page = try await client.range(prefix: "/registry/pods/", limit: 2)
            #expect(page.kvs.count == 2 && page.more == true && page.count == 3)

            #expect(try await client.delete(key: "/registry/pods/default/b", expectedModRevision: 2).succeeded == false)
            #expect(try await client.delete(key: "/registry/pods/default/b", expectedModRevision: 3).revision == 6)
            #expect(try await client.delete(key: "/registry/pods/default/b").revision == 6)

            let history = try await client.history(afterRevision: 4, key: "/registry/", rangeEnd: prefixEnd(for: "/registry/"))
            #expect(history.events.map { "\($0.type ?? "") \($0.kv?.key ?? "")" }
                    == ["PUT /registry/services/default/s", "DELETE /registry/pods/default/b"])
            #expect(history.events.last?.isDelete == true)
            #expect(history.revision == 6)

            #expect(try await client.compact(revision: 3) == 3)
            let status = try await client.status()
            #expect(status.revision == 6)
            #expect(status.compactRevision == 3)
            #expect(status.keys == 3)
            #expect((status.databaseBytes ?? 0) > 0)
        }
    }

    @Test func storeErrorsArriveWithTheirCodes() async throws {
        try await ServerHarness.with { harness in
            let client = harness.client
            for index in 1...5 { _ = try await client.update(key: "k", value: bytes("\(index)"), expectedModRevision: nil) }
            try await client.compact(revision: 4)
            let cases: [(BusError.Code, @Sendable () async throws -> Void)] = [
                (.futureRevision, { _ = try await client.range("k", revision: 9) }),
                (.compacted, { _ = try await client.range("k", revision: 2) }),
                (.compacted, { _ = try await client.history(afterRevision: 1) }),
                (.compacted, { try await client.compact(revision: 4) }),
                (.invalidArgument, { _ = try await client.range("") }),
                (.invalidArgument, { _ = try await client.create(key: "", value: []) }),
            ]
            for (code, call) in cases {
                do {
                    try await call()
                    Issue.record("expected \(code)")
                } catch let error as BusError {
                    #expect(error.code == code)
                }
            }
            do {
                _ = try await client.range("k", revision: 2)
            } catch let error as BusError {
                #expect(error.message == "mvcc: required revision 2 has been compacted; compact revision is 4")
            }
        }
    }

    @Test func eventsArePublishedInCommitOrderWithoutGaps() async throws {
        try await ServerHarness.with { harness in
            let start = try await harness.warmUp()
            let writers = 32, writesEach = 10
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        for index in 0..<writesEach {
                            _ = try await harness.client.create(key: "/w/\(writer)/\(index)", value: bytes("\(index)"))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let last = start + Int64(writers * writesEach)
            #expect(await waitUntil { harness.highestRevision >= last })
            let revisions = harness.events.map { $0.kv?.modRevision ?? 0 }.filter { $0 > start }
            #expect(revisions == Array(start + 1...last))
            let messages = harness.heard.batches.withLock { $0.map(\.message) }
            #expect(messages.allSatisfy { $0.topic == "store/events" && $0.envelope.epoch == harness.server.eventsEpoch })
            let sequences = messages.compactMap(\.envelope.sequence)
            #expect(sequences == Array(sequences.first!...sequences.last!))
            #expect(harness.heard.gaps.withLock { $0.isEmpty })
        }
    }

    @Test func aLargeCommitIsSplitIntoConsecutiveBatches() async throws {
        try await ServerHarness.with(maxEventMessageBytes: 450) { harness in
            let start = try await harness.warmUp()
            let keys = (1...6).map { "/big/\($0)" }
            let value = [UInt8](repeating: 7, count: 150)
            let response = try await harness.client.txn(success: keys.map { Operation(key: $0, value: value) })
            let revision = try #require(response.revision)
            #expect(await waitUntil { harness.events.filter { $0.kv?.modRevision == revision }.count == keys.count })
            let parts = harness.heard.batches.withLock { $0.map(\.batch) }.filter { $0.events.contains { $0.kv?.modRevision ?? 0 > start } }
            #expect(parts.count == 3)
            #expect(parts.allSatisfy { $0.revision == revision })
            #expect(parts.flatMap(\.events).map(\.kv?.key) == keys)
        }
    }

    @Test func serverRegistersItsEndpointsWhileOpen() async throws {
        let harness = try await ServerHarness(register: true)
        let directory = EndpointDirectory(runDirectory: harness.directory + "/run")
        let entries = directory.list().filter { $0.component == "store" }
        #expect(Set(entries.map(\.role)) == [.rep, .pub])
        #expect(entries.first { $0.role == .rep }?.url == harness.server.options.listen.url)
        #expect(entries.first { $0.role == .pub }?.url == harness.server.options.events.url)
        // The run directory holds the sockets: the cluster's user alone may enter it.
        let mode = try FileManager.default.attributesOfItem(atPath: harness.directory + "/run")[.posixPermissions] as? Int
        #expect(mode == 0o700)
        await harness.server.close()
        #expect(directory.list().isEmpty)
        await harness.close()
    }

    @Test func storeAnswersOnlyRequestsCarryingItsCredential() async throws {
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let name = "store-token-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let token = try SharedToken(SharedToken.newTokenFile().trimmingCharacters(in: .whitespacesAndNewlines))
        let options = StoreServer.Options(dataDirectory: directory + "/data", listen: try .inproc(name),
                                          events: try .inproc(name + "-events"), clientToken: token)
        let server = try await StoreServer(options: options)
        let apiserver = try StoreClient(connectingTo: [options.listen], options: RequestClient.Options(token: token.value))
        let stranger = try StoreClient(connectingTo: [options.listen])
        let impostor = try StoreClient(connectingTo: [options.listen], options: RequestClient.Options(token: token.value + "x"))
        for client in [stranger, impostor] {
            #expect(await busErrorCode { _ = try await client.create(key: "/registry/x", value: bytes("forged")) } == "Unauthenticated")
            #expect(await busErrorCode { _ = try await client.range(prefix: "/registry/") } == "Unauthenticated")
            #expect(await busErrorCode { _ = try await client.status() } == "Unauthenticated")
            // Ping still answers (busctl ls, health checks): it reveals no data.
            _ = try await client.client.call(Ping(), replyType: Pong.self, timeout: .seconds(20))
        }
        // The refused writes did not happen; the credential's holder reads and writes.
        #expect(try await apiserver.get("/registry/x") == nil)
        #expect(try await apiserver.create(key: "/registry/x", value: bytes("real")).succeeded == true)
        #expect(text(try await apiserver.get("/registry/x")?.value) == "real")
        for client in [apiserver, stranger, impostor] { await client.close() }
        await server.close()
    }
}
