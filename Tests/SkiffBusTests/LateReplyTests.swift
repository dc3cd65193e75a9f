// Replies that arrive after their call gave up. nanomsg 1.1.5's REQ socket mishandles a
// reply that does not match its current request (double free at close), so the client never
// puts a new request on a socket until its late reply has drained it; these tests pin that.
import Synchronization
import Testing
@testable import SkiffBus
import SkiffWire

@Suite struct LateReplyTests {
    @Test func lateReplyReturnsTheSocketToThePool() async throws {
        try await BusHarness.with { bus in
            let gate = Gate()
            let probe = ConcurrencyProbe()
            let server = try bus.server()
            server.handleEcho(at: gate, probe: probe)
            let endpoint = try bus.bind(.ipc, "late") { endpoint throws(BusError) in try server.bind(to: endpoint) }
            let client = try bus.client([endpoint], options: RequestClient.Options(maxSockets: 2))
            let slow = Task { try await client.call(Echo("slow"), replyType: Echo.self, timeout: .seconds(1)) }
            // The handler holds the request, so its socket stays abandoned after the timeout.
            #expect(await waitUntil { probe.calls == 1 })
            await expectBusError(.timeout) { _ = try await slow.value }
            #expect(client.abandonedSocketCountForTesting == 1)
            // The other socket serves meanwhile.
            #expect(try await client.call(Echo("meanwhile"), replyType: Echo.self, timeout: .seconds(20)).text == "meanwhile")
            gate.open()
            #expect(await waitUntil { client.abandonedSocketCountForTesting == 0 })
            #expect(client.socketCount == 2)
            for index in 0..<4 {
                #expect(try await client.call(Echo("after \(index)"), replyType: Echo.self, timeout: .seconds(20)).text == "after \(index)")
            }
        }
    }

    @Test func poolFullOfAbandonedSocketsReplacesTheOldest() async throws {
        try await BusHarness.with { bus in
            let gate = Gate()
            let server = try bus.server()
            server.handleEcho(at: gate)
            let endpoint = try bus.bind(.inproc, "replace") { endpoint throws(BusError) in try server.bind(to: endpoint) }
            let client = try bus.client([endpoint], options: RequestClient.Options(maxSockets: 1))
            await expectBusError(.timeout) {
                let _: Echo = try await client.call(Echo("slow"), timeout: .milliseconds(100))
            }
            // The only socket is abandoned: the next call gets a fresh one.
            #expect(try await client.call(Echo("fresh"), replyType: Echo.self, timeout: .seconds(20)).text == "fresh")
            #expect(client.socketCount == 1)
            #expect(client.abandonedSocketCountForTesting == 0)
            // The late reply finds its socket closed, or drains it while closing; either way nothing breaks.
            gate.open()
            #expect(await waitUntil { server.inFlightCount == 0 })
            #expect(try await client.call(Echo("still"), replyType: Echo.self, timeout: .seconds(20)).text == "still")
        }
    }
}

@Suite struct RequestContextTests {
    @Test func handlerSeesTheRequestsMetadata() async throws {
        try await BusHarness.with { bus in
            let seen = SeenContext()
            let server = try bus.server()
            server.handle(Echo.self) { request, context in
                seen.record(context)
                return request
            }
            let endpoint = try bus.bind(.inproc, "context") { endpoint throws(BusError) in try server.bind(to: endpoint) }
            let client = try bus.client([endpoint], options: RequestClient.Options(sender: "me", token: "secret"))
            let _: Echo = try await client.call(Echo("x"), timeout: .seconds(30), traceId: "trace-1")
            let context = try #require(seen.context)
            #expect(context.sender == "me")
            #expect(context.token == "secret")
            #expect(context.traceId == "trace-1")
            #expect(!context.requestId.isEmpty)
            let deadline = try #require(context.deadline)
            #expect(deadline > ContinuousClock.now)
        }
    }

    @Test func expiredRequestIsNotHandled() async throws {
        try await BusHarness.with { bus in
            let probe = ConcurrencyProbe()
            let server = try bus.server()
            server.handle(Echo.self) { request, _ in
                probe.enter()
                defer { probe.leave() }
                return request
            }
            let endpoint = try bus.bind(.inproc, "expired") { endpoint throws(BusError) in try server.bind(to: endpoint) }
            let client = try bus.client([endpoint])
            var envelope = Envelope()
            envelope.type = Echo.protoName
            envelope.payload = try Echo("old").serializedBytes()
            envelope.requestId = "expired-1"
            envelope.sentAtUnixNano = 1_000_000_000  // 1970
            envelope.timeoutMillis = 1000
            let bytes = try await client.exchangeForTesting(envelope.serializedBytes(), timeout: .seconds(20))
            let reply = try Envelope(serializedBytes: bytes)
            #expect(reply.type == Failure.protoName)
            #expect(try Failure(serializedBytes: reply.payload ?? []).code == "Expired")
            #expect(probe.calls == 0)
        }
    }
}


final class SeenContext: Sendable {
    private let stored = Mutex<RequestContext?>(nil)
    func record(_ context: RequestContext) { stored.withLock { $0 = context } }
    var context: RequestContext? { stored.withLock { $0 } }
}
