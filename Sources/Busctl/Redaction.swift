/// Redaction: keeps secret values out of everything busctl prints. A Secret's `data` and
/// `stringData` values become "<redacted>" (keys stay, so one can still see which keys a
/// Secret has); a SecretList's items likewise. This is a security requirement: operators paste
/// busctl output into tickets and chats.
///
/// Concurrency: pure functions. Must never: let a value of a Secret's `data` or `stringData`
/// through, in any encoding (plain, base64, or inside protobuf bytes).
import SkiffAPI
import SkiffWire

public enum Redaction {
    /// What every secret value is replaced with.
    public static let placeholder = "<redacted>"

    /// Message types whose JSON carries secret values.
    public static let secretTypes: Set<String> = [Secret.protoName, SecretList.protoName]

    /// Whether a message of this type (full proto name) carries secret values.
    public static func carriesSecrets(_ protoName: String?) -> Bool {
        guard let protoName else { return false }
        return secretTypes.contains(protoName)
    }

    /// `json` (the JSON form of a message of type `protoName`) with every secret value
    /// replaced by the placeholder; other types are returned as they are.
    public static func redact(_ json: JSONValue, protoName: String) -> JSONValue {
        switch protoName {
        case Secret.protoName:
            return redactSecret(json)
        case SecretList.protoName:
            guard case .array(let items)? = json["items"] else { return json }
            var list = json
            list["items"] = .array(items.map(redactSecret))
            return list
        default:
            return json
        }
    }

    /// A Secret's JSON with the values of `data` and `stringData` replaced.
    static func redactSecret(_ json: JSONValue) -> JSONValue {
        var secret = json
        for field in ["data", "stringData"] {
            switch secret[field] {
            case .object(let values)?:
                secret[field] = .object(values.mapValues { _ in .string(placeholder) })
            case nil, .null?:
                break
            case _?:
                // Not the map the schema says: hide it whole rather than guess.
                secret[field] = .string(placeholder)
            }
        }
        return secret
    }
}
