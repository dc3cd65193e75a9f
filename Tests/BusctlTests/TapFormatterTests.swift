/// TapFormatter, MessageSummary and RFC3339: the lines `busctl tap` prints, from constructed
/// `ReceivedMessage`s and `Gap`s (no bus involved).
import Foundation
import Testing
import Busctl
import SkiffBus
import SkiffWire

@Suite struct TapFormatterTests {
    let text = TapFormatter(format: .text)
    let json = TapFormatter(format: .json)

    @Test func apiObjectLine() throws {
        let line = text.line(for: try Sample.received(Sample.pod()), receivedAtUnixNano: Sample.instant)
        #expect(line == "\(Sample.instantText) apiserver-1 pods/default #7 Pod Pod default/web-1 rv=42")
    }

    @Test func clusterScopedObjectHasNoNamespace() throws {
        var node = Node()
        node.metadata = ObjectMeta(name: "node-1", resourceVersion: "9")
        let line = text.line(for: try Sample.received(node, topic: "nodes"), receivedAtUnixNano: Sample.instant)
        #expect(line.hasSuffix(" nodes #7 Node Node node-1 rv=9"))
    }

    @Test func watchEventLine() throws {
        let event = try Sample.watchEvent("ADDED", Sample.pod(resourceVersion: "43"))
        let line = text.line(for: try Sample.received(event), receivedAtUnixNano: Sample.instant)
        #expect(line == "\(Sample.instantText) apiserver-1 pods/default #7 WatchEvent ADDED Pod default/web-1 rv=43")
    }

    @Test func watchEventWithUndecodableObjectSaysSo() throws {
        var event = WatchEvent()
        event.type = "MODIFIED"
        event.objectType = Pod.protoName
        event.object = [0xFF, 0xFF, 0xFF]
        let line = text.line(for: try Sample.received(event), receivedAtUnixNano: Sample.instant)
        #expect(line.contains("WatchEvent MODIFIED <undecodable skiff.core.v1.Pod (3 bytes)"))
    }

    @Test func nonAPIMessageIsCompactJSON() throws {
        let pong = Pong(component: "kubelet", pid: 12, handles: ["skiff.wire.v1.Ping"])
        let line = text.line(for: try Sample.received(pong, topic: "health"), receivedAtUnixNano: Sample.instant)
        #expect(line == #"\#(Sample.instantText) apiserver-1 health #7 Pong {"component":"kubelet","handles":["skiff.wire.v1.Ping"],"pid":12}"#)
    }

    @Test func longNonAPIMessageIsCut() throws {
        let pong = Pong(component: String(repeating: "k", count: 500))
        let line = text.line(for: try Sample.received(pong, topic: "health"), receivedAtUnixNano: Sample.instant)
        let summary = line.split(separator: " ", maxSplits: 5).last.map(String.init) ?? ""
        #expect(summary.count == MessageSummary.maxOtherLength + 1)
        #expect(summary.hasSuffix("…"))
    }

    @Test func undecodableAndUnknownPayloadsSaySo() throws {
        var message = try Sample.received(Sample.pod())
        message.envelope.payload = [0xFF, 0x01, 0x02]
        let line = text.line(for: message, receivedAtUnixNano: Sample.instant)
        #expect(line.contains(" Pod <undecodable skiff.core.v1.Pod (3 bytes): "))

        message.envelope.type = "skiff.nope.v1.Thing"
        #expect(text.line(for: message, receivedAtUnixNano: Sample.instant)
            .hasSuffix(" Thing <unknown message type skiff.nope.v1.Thing (3 bytes)>"))

