/// Helpers the generated Codable conformances call: Kubernetes' JSON conventions (strict
/// fields, apiVersion/kind checks, base64 bytes) over any Encoder/Decoder (JSONDecoder, Yams).
import Foundation

/// A coding key that is any string: lets a decoder list every key present, known or not.
public struct JSONKey: CodingKey, ExpressibleByStringLiteral, Hashable, Sendable {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ string: String) { stringValue = string }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { return nil }
    public init(stringLiteral value: String) { stringValue = value }
}

extension KeyedDecodingContainer where Key == JSONKey {
    /// Fails on the first key not in `allowed`, naming its path: strict decoding, so that a typo
    /// in a manifest (`replicase: 3`) is an error instead of a silently ignored field.
    public func rejectUnknownKeys(allowed: Set<String>) throws {
        for key in allKeys where !allowed.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: codingPath + [key], debugDescription: "unknown field \"\(key.stringValue)\""))
        }
    }

    /// Fails when apiVersion or kind is present and names another type than the one decoded.
    public func checkTypeMeta(apiVersion: String, kind: String) throws {
        if let found = try decodeIfPresent(String.self, forKey: "kind"), found != kind {
            throw DecodingError.dataCorrupted(.init(
                codingPath: codingPath + [JSONKey("kind")], debugDescription: "expected kind \(kind), found \(found)"))
        }
        if let found = try decodeIfPresent(String.self, forKey: "apiVersion"), found != apiVersion {
            throw DecodingError.dataCorrupted(.init(
                codingPath: codingPath + [JSONKey("apiVersion")],
                debugDescription: "\(kind) is served as apiVersion \(apiVersion), not \(found)"))
        }
    }

    public func decodeBase64IfPresent(forKey key: JSONKey) throws -> [UInt8]? {
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return nil }
        return try Self.base64(text, codingPath: codingPath + [key])
    }

    public func decodeBase64ArrayIfPresent(forKey key: JSONKey) throws -> [[UInt8]]? {
        guard let texts = try decodeIfPresent([String].self, forKey: key) else { return nil }
        return try texts.map { try Self.base64($0, codingPath: codingPath + [key]) }
    }

    public func decodeBase64MapIfPresent(forKey key: JSONKey) throws -> [String: [UInt8]]? {
        guard let texts = try decodeIfPresent([String: String].self, forKey: key) else { return nil }
        return try texts.mapValues { try Self.base64($0, codingPath: codingPath + [key]) }
    }

    private static func base64(_ text: String, codingPath: [any CodingKey]) throws -> [UInt8] {
        guard let data = Data(base64Encoded: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath,
                                                    debugDescription: "illegal base64 data"))
        }
        return [UInt8](data)
    }
}

extension KeyedEncodingContainer where Key == JSONKey {
    public mutating func encodeBase64IfPresent(_ bytes: [UInt8]?, forKey key: JSONKey) throws {
        if let bytes { try encode(Data(bytes).base64EncodedString(), forKey: key) }
    }

    public mutating func encodeBase64Array(_ values: [[UInt8]], forKey key: JSONKey) throws {
        try encode(values.map { Data($0).base64EncodedString() }, forKey: key)
    }

    public mutating func encodeBase64Map(_ values: [String: [UInt8]], forKey key: JSONKey) throws {
        try encode(values.mapValues { Data($0).base64EncodedString() }, forKey: key)
    }
}

extension DecodingError {
    /// "spec.template.spec.containers[0].image: unknown field ..." — the field path as
    /// Kubernetes prints it, then what is wrong.
    public var fieldDescription: String {
        func path(_ keys: [any CodingKey]) -> String {
            var text = ""
            for key in keys {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text.isEmpty ? "(root)" : text
        }
        switch self {
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): required field missing"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(Self.typeName(type)): \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(Self.typeName(type)), found null"
        @unknown default:
            return "\(self)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int32.Type, is Int64.Type, is UInt32.Type, is UInt64.Type, is Int.Type: "an integer"
        case is Bool.Type: "a boolean"
        case is Double.Type, is Float.Type: "a number"
        default: "\(type)"
        }
    }
}
