// The reactor as a TaskExecutor: handlers and callers that opt in run on the reactor thread
// with no pool hop, and still work concurrently as long as they suspend.
import Foundation
import Testing
@testable import SkiffBus
import SkiffWire

@Suite struct ReactorExecutorTests {
    @Test func handlersOnTheReactorServeConcurrently() async throws {
        let reactor = BusReactor(name: "sbt-exec")
        try await BusHarness.with(reactor: reactor) { bus in
            let probe = ConcurrencyProbe()
            let server = try bus.server(options: RequestServer.Options(handlerExecutor: reactor))
            server.handle(Echo.self) { request, _ in
                probe.enter()
                defer { probe.leave() }
                #expect(currentThreadName() == "sbt-exec")
                // Suspends: the reactor keeps serving while this handler waits.
                await waitUntil(timeout: .seconds(5)) { probe.maxRunning > 1 }
                return Echo("echo: \(request.text)")
            }
            let endpoint = try bus.bind(.ipc, "exec") { endpoint throws(BusError) in try server.bind(to: endpoint) }
            let client = try bus.client([endpoint])
            let texts = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<20 {
                    group.addTask { try await client.call(Echo("\(index)"), replyType: Echo.self, timeout: .seconds(30)).text }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(texts == Set((0..<20).map { "echo: \($0)" }))
            #expect(probe.maxRunning > 1)
        }
        #expect(await waitUntil { !threadNames().contains("sbt-exec") })
    }

    @Test func callerLoopOnTheReactor() async throws {
        let reactor = BusReactor(name: "sbt-loop")
        try await BusHarness.with(reactor: reactor) { bus in
            let (_, endpoint) = try bus.echoServer(.inproc)
            let client = try bus.client([endpoint])
            let texts = try await withTaskExecutorPreference(reactor) {
                var texts: [String] = []
                for index in 0..<50 {
                    texts.append(try await client.call(Echo("\(index)"), replyType: Echo.self, timeout: .seconds(30)).text)
                }
                return texts
            }
            #expect(texts == (0..<50).map { "echo: \($0)" })
        }
    }

    @Test func jobsForAStoppedReactorRunOnThePool() async throws {
        let reactor = BusReactor(name: "sbt-idle")
        #expect(!reactor.isRunning)
        let value = await withTaskExecutorPreference(reactor) { () async -> Int in
            await Task.yield()
            return 42
        }
        #expect(value == 42)
        #expect(!reactor.isRunning)
    }
}

func currentThreadName() -> String {
    (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
}