        let jsonLine = json.line(for: message, receivedAtUnixNano: Sample.instant)
        let object = try parse(jsonLine)
        #expect(object["message"] == nil)
        #expect(object["error"] as? String == "unknown message type skiff.nope.v1.Thing (3 bytes)")
    }

    @Test(arguments: [
        (Gap(kind: .missed, sender: "apiserver-1", topic: "pods/default", epoch: "e2", missed: 3, firstMissed: 4, lastMissed: 6),
         "\(Sample.instantText) GAP apiserver-1 pods/default missed=3 (seq 4..6)"),
        (Gap(kind: .reset(previousEpoch: "e1"), sender: "apiserver-1", topic: "pods", epoch: "e2", missed: 0),
         "\(Sample.instantText) RESET apiserver-1 pods epoch=e1->e2 missed=0"),
        (Gap(kind: .overflow, sender: "apiserver-1", topic: "pods", epoch: "e2", missed: 2, firstMissed: 10, lastMissed: 11),
         "\(Sample.instantText) OVERFLOW apiserver-1 pods discarded=2 (seq 10..11)"),
    ])
    func gapLine(gap: Gap, expected: String) {
        #expect(text.line(for: gap, at: Sample.instant) == expected)
    }

    @Test func gapJSONLine() throws {
        let gap = Gap(kind: .reset(previousEpoch: "e1"), sender: "apiserver-1", topic: "pods", epoch: "e2", missed: 2,
                      firstMissed: 1, lastMissed: 2)
        let object = try parse(json.line(for: gap, at: Sample.instant))
        let fields = try #require(object["gap"] as? [String: Any])
        #expect(fields["kind"] as? String == "reset")
        #expect(fields["previousEpoch"] as? String == "e1")
        #expect(fields["missed"] as? Int == 2)
        #expect(fields["firstMissed"] as? Int == 1)
        #expect(fields["time"] as? String == Sample.instantText)
    }

    @Test func jsonLineCarriesTheDecodedMessage() throws {
        let line = json.line(for: try Sample.received(Sample.pod()), receivedAtUnixNano: Sample.instant)
        #expect(!line.contains("\n"))
        let object = try parse(line)
        #expect(object["time"] as? String == Sample.instantText)
        #expect(object["sender"] as? String == "apiserver-1")
        #expect(object["topic"] as? String == "pods/default")
        #expect(object["sequence"] as? Int == 7)
        #expect(object["type"] as? String == "skiff.core.v1.Pod")
        let message = try #require(object["message"] as? [String: Any])
        #expect(message["kind"] as? String == "Pod")
        #expect(message["apiVersion"] as? String == "v1")
        let metadata = try #require(message["metadata"] as? [String: Any])
        #expect(metadata["name"] as? String == "web-1")
        #expect(metadata["resourceVersion"] as? String == "42")
    }

    @Test func jsonLineShowsAWatchEventsObjectDecoded() throws {
        let event = try Sample.watchEvent("DELETED", Sample.pod())
        let object = try parse(json.line(for: try Sample.received(event), receivedAtUnixNano: Sample.instant))
        let message = try #require(object["message"] as? [String: Any])
        #expect(message["type"] as? String == "DELETED")
        let inner = try #require(message["object"] as? [String: Any])
        #expect((inner["metadata"] as? [String: Any])?["name"] as? String == "web-1")
    }

    @Test func peerControlCharactersAreEscaped() throws {
        let message = try Sample.received(Sample.pod(name: "evil\n\u{1B}[31mred"), sender: "bad\rsender")
        let line = text.line(for: message, receivedAtUnixNano: Sample.instant)
        #expect(!line.contains("\n") && !line.contains("\r") && !line.contains("\u{1B}"))
        #expect(line.contains(#"default/evil\u{a}\u{1b}[31mred"#))
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (Sample.instant, Sample.instantText),
        (Int64(951_782_400_000_000_000), "2000-02-29T00:00:00.000Z"),
        (Int64(1_700_000_000_999_999_999), "2023-11-14T22:13:20.999Z"),
        (Int64(-1_000_000), "1969-12-31T23:59:59.999Z"),
    ])
    func rfc3339(unixNanoseconds: Int64, expected: String) {
        #expect(RFC3339.format(unixNanoseconds: unixNanoseconds, fractionDigits: 3) == expected)
    }

    private func parse(_ line: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
}
