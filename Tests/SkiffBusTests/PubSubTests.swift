// Publish/subscribe end to end: ordering and sequence numbers per transport, topic filters,
// several publishers, and every kind of gap (real loss, publisher restart, slow consumer).
import Foundation
import Testing
@testable import SkiffBus
import SkiffWire

@Suite struct PubSubTests {
    @Test(arguments: TestTransport.allCases)
    func messagesArriveInOrderWithSequenceNumbers(transport: TestTransport) async throws {
        try await BusHarness.with { bus in
            let publisher = try bus.publisher()
            let endpoint = try bus.bind(transport, "pub") { endpoint throws(BusError) in try publisher.bind(to: endpoint) }
            let subscriber = try bus.subscriber()
            try subscriber.subscribe(topic: "warmup")
            try subscriber.subscribe(prefix: "pods")
            try subscriber.connect(to: endpoint)
            let collector = EventCollector(subscriber)
            try await warmUp(publisher, collector)

            for index in 1...100 { try publisher.publish(Echo("pod \(index)"), topic: "pods") }
            try publisher.publish(Echo("ignored"), topic: "nodes")
            try publisher.publish(Echo("prefix match"), topic: "pods/default")
            #expect(await waitUntil { collector.messages(topic: "pods/default").count == 1 })

            let pods = collector.messages(topic: "pods")
            #expect(pods.count == 100)
            let texts = pods.map { (try? $0.decode(Echo.self))?.text }
            #expect(texts == (1...100).map { "pod \($0)" })
            #expect(pods.map(\.envelope.sequence) == (1...100).map { UInt64($0) })
            #expect(pods.allSatisfy { $0.envelope.sender == publisher.sender && $0.envelope.epoch == publisher.epoch && $0.envelope.topic == "pods" })
            #expect(collector.messages(topic: "pods/default").first?.envelope.sequence == 1)
            #expect(collector.messages(topic: "nodes").isEmpty)
            #expect(collector.gaps.isEmpty)
        }
    }

    @Test func exactTopicSubscriptionDoesNotMatchLongerTopics() async throws {
        try await BusHarness.with { bus in
            let publisher = try bus.publisher()
            let endpoint = try bus.bind(.inproc, "exact") { endpoint throws(BusError) in try publisher.bind(to: endpoint) }
            let subscriber = try bus.subscriber()
            try subscriber.subscribe(topic: "warmup")
            try subscriber.subscribe(topic: "pods")
            try subscriber.connect(to: endpoint)
            let collector = EventCollector(subscriber)
            try await warmUp(publisher, collector)
            try publisher.publish(Echo("no"), topic: "podsandboxes")
            try publisher.publish(Echo("yes"), topic: "pods")
            #expect(await waitUntil { collector.messages(topic: "pods").count == 1 })
            #expect(collector.messages(topic: "podsandboxes").isEmpty)
        }
    }

    @Test func oneSubscriberSeveralPublishers() async throws {
        try await BusHarness.with { bus in
            let subscriber = try bus.subscriber()
            try subscriber.subscribe(prefix: "")
            let collector = EventCollector(subscriber)
            var publishers: [Publisher] = []
            for index in 0..<3 {
                let publisher = try bus.publisher("pub\(index)", options: Publisher.Options(sender: "pub-\(index)"))
                let endpoint = try bus.bind(.ipc, "multi") { endpoint throws(BusError) in try publisher.bind(to: endpoint) }
                try subscriber.connect(to: endpoint)
                try await warmUp(publisher, collector)
                publishers.append(publisher)
            }
            for publisher in publishers {
                for _ in 0..<10 { try publisher.publish(Echo(publisher.sender), topic: "events") }
            }
            #expect(await waitUntil { collector.messages(topic: "events").count == 30 })
            for publisher in publishers {
                let mine = collector.messages(topic: "events").filter { $0.envelope.sender == publisher.sender }
                #expect(mine.map(\.envelope.sequence) == (1...10).map { UInt64($0) })
            }
            #expect(collector.gaps.isEmpty)
        }
    }

    /// A real drop: the subscriber stops reading, the publisher (tiny NN_SNDBUF) overruns
    /// every buffer on the way and nanomsg discards; the subscriber reports exactly how many.
    @Test func gapFromRealLoss() async throws {
        try await BusHarness.with { bus in
            let publisher = try bus.publisher(options: Publisher.Options(sendBufferSize: 4096))
            let endpoint = try bus.bind(.ipc, "lossy") { endpoint throws(BusError) in try publisher.bind(to: endpoint) }
            let subscriber = try bus.subscriber(options: Subscriber.Options(receiveBufferSize: 4096))
            try subscriber.subscribe(prefix: "")
            try subscriber.connect(to: endpoint)
            let collector = EventCollector(subscriber)
            try await warmUp(publisher, collector)

            subscriber.pause()
            // 20 MB against a few hundred KiB of socket buffers: most must be dropped.
            let burst = 20_000
            let text = String(repeating: "x", count: 1000)
            for _ in 0..<burst { try publisher.publish(Echo(text), topic: "t") }
            subscriber.resume()
            // Keep publishing markers until one gets through, then account for every number.
            var last: UInt64 = 0
            let got = await waitUntilAsync {
                last = (try? publisher.publish(Echo("marker"), topic: "t")) ?? last
                return await waitUntil(timeout: .milliseconds(50)) {
                    collector.messages(topic: "t").contains { $0.envelope.sequence == last }
                }
            }
            #expect(got)
            let received = collector.messages(topic: "t")
            let gaps = collector.gaps.filter { $0.topic == "t" }
            #expect(!gaps.isEmpty)
            #expect(gaps.allSatisfy { $0.kind == .missed && $0.sender == publisher.sender && $0.epoch == publisher.epoch })
            let missed = gaps.reduce(0) { $0 + $1.missed }
            #expect(missed > 0)
            #expect(UInt64(received.count) + missed == last)
            #expect(received.map { $0.envelope.sequence! } == received.map { $0.envelope.sequence! }.sorted())
        }
    }

