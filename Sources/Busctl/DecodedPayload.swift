/// DecodedPayload: an envelope's payload as busctl shows it. The bytes are decoded by the type
/// the envelope names (through `WireRegistry`) and turned into printable JSON: the message's
/// Kubernetes JSON, with two changes made for people reading it:
/// - embedded objects (a bytes field carrying another message, named by a sibling type field:
///   WatchEvent.object, Response.object and items, Request.body) are shown decoded, as
///   Kubernetes shows a watch event's object, instead of as base64 protobuf;
/// - secret values are redacted (`Redaction`), including inside embedded objects.
///
/// Concurrency: a Sendable value built by a pure initializer. Must never: crash or throw on
/// any bytes (a payload that does not decode is a case, not an error), or show the bytes of an
/// embedded object it could not decode and redact.
import SkiffAPI
import SkiffWire

public struct DecodedPayload: Sendable {
    public enum Content: Sendable {
        /// The decoded message and its printable (expanded, redacted) JSON.
        case message(any WireMessage, json: JSONValue)
        /// The registry knows no message type by this name (or the envelope names none).
        case unknownType
        /// The type is known but the bytes are not a valid message of it, or it has no JSON form.
        case undecodable(reason: String)
    }

    /// The full proto name the envelope gave ("" if none).
    public let typeName: String
    public let byteCount: Int
    public let content: Content

    public init(typeName: String?, bytes: [UInt8]?) {
        self.typeName = typeName ?? ""
        let bytes = bytes ?? []
        byteCount = bytes.count
        guard WireRegistry.messageType(named: self.typeName) != nil else {
            content = .unknownType
            return
        }
        do {
            let message = try WireRegistry.decode(typeName: self.typeName, bytes: bytes)
            content = .message(message, json: try Self.printableJSON(of: message))
        } catch let error as WireError {
            content = .undecodable(reason: error.description)
        } catch {
            content = .undecodable(reason: "no JSON form: \(error)")
        }
    }

    /// The decoded message, if any.
    public var message: (any WireMessage)? {
        guard case .message(let message, _) = content else { return nil }
        return message
    }

    /// The printable JSON, if the payload decoded.
    public var json: JSONValue? {
        guard case .message(_, let json) = content else { return nil }
        return json
    }

    /// Why there is no message, as one phrase ("unknown type ...", "undecodable ...").
    public var problem: String? {
        switch content {
        case .message: return nil
        case .unknownType:
            return typeName.isEmpty ? "untyped payload (\(byteCount) bytes)"
                                    : "unknown message type \(typeName) (\(byteCount) bytes)"
        case .undecodable(let reason):
            return "undecodable \(typeName.isEmpty ? "payload" : typeName) (\(byteCount) bytes): \(reason)"
        }
    }

    // MARK: printable JSON

    /// The message's Kubernetes JSON with embedded objects expanded and secrets redacted.
    public static func printableJSON(of message: any WireMessage) throws -> JSONValue {
        var json = try JSONValue(encoding: message)
        switch message {
        case let event as WatchEvent:
            json["object"] = embedded(event.object, typeName: event.objectType)
        case let response as Response:
            json["object"] = embedded(response.object, typeName: response.objectType)
            if !response.items.isEmpty {
                json["items"] = .array(response.items.compactMap { embedded($0, typeName: response.itemType) })
            }
        case let request as Request:
            json["body"] = embedded(request.body, typeName: request.bodyType)
            // A patch of a Secret holds its values in whatever format the patch type uses.
            if request.patch != nil, request.resource == "secrets" || Redaction.carriesSecrets(request.bodyType) {
                json["patch"] = .string(Redaction.placeholder)
            }
        default:
            break
        }
        return Redaction.redact(json, protoName: type(of: message).protoName)
    }

    /// The JSON shown for an embedded object's bytes: its printable JSON if it decodes, else a
    /// note saying why not (never the bytes: they might be a Secret's).
    private static func embedded(_ bytes: [UInt8]?, typeName: String?) -> JSONValue? {
        guard let bytes else { return nil }
        let payload = DecodedPayload(typeName: typeName, bytes: bytes)
        return payload.json ?? .string("<\(payload.problem ?? "not shown")>")
    }
}
