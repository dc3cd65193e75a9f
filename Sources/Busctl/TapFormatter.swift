/// TapFormatter: turns what a subscriber delivers into the lines `busctl tap` prints, one line
/// per message or gap, as text or as JSON (one object per line).
///
/// Text:  `TIME SENDER TOPIC #SEQ TYPE SUMMARY`, e.g.
///        `2025-03-01T12:34:56.789Z apiserver-41 pods/default #17 WatchEvent ADDED Pod default/web-1 rv=42`
///        gaps: `TIME GAP SENDER TOPIC missed=N (seq A..B)`, `TIME RESET ...`, `TIME OVERFLOW ...`.
///        TYPE is the short message name (names are unique across packages).
/// JSON:  `{"epoch","message","sender","sequence","time","topic","type"}` with the full proto
///        name as `type` and the printable JSON of `DecodedPayload` as `message` (`error` instead
///        when the payload does not decode); gaps as `{"gap":{...}}`.
///
/// Concurrency: a Sendable value; formatting is pure (the receive time is passed in). Must
/// never: emit a line break inside a line, pass a peer's control characters to the terminal,
/// or print a secret value (see `Redaction`).
import SkiffAPI
import SkiffBus
import SkiffWire

public struct TapFormatter: Sendable {
    public enum Format: Sendable {
        case text
        case json
    }

    public var format: Format

    public init(format: Format = .text) {
        self.format = format
    }

    /// The line for `message`, received at `receivedAtUnixNano` (wall clock).
    public func line(for message: ReceivedMessage, receivedAtUnixNano: Int64) -> String {
        switch format {
        case .text: return textLine(for: message, receivedAtUnixNano: receivedAtUnixNano)
        case .json: return jsonLine(for: message, receivedAtUnixNano: receivedAtUnixNano)
        }
    }

    /// The line for `gap`, noticed at `unixNano` (wall clock).
    public func line(for gap: Gap, at unixNano: Int64) -> String {
        switch format {
        case .text: return textLine(for: gap, at: unixNano)
        case .json: return jsonLine(for: gap, at: unixNano)
        }
    }

    // MARK: text

    public func textLine(for message: ReceivedMessage, receivedAtUnixNano: Int64) -> String {
        let envelope = message.envelope
        let payload = DecodedPayload(typeName: envelope.type, bytes: envelope.payload)
        let type = envelope.type.map(MessageSummary.shortName) ?? "<untyped>"
        let sequence = envelope.sequence.map(String.init) ?? "-"
        let columns = [RFC3339.format(unixNanoseconds: receivedAtUnixNano, fractionDigits: 3), field(envelope.sender), field(message.topic),
                       "#\(sequence)", type, MessageSummary.summary(of: payload)]
        return Self.sanitized(columns.joined(separator: " "))
    }

    public func textLine(for gap: Gap, at unixNano: Int64) -> String {
        let time = RFC3339.format(unixNanoseconds: unixNano, fractionDigits: 3)
        let sequences = gap.firstMissed.map { first in " (seq \(first)..\(gap.lastMissed ?? first))" } ?? ""
        let line: String
        switch gap.kind {
        case .missed:
            line = "\(time) GAP \(field(gap.sender)) \(field(gap.topic)) missed=\(gap.missed)\(sequences)"
        case .reset(let previousEpoch):
            line = "\(time) RESET \(field(gap.sender)) \(field(gap.topic)) epoch=\(previousEpoch)->\(gap.epoch) missed=\(gap.missed)\(sequences)"
        case .overflow:
            line = "\(time) OVERFLOW \(field(gap.sender)) \(field(gap.topic)) discarded=\(gap.missed)\(sequences)"
        }
        return Self.sanitized(line)
    }

    // MARK: JSON

    public func jsonLine(for message: ReceivedMessage, receivedAtUnixNano: Int64) -> String {
        let envelope = message.envelope
        let payload = DecodedPayload(typeName: envelope.type, bytes: envelope.payload)
        var fields: [String: JSONValue] = [
            "time": .string(RFC3339.format(unixNanoseconds: receivedAtUnixNano, fractionDigits: 3)),
            "topic": .string(message.topic),
            "type": envelope.type.map(JSONValue.string) ?? .null,
            "sender": envelope.sender.map(JSONValue.string) ?? .null,
            "sequence": envelope.sequence.map(JSONValue.uint) ?? .null,
            "epoch": envelope.epoch.map(JSONValue.string) ?? .null,
        ]
        if let json = payload.json {
            fields["message"] = json
        } else {
            fields["error"] = .string(payload.problem ?? "no message")
        }
        return JSONValue.object(fields).compactText()
    }

    public func jsonLine(for gap: Gap, at unixNano: Int64) -> String {
        var fields: [String: JSONValue] = [
            "time": .string(RFC3339.format(unixNanoseconds: unixNano, fractionDigits: 3)),
            "sender": .string(gap.sender),
            "topic": .string(gap.topic),
            "epoch": .string(gap.epoch),
            "missed": .uint(gap.missed),
        ]
        switch gap.kind {
        case .missed:
            fields["kind"] = .string("missed")
        case .reset(let previousEpoch):
            fields["kind"] = .string("reset")
            fields["previousEpoch"] = .string(previousEpoch)
        case .overflow:
            fields["kind"] = .string("overflow")
        }
        if let first = gap.firstMissed { fields["firstMissed"] = .uint(first) }
        if let last = gap.lastMissed { fields["lastMissed"] = .uint(last) }
        return JSONValue.object(["gap": .object(fields)]).compactText()
    }

    // MARK: helpers

    private func field(_ value: String?) -> String {
        guard let value, !value.isEmpty else { return "-" }
        return value
    }

    /// `text` with control characters (line breaks, escape sequences) shown as `\u{XX}`:
    /// names and topics come from peers, and one line must stay one line.
    static func sanitized(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }
}
