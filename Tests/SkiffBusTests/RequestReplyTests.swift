// Request/reply end to end over inproc, ipc and tcp: typed calls, Ping, Failure replies,
// timeouts, restarts, concurrency, duplicates, size limits, cancellation.
import Foundation
import Synchronization
import Testing
@testable import SkiffBus
import SkiffWire

@Suite struct RequestReplyTests {
    @Test(arguments: TestTransport.allCases)
    func echoAndPing(transport: TestTransport) async throws {
        try await BusHarness.with { bus in
            let (server, endpoint) = try bus.echoServer(transport)
            let client = try bus.client([endpoint])
            let reply: Echo = try await client.call(Echo("hello"), timeout: .seconds(20))
            #expect(reply.text == "echo: hello")

            let pong = try await client.call(Ping(), replyType: Pong.self, timeout: .seconds(20))
            #expect(pong.component == "test-server")
            #expect(pong.pid == Int64(getpid()))
            #expect(pong.startedAtUnixNano == server.startedAtUnixNano)
            #expect(pong.handles == [Echo.protoName, Ping.protoName].sorted())
        }
    }

    @Test func failuresAreRepliesAndTheServerKeepsServing() async throws {
        struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
        try await BusHarness.with { bus in
            let server = try bus.server()
            server.handle(Echo.self) { request, _ in
                switch request.text {
                case "throw": throw Boom()
                case "refuse": throw BusError(BusError.Code("Forbidden"), "not you")
                case "wrong": return Ping()
                default: return Echo(request.text)
                }
            }
            let endpoint = try bus.bind(.inproc, "failures") { endpoint throws(BusError) in try server.bind(to: endpoint) }
            let client = try bus.client([endpoint])

            await expectBusError(.handlerFailed, containing: "boom") {
                let _: Echo = try await client.call(Echo("throw"), timeout: .seconds(20))
            }
            await expectBusError(BusError.Code("Forbidden"), containing: "not you") {
                let _: Echo = try await client.call(Echo("refuse"), timeout: .seconds(20))
            }
            await expectBusError(.unexpectedReply, containing: Ping.protoName) {
                let _: Echo = try await client.call(Echo("wrong"), timeout: .seconds(20))
            }
            await expectBusError(.noHandler, containing: Blob.protoName) {
                let _: Blob = try await client.call(Blob(count: 3), timeout: .seconds(20))
            }
            // An Echo whose payload is not an Echo.
            var envelope = Envelope()
            envelope.type = Echo.protoName
            envelope.payload = [0x00, 0x01]
            let reply = try await client.call(envelope: envelope, timeout: .seconds(20))
            #expect(reply.type == Failure.protoName)
            let failure = try Failure(serializedBytes: reply.payload ?? [])
            #expect(failure.code == "BadRequest")
            #expect(failure.message?.contains(Echo.protoName) == true)

            let echo: Echo = try await client.call(Echo("still here"), timeout: .seconds(20))
            #expect(echo.text == "still here")
        }
    }

    @Test func garbageThatIsNotAnEnvelopeGetsBadRequest() async throws {
        try await BusHarness.with { bus in
            let (_, endpoint) = try bus.echoServer(.inproc)
            let client = try bus.client([endpoint])
            // Bypass the envelope: 0xFF 0xFF... is not valid protobuf.
            let bytes = try await client.exchangeForTesting([0xFF, 0xFF, 0xFF], timeout: .seconds(20))
            let reply = try Envelope(serializedBytes: bytes)
            #expect(reply.type == Failure.protoName)
            #expect(try Failure(serializedBytes: reply.payload ?? []).code == "BadRequest")
        }
    }

    @Test func slowHandlerTimesOut() async throws {
        try await BusHarness.with { bus in
            let gate = Gate()
            let probe = ConcurrencyProbe()
            let server = try bus.server()
            server.handleEcho(at: gate, probe: probe)
            let endpoint = try bus.bind(.ipc, "slow") { endpoint throws(BusError) in try server.bind(to: endpoint) }
            let client = try bus.client([endpoint])
            await expectBusError(.timeout, containing: "no reply") {
                let _: Echo = try await client.call(Echo("slow"), timeout: .milliseconds(200))
            }
            let reply: Echo = try await client.call(Echo("fast"), timeout: .seconds(20))
            #expect(reply.text == "fast")
            gate.open()
        }
    }

