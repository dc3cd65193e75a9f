// The bus's defences end to end: a keyed server drops what does not open with its key (no key,
// another key, altered bytes, a request sealed as something else) and never runs a handler
// for it; a subscriber with another key receives nothing; required tokens; per-sender rate
// limits (on an injected clock); run directories made 0700.
import Foundation
import Synchronization
import Testing
@testable import SkiffBus
import SkiffWire

@Suite struct SecurityTests {
    /// An Echo server whose handler counts its runs.
    static func countingServer(_ bus: BusHarness, _ transport: TestTransport, options: RequestServer.Options,
                               calls: ConcurrencyProbe) throws -> (RequestServer, BusEndpoint) {
        let server = try bus.server(options: options)
        server.handle(Echo.self) { request, _ in
            calls.enter()
            return Echo("echo: \(request.text)")
        }
        let endpoint = try bus.bind(transport, "keyed") { endpoint throws(BusError) in try server.bind(to: endpoint) }
        return (server, endpoint)
    }

    static func sealedRequest(_ text: String, key: BusKey, purpose: EnvelopeSeal.Purpose = .request) throws -> [UInt8] {
        var envelope = Envelope()
        envelope.type = Echo.protoName
        envelope.requestId = "raw-\(text)"
        envelope.sender = "raw-sender"
        envelope.payload = try Echo(text).serializedBytes()
        return key.seal.seal(try envelope.serializedBytes(), for: purpose)
    }

    @Test(arguments: [TestTransport.ipc, .tcp])
    func keyedServerDropsWhatDoesNotOpen(transport: TestTransport) async throws {
        try await BusHarness.with { bus in
            let keyFile = BusKey.newKeyFile()
            let key = try BusKey(base64: keyFile)
            let calls = ConcurrencyProbe()
            let (server, endpoint) = try Self.countingServer(bus, transport, options: RequestServer.Options(key: .key(key)), calls: calls)
            #expect(server.isKeyed)

            // The same key: answered.
            let keyed = try bus.client([endpoint], options: RequestClient.Options(key: .key(key)))
            let reply: Echo = try await keyed.call(Echo("hello"), timeout: .seconds(20))
            #expect(reply.text == "echo: hello")
            // Another instance of the same key (another process, in effect): answered too.
            let same = try bus.client([endpoint], options: RequestClient.Options(key: .key(try BusKey(base64: keyFile))))
            let again: Echo = try await same.call(Echo("again"), timeout: .seconds(20))
            #expect(again.text == "echo: again")

            // No key, another key: dropped without an answer, so the callers time out.
            let unkeyed = try bus.client([endpoint], options: RequestClient.Options(key: .unkeyed))
            await expectBusError(.timeout) { let _: Echo = try await unkeyed.call(Echo("no key"), timeout: .milliseconds(500)) }
            let wrong = try bus.client([endpoint], options: RequestClient.Options(key: .key(BusKey.generate())))
            await expectBusError(.timeout) { let _: Echo = try await wrong.call(Echo("wrong key"), timeout: .milliseconds(500)) }

            // Raw bytes: a good sealed request is answered with a sealed reply that opens...
            let raw = try bus.client([endpoint], options: RequestClient.Options(key: .unkeyed))
            let answer = try await raw.exchangeForTesting(try Self.sealedRequest("raw", key: key), timeout: .seconds(20))
            let opened = try #require(answer.withUnsafeBytes { key.seal.open($0, for: .reply) })
            #expect(try Echo(serializedBytes: Envelope(serializedBytes: opened).payload ?? []).text == "echo: raw")
            #expect(answer.withUnsafeBytes { key.seal.open($0, for: .request) } == nil, "a reply does not open as a request")
            // ...one altered anywhere (salt, counter, ciphertext, tag) or sealed as a reply is dropped.
            let good = try Self.sealedRequest("tampered", key: key)
            for index in [5, EnvelopeSeal.headerCount - 1, EnvelopeSeal.headerCount + 2, good.count - 1] {
                var tampered = good
                tampered[index] ^= 0x01
                await expectBusError(.timeout) { _ = try await raw.exchangeForTesting(tampered, timeout: .milliseconds(300)) }
            }
            let reflected = try Self.sealedRequest("reflected", key: key, purpose: .reply)
            await expectBusError(.timeout) { _ = try await raw.exchangeForTesting(reflected, timeout: .milliseconds(300)) }

            // Counted, and no handler ran for any of them.
            #expect(await waitUntil { server.statistics.unauthenticated == 7 }, "\(server.statistics)")
            #expect(calls.calls == 3)
        }
    }

