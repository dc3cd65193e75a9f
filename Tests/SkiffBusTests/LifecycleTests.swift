// Lifecycle: no thread left after close, close waits for handlers, and the endpoint
// directory that tools read.
import Foundation
import Testing
@testable import SkiffBus
import SkiffWire

@Suite struct LifecycleTests {
    /// Everything closed leaves no bus thread: a private reactor's thread (found by name in
    /// /proc/self/task) exists while sockets are open and is gone after close.
    @Test func cleanShutdownLeavesNoThread() async throws {
        let name = "sbt-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        let reactor = BusReactor(name: name)
        #expect(!threadNames().contains(name))
        var server: RequestServer?
        var client: RequestClient?
        var subscriber: Subscriber?
        var publisher: Publisher?
        try await BusHarness.with(reactor: reactor) { bus in
            let (echo, endpoint) = try bus.echoServer(.ipc)
            let requests = try bus.client([endpoint])
            let pub = try bus.publisher()
            let pubEndpoint = try bus.bind(.ipc, "pub") { endpoint throws(BusError) in try pub.bind(to: endpoint) }
            let sub = try bus.subscriber()
            try sub.subscribe(prefix: "")
            try sub.connect(to: pubEndpoint)
            let collector = EventCollector(sub)
            try await warmUp(pub, collector)
            let reply: Echo = try await requests.call(Echo("hi"), timeout: .seconds(20))
            #expect(reply.text == "echo: hi")
            #expect(threadNames().filter { $0 == name }.count == 1)
            #expect(reactor.isRunning)
            (server, client, subscriber, publisher) = (echo, requests, sub, pub)
        }
        // The harness closed everything.
        #expect(server?.isClosed == true)
        #expect(client?.isClosed == true)
        #expect(subscriber?.isClosed == true)
        #expect(publisher?.isClosed == true)
        #expect(reactor.registrationCount == 0)
        #expect(await waitUntil { !threadNames().contains(name) })
        #expect(!reactor.isRunning)

        // And it starts again on demand.
        try await BusHarness.with(reactor: reactor) { bus in
            let (_, endpoint) = try bus.echoServer(.inproc)
            let requests = try bus.client([endpoint])
            let reply: Echo = try await requests.call(Echo("again"), timeout: .seconds(20))
            #expect(reply.text == "echo: again")
        }
        #expect(await waitUntil { !threadNames().contains(name) })
    }

    @Test func closeWaitsForRunningHandlers() async throws {
        let gate = Gate()
        let probe = ConcurrencyProbe()
        try await BusHarness.with { bus in
            let server = try bus.server()
            server.handle(Echo.self) { _, _ in
                probe.enter()
                defer { probe.leave() }
                await gate.wait()  // leaves when close() cancels the handler
                return Echo("late")
            }
            let endpoint = try bus.bind(.inproc, "closing") { endpoint throws(BusError) in try server.bind(to: endpoint) }
            let client = try bus.client([endpoint])
            let call = Task { try await client.call(Echo("x"), replyType: Echo.self, timeout: .seconds(60)) }
            await waitUntil { probe.running == 1 }
            await server.close()
            #expect(probe.running == 0)
            #expect(server.inFlightCount == 0)
            call.cancel()
            _ = try? await call.value
        }
    }

    @Test func directoryEntriesFollowBindAndClose() async throws {
        try await BusHarness.with { bus in
            let directory = EndpointDirectory(runDirectory: bus.directory + "/run")
            let server = try bus.server("apiserver", options: RequestServer.Options(sender: "apiserver-1", directory: directory))
            let serverEndpoint = try bus.bind(.tcp, "rep") { endpoint throws(BusError) in try server.bind(to: endpoint) }
            let publisher = try bus.publisher("apiserver", options: Publisher.Options(sender: "apiserver-1", directory: directory))
            let pubEndpoint = try bus.bind(.ipc, "pub") { endpoint throws(BusError) in try publisher.bind(to: endpoint) }

            let entries = directory.list()
            #expect(entries == [
                EndpointDirectory.Entry(component: "apiserver", sender: "apiserver-1", pid: getpid(), role: .pub,
                                        url: pubEndpoint.url, urls: [pubEndpoint.url]),
                EndpointDirectory.Entry(component: "apiserver", sender: "apiserver-1", pid: getpid(), role: .rep,
                                        url: serverEndpoint.url, urls: [serverEndpoint.url]),
            ])
            #expect(directory.list(role: .pub).map(\.url) == [pubEndpoint.url])
            let file = directory.endpointsDirectory + "/apiserver-1.pub.json"
            let json = try #require(FileManager.default.contents(atPath: file))
            let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
            #expect(object["component"] as? String == "apiserver")
            #expect(object["role"] as? String == "pub")
            #expect(object["url"] as? String == pubEndpoint.url)
            #expect(object["pid"] as? Int == Int(getpid()))

            // A client found through the directory reaches the server.
            let found = try #require(directory.list(role: .rep).first)
            let client = try bus.client(found.endpoints)
            let pong = try await client.call(Ping(), replyType: Pong.self, timeout: .seconds(20))
            #expect(pong.component == "apiserver")

            publisher.close()
            await server.close()
            #expect(directory.list().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: file))
        }
    }

    @Test func directoryDropsEntriesOfDeadProcesses() throws {
        let harness = BusHarness()
        defer { try? FileManager.default.removeItem(atPath: harness.directory) }
        let directory = EndpointDirectory(runDirectory: harness.directory)
        // Far above any pid_max: no such process.
        let dead = EndpointDirectory.Entry(component: "gone", sender: "gone-1", pid: 999_999_999, role: .rep, url: "ipc:///tmp/gone.sock")
        let live = EndpointDirectory.Entry(component: "here", sender: "here-1", pid: getpid(), role: .pub, url: "inproc://here")
        try directory.register(dead)
        try directory.register(live)
        try Data("not json".utf8).write(to: URL(fileURLWithPath: directory.endpointsDirectory + "/junk.rep.json"))
        #expect(directory.list() == [live])
        #expect(FileManager.default.fileExists(atPath: directory.endpointsDirectory + "/gone-1.rep.json"))
        #expect(directory.list(removingStale: true) == [live])
        #expect(!FileManager.default.fileExists(atPath: directory.endpointsDirectory + "/gone-1.rep.json"))
        // No temporary files left by the atomic writes.
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.endpointsDirectory).sorted()
        #expect(names == ["here-1.pub.json", "junk.rep.json"])
    }
}
