/// JSONValue: a JSON document as a plain Swift value, for the places that work on documents
/// rather than typed objects: merge patches (MergePatch, `skiffctl apply`), reshaping a
/// message's Kubernetes JSON before printing it (busctl), `-o json|yaml` of mixed lists. Text
/// comes out with sorted keys, which for API objects is also Kubernetes' order (apiVersion,
/// kind, metadata, spec, status).
///
/// Concurrency: an immutable Sendable value. Must never: let an integer pass through Double
/// (resourceVersions, generations and quantities are 64-bit integers), or let `true` become 1.
import Foundation

public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case int(Int64)
    /// Parsing gives this only for integers above Int64.max.
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Bool before numbers and integers before Double, or `true` and `7` would change type.
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(UInt64.self) {
            self = .uint(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .uint(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// An object's member; setting one on anything but an object does nothing.
    public subscript(key: String) -> JSONValue? {
        get {
            guard case .object(let members) = self else { return nil }
            return members[key]
        }
        set {
            guard case .object(var members) = self else { return }
            members[key] = newValue
            self = .object(members)
        }
    }

    // MARK: parsing and serializing

    /// The JSON form of any Encodable (for a generated message: its Kubernetes JSON).
    public init(encoding value: some Encodable) throws {
        self = try JSONValue(parsing: JSONEncoder().encode(value))
    }

    /// Parses JSON text; throws the decoder's error when `data` is not JSON.
    public init(parsing data: Data) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Compact JSON bytes, keys sorted, slashes unescaped (a request body, a patch). Throws
    /// only for a NaN or infinite double, which parsing never produces.
    public func jsonBytes() throws -> [UInt8] {
        [UInt8](try serialized(pretty: false))
    }

    /// One line of JSON, keys sorted, slashes unescaped.
    public func compactText() -> String {
        text(pretty: false)
    }

    /// Indented JSON, keys sorted.
    public func prettyText() -> String {
        text(pretty: true)
    }

    private func text(pretty: Bool) -> String {
        // A value parsed from JSON always encodes; one built holding NaN prints as null.
        guard let data = try? serialized(pretty: pretty) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    private func serialized(pretty: Bool) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