    @Test func keyedClientRefusesAnUnkeyedServersReply() async throws {
        try await BusHarness.with { bus in
            let calls = ConcurrencyProbe()
            let (_, endpoint) = try Self.countingServer(bus, .inproc, options: RequestServer.Options(key: .unkeyed), calls: calls)
            let keyed = try bus.client([endpoint], options: RequestClient.Options(key: .key(BusKey.generate())))
            // The server says in clear that it has no key; the client trusts nothing unsealed.
            await expectBusError(.unauthenticated, containing: "not sealed") {
                let _: Echo = try await keyed.call(Echo("hello"), timeout: .seconds(20))
            }
            #expect(calls.calls == 0)
        }
    }

    @Test func subscriberWithAnotherKeyReceivesNothing() async throws {
        try await BusHarness.with { bus in
            let key = BusKey.generate()
            let publisher = try bus.publisher(options: Publisher.Options(key: .key(key)))
            let endpoint = try bus.bind(.ipc, "sealed-pub") { endpoint throws(BusError) in try publisher.bind(to: endpoint) }
            var subscribers: [Subscriber] = []
            for setting in [BusKey.Setting.key(key), .key(BusKey.generate()), .unkeyed] {
                let subscriber = try bus.subscriber(options: Subscriber.Options(key: setting))
                try subscriber.connect(to: endpoint)
                try subscriber.subscribe(prefix: "")
                subscribers.append(subscriber)
            }
            let (right, wrong, none) = (subscribers[0], subscribers[1], subscribers[2])
            let collectors = subscribers.map(EventCollector.init)
            defer { collectors.forEach { $0.stop() } }
            try await warmUp(publisher, collectors[0])
            // Until the other two have demonstrably been receiving (and dropping) frames.
            let deadline = ContinuousClock.now + .seconds(20)
            while wrong.statistics.unauthenticated == 0 || none.statistics.unauthenticated == 0 {
                guard ContinuousClock.now < deadline else { throw BusError(.timeout, "the other subscribers never heard the publisher") }
                try publisher.publish(Echo("warmup"), topic: "warmup")
                await waitUntil(timeout: .milliseconds(20)) { wrong.statistics.unauthenticated > 0 && none.statistics.unauthenticated > 0 }
            }
            for i in 0..<20 { try publisher.publish(Echo("m\(i)"), topic: "pods/default/p\(i)") }
            #expect(await waitUntil { collectors[0].messages.filter { $0.topic.hasPrefix("pods/") }.count == 20 })
            let texts = try collectors[0].messages.filter { $0.topic.hasPrefix("pods/") }.map { try $0.decode(Echo.self).text }
            #expect(texts == (0..<20).map { "m\($0)" })
            #expect(await waitUntil { wrong.statistics.unauthenticated >= 20 && none.statistics.unauthenticated >= 20 })
            #expect(collectors[1].all.isEmpty && collectors[2].all.isEmpty)
            #expect(wrong.statistics.delivered == 0 && none.statistics.delivered == 0)
            #expect(right.statistics.unauthenticated == 0)
        }
    }