    /// A request that reaches the server after its deadline is not handled, and the caller
    /// sees a timeout either way (whichever side notices first).
    @Test func requestPastItsDeadlineIsATimeout() async throws {
        try await BusHarness.with { bus in
            let (_, endpoint) = try bus.echoServer(.inproc)
            let client = try bus.client([endpoint])
            await expectBusError(.timeout) {
                let _: Echo = try await client.call(Echo("late"), timeout: .zero)
            }
        }
    }

    @Test func callToNobodyTimesOut() async throws {
        try await BusHarness.with { bus in
            let client = try bus.client([bus.endpoint(.ipc, "nobody")])
            await expectBusError(.timeout) {
                let _: Echo = try await client.call(Echo("anyone?"), timeout: .milliseconds(100))
            }
        }
    }

    @Test func serverRestartOnTheSameEndpoint() async throws {
        try await BusHarness.with { bus in
            let endpoint = bus.endpoint(.ipc, "restart")
            let first = try bus.server("first")
            try first.bind(to: endpoint)
            let client = try bus.client([endpoint])
            let before = try await client.call(Ping(), replyType: Pong.self, timeout: .seconds(20))
            #expect(before.component == "first")

            await first.close()
            #expect(!FileManager.default.fileExists(atPath: endpoint.address))
            let second = try bus.server("second")
            try second.bind(to: endpoint)
            let after = try await client.call(Ping(), replyType: Pong.self, timeout: .seconds(20))
            #expect(after.component == "second")
        }
    }

    @Test func callMadeBeforeTheServerExistsIsAnsweredWhenItAppears() async throws {
        try await BusHarness.with { bus in
            let endpoint = bus.endpoint(.ipc, "late")
            let client = try bus.client([endpoint])
            let started = Atomic<Bool>(false)
            async let reply: Echo = {
                started.store(true, ordering: .relaxed)
                return try await client.call(Echo("early"), timeout: .seconds(20))
            }()
            await waitUntil { started.load(ordering: .relaxed) }
            let server = try bus.server()
            server.handle(Echo.self) { request, _ in Echo(request.text) }
            try server.bind(to: endpoint)
            #expect(try await reply.text == "early")
        }
    }

