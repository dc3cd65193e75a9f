// Group commit under concurrency: many writers at once all succeed with distinct revisions,
// the commit listener hears every event once, in revision order, with no gaps, and compares
// inside one batch see the writes before them.
import Synchronization
import Testing
import SkiffBus
@testable import SkiffStore
import SkiffWire

@Suite struct GroupCommitTests {
    @Test func concurrentWritersGetDistinctRevisionsAndEventsArriveInOrder() async throws {
        let recorder = CommitRecorder()
        let writers = 64, writesEach = 25
        try await withEngine(onCommit: recorder.listener) { engine, _ in
            let responses = try await withThrowingTaskGroup(of: [TxnResponse].self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        var responses: [TxnResponse] = []
                        for index in 0..<writesEach {
                            // Pairs of keys in one transaction: both events share a revision.
                            responses.append(try await engine.txn(TxnRequest(success: [
                                Operation(key: "w\(writer)/\(index)/a", value: bytes("\(writer)")),
                                Operation(key: "w\(writer)/\(index)/b", value: bytes("\(writer)")),
                            ])))
                        }
                        return responses
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let total = Int64(writers * writesEach)
            #expect(responses.allSatisfy { $0.succeeded == true })
            #expect(responses.compactMap(\.revision).sorted() == Array(1...total))
            #expect(engine.revision == total)

            let events = recorder.events
            #expect(events.count == Int(total) * 2)
            #expect(events.map { $0.kv?.modRevision ?? 0 } == (1...total).flatMap { [$0, $0] })
            // Each commit reports the revision its last event reached, increasing.
            let commits = recorder.revisions
            #expect(commits == commits.sorted() && Set(commits).count == commits.count)
            #expect(commits.last == total)
            #expect(events == (try await engine.allHistory()))
        }
    }

    @Test func oneOfManyConcurrentCreatesWins() async throws {
        try await withEngine { engine, _ in
            let create = TxnRequest(compare: [Compare(key: "only", modRevision: 0)], success: [Operation(key: "only", value: [1])])
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<64 { group.addTask { try await engine.txn(create).succeeded == true } }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.count { $0 } == 1)
            #expect(engine.revision == 1)
        }
    }

    @Test func compareAndSwapIncrementsLoseNoUpdate() async throws {
        try await withEngine { engine, _ in
            try await engine.put("counter", "0")
            let tasks = 16, incrementsEach = 20
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<tasks {
                    group.addTask {
                        for _ in 0..<incrementsEach {
                            while true {
                                let current = try #require(try await engine.get("counter"))
                                let next = Int(text(current.value) ?? "")! + 1
                                let response = try await engine.txn(TxnRequest(
                                    compare: [Compare(key: "counter", modRevision: current.modRevision)],
                                    success: [Operation(key: "counter", value: bytes("\(next)"))]))
                                if response.succeeded == true { break }
                                #expect(response.current.first?.key == "counter")
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let counter = try #require(try await engine.get("counter"))
            #expect(text(counter.value) == "\(tasks * incrementsEach)")
            #expect(counter.version == Int64(tasks * incrementsEach + 1))
        }
    }
}
