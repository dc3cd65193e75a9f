// Table and golden tests for the pure parts: framing, sequence tracking, the reply cache.
import Testing
@testable import SkiffBus

@Suite struct TopicFrameTests {
    @Test(arguments: ["pods", "pods/default/web-1", "ü-topic"])
    func roundTrip(topic: String) throws {
        let body: [UInt8] = [1, 2, 0, 3]
        let size = TopicFrame.size(topic: topic, bodyCount: body.count)
        var frame = [UInt8](repeating: 0xFF, count: size)
        frame.withUnsafeMutableBytes { TopicFrame.write(topic: topic, body: body, into: $0) }
        #expect(frame == Array(topic.utf8) + [0] + body)
        let split = try #require(frame.withUnsafeBytes { bytes in
            TopicFrame.split(bytes).map { ($0.topic, Array($0.body)) }
        })
        #expect(split.0 == topic)
        #expect(split.1 == body)
    }

    @Test(arguments: [[UInt8]([]), [0, 1, 2], [0x70, 0x6F], [0xFF, 0xFE, 0, 1]])
    func malformedFrames(frame: [UInt8]) {
        #expect(frame.withUnsafeBytes { TopicFrame.split($0) } == nil)
    }

    @Test func topicValidation() {
        #expect(throws: BusError.self) { try TopicFrame.validate(topic: "") }
        #expect(throws: BusError.self) { try TopicFrame.validate(topic: "a\0b") }
        #expect(TopicFrame.filter(exactTopic: "pods") == Array("pods".utf8) + [0])
        #expect(TopicFrame.filter(prefix: "pods") == Array("pods".utf8))
    }
}

@Suite struct SequenceTrackerTests {
    typealias Step = (sender: String, topic: String, epoch: String, sequence: UInt64, verdict: SequenceTracker.Verdict)

    /// Golden script: each line is an arriving message and the expected verdict.
    @Test func script() {
        let steps: [Step] = [
            ("a", "pods", "e1", 5, .deliver),  // first contact mid-stream: not a gap
            ("a", "pods", "e1", 6, .deliver),
            ("a", "pods", "e1", 9, .deliverAfter(Gap(kind: .missed, sender: "a", topic: "pods", epoch: "e1", missed: 2, firstMissed: 7, lastMissed: 8))),
            ("a", "pods", "e1", 9, .duplicate),
            ("a", "pods", "e1", 4, .duplicate),
            ("a", "nodes", "e1", 1, .deliver),  // topics are separate streams
            ("b", "pods", "x", 1, .deliver),    // so are senders
            ("a", "pods", "e2", 1, .deliverAfter(Gap(kind: .reset(previousEpoch: "e1"), sender: "a", topic: "pods", epoch: "e2", missed: 0))),
            ("a", "pods", "e2", 2, .deliver),
            ("a", "nodes", "e2", 3, .deliverAfter(Gap(kind: .reset(previousEpoch: "e1"), sender: "a", topic: "nodes", epoch: "e2", missed: 2, firstMissed: 1, lastMissed: 2))),
            ("b", "pods", "x", 2, .deliver),
        ]
        var tracker = SequenceTracker()
        for (index, step) in steps.enumerated() {
            let verdict = tracker.observe(sender: step.sender, topic: step.topic, epoch: step.epoch, sequence: step.sequence)
            #expect(verdict == step.verdict, "step \(index)")
        }
    }

    @Test func overflowLedgerSumsPerStream() {
        var ledger = OverflowLedger()
        for sequence: UInt64 in [4, 5, 6] { ledger.record(sender: "a", topic: "t", epoch: "e", sequence: sequence) }
        ledger.record(sender: "b", topic: "t", epoch: "x", sequence: 9)
        let gaps = ledger.take()
        #expect(gaps == [
            Gap(kind: .overflow, sender: "a", topic: "t", epoch: "e", missed: 3, firstMissed: 4, lastMissed: 6),
            Gap(kind: .overflow, sender: "b", topic: "t", epoch: "x", missed: 1, firstMissed: 9, lastMissed: 9),
        ])
        #expect(ledger.isEmpty)
    }
}

@Suite struct ReplyCacheTests {
    typealias Cache = ReplyCache<String>
    let a = Cache.Key(sender: "s", requestId: "1")
    let b = Cache.Key(sender: "s", requestId: "2")

    @Test func duplicatesWhileRunningJoinAndAfterAreAnswered() {
        var cache = Cache(capacity: 10)
        #expect(isRun(cache.admit(a, route: "r1")))
        #expect(isJoined(cache.admit(a, route: "r2")))
        #expect(isJoined(cache.admit(a, route: "r3")))
        #expect(cache.complete(a, reply: [7]) == ["r2", "r3"])
        guard case .answered(let reply) = cache.admit(a, route: "r4") else {
            Issue.record("expected a cached answer")
            return
        }
        #expect(reply == [7])
        // The same id from another sender is another request.
        #expect(isRun(cache.admit(Cache.Key(sender: "t", requestId: "1"), route: "x")))
    }

    @Test func evictsOldestCompleted() {
        var cache = Cache(capacity: 1)
        _ = cache.admit(a, route: "r")
        _ = cache.complete(a, reply: [1])
        _ = cache.admit(b, route: "r")
        _ = cache.complete(b, reply: [2])
        #expect(cache.completedCount == 1)
        #expect(isRun(cache.admit(a, route: "r")))  // evicted: runs again
        guard case .answered = cache.admit(b, route: "r") else {
            Issue.record("b should still be cached")
            return
        }
    }

    @Test func abandonForgetsRunningKey() {
        var cache = Cache(capacity: 4)
        _ = cache.admit(a, route: "r1")
        _ = cache.admit(a, route: "r2")
        #expect(cache.abandon(a) == ["r2"])
        #expect(isRun(cache.admit(a, route: "r3")))
    }

    private func isRun(_ admission: Cache.Admission) -> Bool {
        if case .run = admission { return true }
        return false
    }

    private func isJoined(_ admission: Cache.Admission) -> Bool {
        if case .joined = admission { return true }
        return false
    }
}