    /// A kubelet's view (bus key only) and a controller's (bus key and confidential key) of a
    /// publisher whose Secret topics are confidential.
    @Test func confidentialTopicsOpenOnlyWithTheConfidentialKey() async throws {
        try await BusHarness.with { bus in
            let (key, confidentialKey) = (BusKey.generate(), BusKey.generate())
            let publisher = try bus.publisher(options: Publisher.Options(
                key: .key(key), confidential: ConfidentialTopics(prefixes: ["w/secrets/"], key: confidentialKey)))
            let endpoint = try bus.bind(.ipc, "confidential-pub") { endpoint throws(BusError) in try publisher.bind(to: endpoint) }
            var subscribers: [Subscriber] = []
            for confidential in [BusKey.Setting.key(confidentialKey), .unkeyed] {
                let subscriber = try bus.subscriber(options: Subscriber.Options(key: .key(key), confidentialKey: confidential,
                                                                                confidentialTopics: ["w/secrets/"]))
                try subscriber.connect(to: endpoint)
                try subscriber.subscribe(prefix: "")
                subscribers.append(subscriber)
            }
            let (controller, kubelet) = (subscribers[0], subscribers[1])
            let collectors = subscribers.map(EventCollector.init)
            defer { collectors.forEach { $0.stop() } }
            try await warmUp(publisher, collectors[0])
            try await warmUp(publisher, collectors[1])
            for i in 0..<10 {
                try publisher.publish(Echo("secret \(i)"), topic: "w/secrets/default/")
                try publisher.publish(Echo("pod \(i)"), topic: "w/pods/default/")
            }
            func texts(_ collector: EventCollector, _ prefix: String) throws -> [String] {
                try collector.messages.filter { $0.topic.hasPrefix(prefix) }.map { try $0.decode(Echo.self).text }
            }
            #expect(await waitUntil { collectors[0].messages.filter { $0.topic.hasPrefix("w/") }.count == 20 })
            #expect(try texts(collectors[0], "w/secrets/") == (0..<10).map { "secret \($0)" })
            #expect(await waitUntil { (try? texts(collectors[1], "w/pods/"))?.count == 10 })
            #expect(await waitUntil { kubelet.statistics.unauthenticated >= 10 })
            #expect(try texts(collectors[1], "w/secrets/").isEmpty)
            #expect(try texts(collectors[1], "w/pods/") == (0..<10).map { "pod \($0)" })
            #expect(controller.statistics.unauthenticated == 0)

            // A holder of the bus key alone cannot forge a Secret event for the controller.
            let forger = try bus.publisher(options: Publisher.Options(key: .key(key)))
            let forgerEndpoint = try bus.bind(.ipc, "forger-pub") { endpoint throws(BusError) in try forger.bind(to: endpoint) }
            try controller.connect(to: forgerEndpoint)
            try await warmUp(forger, collectors[0])
            for i in 0..<5 { try forger.publish(Echo("forged \(i)"), topic: "w/secrets/default/") }
            #expect(await waitUntil { controller.statistics.unauthenticated >= 5 })
            #expect(try !texts(collectors[0], "w/secrets/").contains { $0.hasPrefix("forged") })
        }
    }

    @Test func requiredTokenRefusesOthersButNotPing() async throws {
        try await BusHarness.with { bus in
            let token = try SharedToken("s3cret-token")
            let calls = ConcurrencyProbe()
            let (_, endpoint) = try Self.countingServer(bus, .inproc, options: RequestServer.Options(requiredToken: token), calls: calls)
            let holder = try bus.client([endpoint], options: RequestClient.Options(token: token.value))
            let reply: Echo = try await holder.call(Echo("mine"), timeout: .seconds(20))
            #expect(reply.text == "echo: mine")
            for presented in [nil, "s3cret-tokeN", "s3cret-token-and-more", ""] as [String?] {
                let other = try bus.client([endpoint], options: RequestClient.Options(token: presented))
                await expectBusError(.unauthenticated) { let _: Echo = try await other.call(Echo("theirs"), timeout: .seconds(20)) }
                _ = try await other.call(Ping(), replyType: Pong.self, timeout: .seconds(20))
            }
            #expect(calls.calls == 1)
        }
    }

    @Test func burstOverTheRateLimitIsRefusedUntilTokensRefill() async throws {
        try await BusHarness.with { bus in
            let clock = ManualNanoClock()
            let calls = ConcurrencyProbe()
            let limit = RateLimit(rate: 2, burst: 3, clock: { clock.now })
            let (server, endpoint) = try Self.countingServer(bus, .inproc, options: RequestServer.Options(rateLimit: limit), calls: calls)
            let greedy = try bus.client([endpoint], options: RequestClient.Options(sender: "greedy"))
            let polite = try bus.client([endpoint], options: RequestClient.Options(sender: "polite"))
            for i in 0..<3 {
                let reply: Echo = try await greedy.call(Echo("\(i)"), timeout: .seconds(20))
                #expect(reply.text == "echo: \(i)")
            }
            await expectBusError(.tooManyRequests, containing: "greedy") { let _: Echo = try await greedy.call(Echo("4th"), timeout: .seconds(20)) }
            await expectBusError(.tooManyRequests) { let _: Echo = try await greedy.call(Echo("5th"), timeout: .seconds(20)) }
            // Another sender has its own bucket.
            let other: Echo = try await polite.call(Echo("me too"), timeout: .seconds(20))
            #expect(other.text == "echo: me too")
            #expect(calls.calls == 4)
            #expect(server.statistics.throttled == 2)
            // Half a second later: one token back (rate 2/s), so one more passes and the next not.
            clock.advance(by: 500_000_000)
            let later: Echo = try await greedy.call(Echo("later"), timeout: .seconds(20))
            #expect(later.text == "echo: later")
            await expectBusError(.tooManyRequests) { let _: Echo = try await greedy.call(Echo("too soon"), timeout: .seconds(20)) }
            #expect(calls.calls == 5)
        }
    }

