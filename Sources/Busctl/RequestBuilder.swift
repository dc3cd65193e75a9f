/// RequestBuilder: what `busctl call` sends, built from the command line: the message type a
/// full proto name names, and the message decoded from JSON or YAML text (Yams' decoder reads
/// both, since JSON is YAML) with the generated strict Codable, so a misspelt or mistyped
/// field is an error naming its path.
///
/// Concurrency: pure functions. Must never: send a message the user did not fully describe
/// (unknown fields are errors, not ignored).
import Foundation
import SkiffWire
import Yams

public enum RequestBuilder {
    /// The message type named `typeName`; an error naming it (and the full names that end with
    /// it, for "Ping" instead of "skiff.wire.v1.Ping") if there is none.
    public static func messageType(named typeName: String) throws(BusctlError) -> any WireMessage.Type {
        if let type = WireRegistry.messageType(named: typeName) { return type }
        let candidates = WireRegistry.messageTypes.keys.filter { $0.hasSuffix(".\(typeName)") }.sorted()
        let hint = candidates.isEmpty ? "give a full proto name such as \(Ping.protoName)"
                                      : "did you mean \(candidates.joined(separator: " or "))?"
        throw BusctlError("unknown message type '\(typeName)': \(hint)")
    }

    /// A message of type `typeName` from JSON or YAML `text`; an empty message for nil or blank
    /// text. Errors name the field path (`spec.containers[0].image: expected a string ...`).
    public static func message(typeName: String, text: String?) throws(BusctlError) -> any WireMessage {
        let type = try messageType(named: typeName)
        guard let text, text.contains(where: { !$0.isWhitespace }) else { return type.init() }
        do {
            return try decode(type, from: text)
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty && context.underlyingError != nil {
            // Yams wraps a syntax error; its own text says where.
            throw syntaxError(context.underlyingError!)
        } catch let error as DecodingError {
            throw BusctlError("invalid \(typeName): \(error.fieldDescription)")
        } catch {
            throw syntaxError(error)
        }
    }

    private static func syntaxError(_ error: any Error) -> BusctlError {
        let reason = String(describing: error).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        return BusctlError("request data is neither JSON nor YAML: \(reason)")
    }

    /// The message's protobuf bytes.
    public static func payload(of message: any WireMessage) throws(BusctlError) -> [UInt8] {
        do {
            return try message.serializedBytes()
        } catch {
            throw BusctlError("cannot encode \(type(of: message).protoName): \(error)")
        }
    }

    private static func decode<M: WireMessage>(_ type: M.Type, from text: String) throws -> M {
        try YAMLDecoder().decode(M.self, from: text)
    }
}