    @Test func manyConcurrentCallsRunConcurrently() async throws {
        try await BusHarness.with { bus in
            let probe = ConcurrencyProbe()
            let server = try bus.server()
            server.handle(Echo.self) { request, _ in
                probe.enter()
                defer { probe.leave() }
                // Hold each handler until a second one is running (or a while has passed), so
                // concurrency is observed without relying on timing.
                await waitUntil(timeout: .seconds(5)) { probe.maxRunning > 1 }
                return Echo("echo: \(request.text)")
            }
            let endpoint = try bus.bind(.tcp, "many") { endpoint throws(BusError) in try server.bind(to: endpoint) }
            let client = try bus.client([endpoint])
            let replies = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let reply: Echo = try await client.call(Echo("\(index)"), timeout: .seconds(60))
                        return (index, reply.text)
                    }
                }
                var replies: [Int: String] = [:]
                for try await (index, text) in group { replies[index] = text }
                return replies
            }
            #expect(replies.count == 200)
            #expect(replies.allSatisfy { $0.value == "echo: \($0.key)" })
            #expect(probe.calls == 200)
            #expect(probe.maxRunning > 1)
            #expect(client.socketCount <= RequestClient.Options().maxSockets)
        }
    }

    @Test func callsWaitForASocketWhenThePoolIsExhausted() async throws {
        try await BusHarness.with { bus in
            let (_, endpoint) = try bus.echoServer(.inproc)
            let client = try bus.client([endpoint], options: RequestClient.Options(maxSockets: 1))
            let texts = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<20 {
                    group.addTask { try await client.call(Echo("\(index)"), replyType: Echo.self, timeout: .seconds(20)).text }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(texts == Set((0..<20).map { "echo: \($0)" }))
            #expect(client.socketCount == 1)
        }
    }

    @Test func duplicateRequestIdsRunTheHandlerOnce() async throws {
        try await BusHarness.with { bus in
            let gate = Gate()
            let probe = ConcurrencyProbe()
            let server = try bus.server()
            server.handle(Echo.self) { request, _ in
                probe.enter()
                defer { probe.leave() }
                await gate.wait()
                return Echo("ran \(probe.calls)")
            }
            let endpoint = try bus.bind(.ipc, "dup") { endpoint throws(BusError) in try server.bind(to: endpoint) }
            // Two clients (two connections) send the same request id, as a resend after a
            // reconnect would.
            let first = try bus.client([endpoint])
            let second = try bus.client([endpoint])
            var envelope = Envelope()
            envelope.type = Echo.protoName
            envelope.payload = try Echo("x").serializedBytes()
            envelope.requestId = "fixed-id-1"
            envelope.sender = "the-client"
            let request = envelope
            async let a = first.call(envelope: request, timeout: .seconds(20))
            await waitUntil { probe.running == 1 }
            async let b = second.call(envelope: request, timeout: .seconds(20))
            // The copy has arrived and joined the running request (no second handler starts).
            await waitUntil { server.pendingDuplicatesForTesting == 1 }
            gate.open()
            let (replyA, replyB) = try await (a, b)
            #expect(replyA.payload == replyB.payload)
            #expect(try Echo(serializedBytes: replyA.payload ?? []).text == "ran 1")
            // After completion: answered from the reply cache.
            let replyC = try await second.call(envelope: request, timeout: .seconds(20))
            #expect(replyC.payload == replyA.payload)
            #expect(probe.calls == 1)
            // Another sender's same id is another request.
            var other = request
            other.sender = "someone-else"
            _ = try await first.call(envelope: other, timeout: .seconds(20))
            #expect(probe.calls == 2)
        }
    }

    @Test func oversizeMessagesFailAtSend() async throws {
        try await BusHarness.with { bus in
            let limit = 4096
            let server = try bus.server(options: RequestServer.Options(maxMessageSize: limit))
            server.handle(Blob.self) { request, _ in Blob(count: request.bytes.count * 4) }
            let endpoint = try bus.bind(.ipc, "big") { endpoint throws(BusError) in try server.bind(to: endpoint) }
            let client = try bus.client([endpoint], options: RequestClient.Options(maxMessageSize: limit))
            await expectBusError(.tooLarge, containing: "bus limit of 4096") {
                let _: Blob = try await client.call(Blob(count: limit), timeout: .seconds(20))
            }
            // A request that fits, whose reply does not: the server sends TooLarge instead.
            await expectBusError(.tooLarge, containing: "reply") {
                let _: Blob = try await client.call(Blob(count: 2000), timeout: .seconds(20))
            }
            let fits: Blob = try await client.call(Blob(count: 100), timeout: .seconds(20))
            #expect(fits.bytes.count == 400)
        }
    }

    @Test func cancellingACallFreesItsSocket() async throws {
        try await BusHarness.with { bus in
            let gate = Gate()
            let server = try bus.server()
            server.handle(Echo.self) { request, _ in
                if request.text == "hang" { await gate.wait() }
                return Echo(request.text)
            }
            let endpoint = try bus.bind(.inproc, "cancel") { endpoint throws(BusError) in try server.bind(to: endpoint) }
            let client = try bus.client([endpoint], options: RequestClient.Options(maxSockets: 1))
            let task = Task { try await client.call(Echo("hang"), replyType: Echo.self, timeout: .seconds(60)) }
            await waitUntil { server.inFlightCount == 1 }
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            let reply: Echo = try await client.call(Echo("next"), timeout: .seconds(20))
            #expect(reply.text == "next")
            gate.open()
        }
    }

    @Test func closedClientFailsCalls() async throws {
        try await BusHarness.with { bus in
            let (_, endpoint) = try bus.echoServer(.inproc)
            let client = try bus.client([endpoint])
            await client.close()
            await expectBusError(.closed) {
                let _: Echo = try await client.call(Echo("late"), timeout: .seconds(1))
            }
        }
    }

    @Test func runReturnsWhenClosed() async throws {
        try await BusHarness.with { bus in
            let (server, _) = try bus.echoServer(.inproc)
            let running = Task { await server.run() }
            await server.close()
            await running.value
            #expect(server.isClosed)
        }
    }
}

func expectBusError(_ code: BusError.Code, containing text: String = "", sourceLocation: SourceLocation = #_sourceLocation,
                    _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected BusError \(code), got success", sourceLocation: sourceLocation)
    } catch let error as BusError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(text.isEmpty || error.message.contains(text), "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected BusError \(code), got \(error)", sourceLocation: sourceLocation)
    }
}