    @Test func runDirectoryIsMadePrivate() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-private-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        func mode(_ path: String) -> Int { (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1 }
        // Created (with a missing parent) at 0700.
        try PrivateDirectory.prepare(base + "/a/run")
        #expect(mode(base + "/a/run") == 0o700)
        // An existing, wider one is tightened.
        try FileManager.default.createDirectory(atPath: base + "/b", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        try PrivateDirectory.prepare(base + "/b")
        #expect(mode(base + "/b") == 0o700)
        // Registering an endpoint does it too.
        try FileManager.default.createDirectory(atPath: base + "/c", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        try EndpointDirectory(runDirectory: base + "/c").register(EndpointDirectory.Entry(
            component: "t", sender: "t-1", pid: getpid(), role: .rep, url: "ipc:///nowhere.sock", urls: ["ipc:///nowhere.sock"]))
        #expect(mode(base + "/c") == 0o700)
        // A file is not a directory.
        _ = FileManager.default.createFile(atPath: base + "/file", contents: Data())
        #expect(throws: BusError.self) { try PrivateDirectory.prepare(base + "/file") }
        // A shared sticky directory (like /tmp) is refused and left as it was.
        try FileManager.default.createDirectory(atPath: base + "/shared", withIntermediateDirectories: true)
        #expect(chmod(base + "/shared", 0o1777) == 0)
        #expect(throws: BusError.self) { try PrivateDirectory.prepare(base + "/shared") }
        #expect(mode(base + "/shared") & 0o777 == 0o777)
    }
}

/// A monotonic clock that moves only when told.
final class ManualNanoClock: Sendable {
    private let value = Atomic<UInt64>(1_000_000_000)
    var now: UInt64 { value.load(ordering: .relaxed) }
    func advance(by nanoseconds: UInt64) { value.add(nanoseconds, ordering: .relaxed) }
}

@Suite struct SecurityLogicTests {
    static let plaintext = Array("an encoded envelope".utf8)

    @Test func sealOpensOnlyUnderTheSameKeyAndPurpose() throws {
        let text = BusKey.newKeyFile()
        let (a, b) = (try BusKey(base64: text), try BusKey(base64: text))
        let sealed = a.seal.seal(Self.plaintext, for: .publish(topic: "pods"))
        #expect(sealed.count == Self.plaintext.count + EnvelopeSeal.overhead)
        #expect(sealed.withUnsafeBytes { EnvelopeSeal.looksSealed($0) })
        #expect(!Self.plaintext.withUnsafeBytes { EnvelopeSeal.looksSealed($0) })
        // Another holder of the same key opens it, for the same topic only.
        #expect(sealed.withUnsafeBytes { b.seal.open($0, for: .publish(topic: "pods")) } == Self.plaintext)
        #expect(sealed.withUnsafeBytes { b.seal.open($0, for: .publish(topic: "secrets")) } == nil)
        #expect(sealed.withUnsafeBytes { b.seal.open($0, for: .request) } == nil)
        #expect(sealed.withUnsafeBytes { BusKey.generate().seal.open($0, for: .publish(topic: "pods")) } == nil)
        // The plaintext does not show; every byte is covered.
        #expect(!sealed.indices.dropLast(Self.plaintext.count - 1).contains { Array(sealed[$0...].prefix(Self.plaintext.count)) == Self.plaintext })
        for index in sealed.indices {
            var altered = sealed
            altered[index] ^= 0x80
            #expect(altered.withUnsafeBytes { b.seal.open($0, for: .publish(topic: "pods")) } == nil, "byte \(index)")
        }
        #expect(Array(sealed.dropLast()).withUnsafeBytes { b.seal.open($0, for: .publish(topic: "pods")) } == nil)
        #expect([UInt8]().withUnsafeBytes { b.seal.open($0, for: .request) } == nil)
    }

    @Test func noncesNeverRepeat() {
        let key = BusKey.generate()
        let nonces = (0..<1000).map { _ in Array(key.seal.seal(Self.plaintext, for: .request).prefix(EnvelopeSeal.headerCount)) }
        #expect(Set(nonces).count == 1000)
        // Two seals of one key (two processes) have different salts, so different subkeys.
        let other = try! BusKey(bytes: [UInt8](repeating: 7, count: 32))
        let again = try! BusKey(bytes: [UInt8](repeating: 7, count: 32))
        #expect(other.seal.seal([], for: .request).prefix(20) != again.seal.seal([], for: .request).prefix(20))
    }

    @Test func keyFilesMustBePrivateAndWellFormed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-key-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func write(_ name: String, _ text: String, mode: Int) -> String {
            let path = "\(directory)/\(name)"
            _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
            return path
        }
        let good = write("good", BusKey.newKeyFile(), mode: 0o600)
        _ = try BusKey(file: good)
        let cases: [(String, String, Int, String)] = [
            ("open", BusKey.newKeyFile(), 0o644, "chmod 600"),
            ("short", Data([1, 2, 3]).base64EncodedString(), 0o600, "32 bytes"),
            ("text", "not base64 at all!", 0o600, "base64"),
        ]
        for (name, text, mode, message) in cases {
            let path = write(name, text, mode: mode)
            do {
                _ = try BusKey(file: path)
                Issue.record("\(name) accepted")
            } catch {
                #expect(error.code == .keyFile && error.message.contains(message), "\(error)")
            }
        }
        #expect(throws: BusError.self) { try BusKey(file: directory + "/missing") }
        // Token files: the first line, private only.
        let token = try SharedToken(file: write("token", "abc\n", mode: 0o600))
        #expect(token.value == "abc" && token.matches("abc") && !token.matches("abd") && !token.matches(nil))
        #expect(throws: BusError.self) { try SharedToken(file: write("token-open", "abc\n", mode: 0o640)) }
        #expect(throws: BusError.self) { try SharedToken(file: write("token-empty", "\n", mode: 0o600)) }
    }

    @Test func senderBucketsAdmitBurstThenRate() {
        var buckets = SenderBuckets(rate: 10, burst: 2)
        let second: UInt64 = 1_000_000_000
        // (sender, time, admitted, why) in order.
        let steps: [(String, UInt64, Bool, String)] = [
            ("a", 0, true, "burst"), ("a", 0, true, "burst"), ("a", 0, false, "burst spent"),
            ("b", 0, true, "each sender has its own bucket"),
            ("a", second / 20, false, "half a token"),
            ("a", second / 10 + second / 20, true, "one token after 0.1 s at 10/s"),
            ("a", 100 * second, true, "idle: full again"), ("a", 100 * second, true, "idle: full again"),
            ("a", 100 * second, false, "refilled to the burst, not beyond"),
        ]
        for (sender, now, expected, why) in steps {
            let admitted = buckets.admit(sender, now: now)
            #expect(admitted == expected, "\(sender) at \(now): \(why)")
        }
    }

    @Test func senderBucketsStayBounded() {
        var buckets = SenderBuckets(rate: 1, burst: 1, maxSenders: 3)
        for i in 0..<100 { _ = buckets.admit("made-up-\(i)", now: UInt64(i)) }
        #expect(buckets.buckets.count <= 3)
    }

    @Test func throttledLogSpeaksOncePerInterval() {
        var log = ThrottledLog(interval: .seconds(10))
        let second: UInt64 = 1_000_000_000
        #expect(log.note(now: 0) == 1)
        #expect(log.note(now: second) == nil)
        #expect(log.note(now: 2 * second) == nil)
        #expect(log.note(now: 11 * second) == 3, "the two quiet ones and this one")
        #expect(log.total == 4)
    }
}
