/// JSONValue: an untyped JSON tree, for the places skiffctl works on documents rather than
/// typed objects: merge patches (computing, applying, comparing), `-o json|yaml` of mixed
/// lists, and a patch given as YAML or JSON on the command line.
///
/// Concurrency: a plain Sendable value. Must never: turn an integer into a floating-point
/// number (resourceVersions and replica counts must survive a round trip unchanged).
import Foundation
import SkiffAPI
import SkiffWire
import Yams

public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
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
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

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

    // MARK: conversions

    /// The object's Kubernetes JSON, as a tree.
    public init(encoding value: some Encodable) throws {
        let data = try JSONEncoder().encode(value)
        self = try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Compact JSON bytes (a request body, a patch).
    public func jsonBytes() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(self))
    }

    /// A YAML tree as JSON: mappings with string keys, sequences, and scalars resolved by their
    /// YAML tag (a quoted "3" stays a string).
    public init(yaml node: Yams.Node) throws {
        switch node {
        case .scalar(let scalar):
            self = JSONValue(scalar: scalar, tag: node.tag)
        case .sequence(let sequence):
            self = .array(try sequence.map { try JSONValue(yaml: $0) })
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let name = key.string else { throw CtlError("mapping keys must be strings") }
                members[name] = try JSONValue(yaml: value)
            }
            self = .object(members)
        case .alias:
            throw CtlError("YAML aliases are not supported")
        }
    }

    private init(scalar: Yams.Node.Scalar, tag: Tag) {
        switch tag.rawValue {
        case Tag.Name.null.rawValue: self = .null
        case Tag.Name.bool.rawValue: self = Bool.construct(from: scalar).map(JSONValue.bool) ?? .string(scalar.string)
        case Tag.Name.int.rawValue: self = Int64.construct(from: scalar).map(JSONValue.integer) ?? .string(scalar.string)
        case Tag.Name.float.rawValue: self = Double.construct(from: scalar).map(JSONValue.number) ?? .string(scalar.string)
        default: self = .string(scalar.string)
        }
    }

    // MARK: merge patches (RFC 7386)

    /// `patch` applied to `self`: objects merge member by member, null removes a member,
    /// anything else replaces.
    public func applyingMergePatch(_ patch: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var members: [String: JSONValue]
        if case .object(let current) = self { members = current } else { members = [:] }
        for (key, value) in patchMembers {
            if value == .null {
                members[key] = nil
            } else {
                members[key] = (members[key] ?? .null).applyingMergePatch(value)
            }
        }
        return .object(members)
    }
}

/// Decodes a JSON tree as the resource's object type.
func decodeObject(_ resource: ResourceInfo, from json: JSONValue) throws -> any APIObject {
    try decodeTyped(resource.objectType, from: json)
}

private func decodeTyped<O: APIObject>(_ type: O.Type, from json: JSONValue) throws -> any APIObject {
    try JSONDecoder().decode(O.self, from: Data(try json.jsonBytes()))
}