    @Test func publisherRestartIsReportedAsReset() async throws {
        try await BusHarness.with { bus in
            let endpoint = bus.endpoint(.ipc, "restart")
            let first = try bus.publisher(options: Publisher.Options(sender: "pods-publisher"))
            try first.bind(to: endpoint)
            let subscriber = try bus.subscriber()
            try subscriber.subscribe(prefix: "")
            try subscriber.connect(to: endpoint)
            let collector = EventCollector(subscriber)
            try await warmUp(first, collector)
            try first.publish(Echo("one"), topic: "pods")
            #expect(await waitUntil { collector.messages(topic: "pods").count == 1 })
            first.close()

            let second = try bus.publisher(options: Publisher.Options(sender: "pods-publisher"))
            try second.bind(to: endpoint)
            #expect(second.epoch != first.epoch)
            try await warmUp(second, collector)
            try second.publish(Echo("two"), topic: "pods")
            #expect(await waitUntil { collector.messages(topic: "pods").count == 2 })
            let resets = collector.gaps.filter { $0.topic == "pods" }
            #expect(resets == [Gap(kind: .reset(previousEpoch: first.epoch), sender: "pods-publisher", topic: "pods",
                                   epoch: second.epoch, missed: 0)])
        }
    }

    @Test func slowConsumerGetsOverflowGap() async throws {
        try await BusHarness.with { bus in
            let publisher = try bus.publisher()
            let endpoint = try bus.bind(.inproc, "overflow") { endpoint throws(BusError) in try publisher.bind(to: endpoint) }
            let subscriber = try bus.subscriber(options: Subscriber.Options(bufferedBatches: 1))
            try subscriber.subscribe(prefix: "")
            try subscriber.connect(to: endpoint)
            // Warm up by hand: the consumer is not reading yet.
            var iterator = subscriber.events.makeAsyncIterator()
            await waitUntilAsync {
                _ = try? publisher.publish(Echo("w"), topic: "warmup")
                return await waitUntil(timeout: .milliseconds(20)) { subscriber.statistics.received > 0 }
            }
            // The stream holds one batch and nobody reads: publish one at a time, each one its
            // own drain, so everything after the buffered batch overflows.
            let receivedBefore = subscriber.statistics.received
            let overflowedBefore = subscriber.statistics.overflowed
            for index in 1...10 {
                try publisher.publish(Echo("\(index)"), topic: "t")
                #expect(await waitUntil { subscriber.statistics.received >= receivedBefore + index })
            }
            // (A straggling warm-up message may have overflowed too.)
            #expect(subscriber.statistics.overflowed - overflowedBefore >= 10)
            // Now read: the buffered warm-up batch, then the overflow gap, then normal delivery.
            guard case .messages(let first)? = await iterator.next() else {
                Issue.record("expected the buffered batch")
                return
            }
            #expect(first.allSatisfy { $0.topic == "warmup" })
            var gap: Gap?
            while gap == nil {
                switch await iterator.next() {
                case .gap(let found)?: if found.topic == "t" { gap = found }
                case .messages(let messages)?: #expect(messages.allSatisfy { $0.topic == "warmup" })
                case nil: Issue.record("stream ended"); return
                }
            }
            #expect(gap == Gap(kind: .overflow, sender: publisher.sender, topic: "t", epoch: publisher.epoch,
                               missed: 10, firstMissed: 1, lastMissed: 10))
            try publisher.publish(Echo("11"), topic: "t")
            var after: [ReceivedMessage] = []
            while after.isEmpty {
                switch await iterator.next() {
                case .messages(let messages)?: after = messages.filter { $0.topic == "t" }
                case .gap(let other)?: #expect(other.topic != "t", "unexpected \(other)")
                case nil: Issue.record("stream ended"); return
                }
            }
            #expect(after.map(\.envelope.sequence) == [11])
        }
    }

    @Test func publishValidatesTopicAndSize() async throws {
        try await BusHarness.with { bus in
            let publisher = try bus.publisher(options: Publisher.Options(maxMessageSize: 1024))
            try publisher.bind(to: bus.endpoint(.inproc, "checks"))
            #expect(throws: BusError.self) { try publisher.publish(Echo("x"), topic: "") }
            #expect(throws: BusError.self) { try publisher.publish(Echo("x"), topic: "a\0b") }
            do {
                try publisher.publish(Blob(count: 1024), topic: "big")
                Issue.record("expected tooLarge")
            } catch let error as BusError {
                #expect(error.code == .tooLarge)
                #expect(error.message.contains("1024"))
            }
            // A refused message uses no sequence number.
            #expect(try publisher.publish(Blob(count: 10), topic: "big") == 1)
            publisher.close()
            #expect(throws: BusError.self) { try publisher.publish(Echo("x"), topic: "t") }
        }
    }
}

/// Repeats `attempt` until it returns true; false after `timeout`. The timeout only bounds a
/// failing test.
@discardableResult
func waitUntilAsync(timeout: Duration = .seconds(20), _ attempt: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !(await attempt()) {
        if ContinuousClock.now >= deadline { return false }
    }
    return true
}
