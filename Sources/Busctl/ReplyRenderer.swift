/// ReplyRenderer: what `busctl call` prints for a reply envelope: the reply's printable JSON
/// (`DecodedPayload`: embedded objects decoded, secrets redacted) as YAML (default) or
/// indented JSON. A `Failure` reply is not printed but thrown as the `BusError` it stands for,
/// so the command reports `error: CODE: message`.
///
/// Concurrency: pure functions. Must never: print a Failure as if it were a result, or a
/// secret value.
import SkiffAPI
import SkiffBus
import SkiffWire
import Yams

public enum ReplyRenderer {
    public enum Format: Sendable {
        case yaml
        case json
    }

    /// The text to print for `reply` (no trailing newline). Throws `BusError` for a Failure
    /// reply and `BusctlError` for one that does not decode.
    public static func render(_ reply: Envelope, format: Format) throws -> String {
        if reply.type == Failure.protoName {
            let failure = (try? Failure(serializedBytes: reply.payload ?? [])) ?? Failure(code: nil, message: "undecodable Failure reply")
            throw BusError(failure)
        }
        let payload = DecodedPayload(typeName: reply.type, bytes: reply.payload)
        guard let json = payload.json else {
            throw BusctlError("the reply is an \(payload.problem ?? "unreadable message")")
        }
        return try render(json, format: format)
    }

    public static func render(_ json: JSONValue, format: Format) throws -> String {
        switch format {
        case .json:
            return json.prettyText()
        case .yaml:
            let encoder = YAMLEncoder()
            encoder.options.sortKeys = true
            encoder.options.allowUnicode = true
            encoder.options.width = -1
            let text = try encoder.encode(json)
            return text.hasSuffix("\n") ? String(text.dropLast()) : text
        }
    }
}
