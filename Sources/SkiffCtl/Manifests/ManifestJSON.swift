/// ManifestJSON: the step between a manifest's YAML and its typed object. A YAML tree becomes a
/// `JSONValue` (scalars resolved by their YAML tag, so a quoted "3" stays a string), which then
/// decodes strictly as the resource's object type, exactly as JSON sent to the apiserver would.
///
/// Concurrency: pure functions. Must never: turn an integer into a floating-point number, or
/// accept a YAML feature JSON has no form for (aliases, non-string keys).
import Foundation
import SkiffAPI
import SkiffWire
import Yams

extension JSONValue {
    /// A YAML tree as JSON: mappings with string keys, sequences, and scalars by their tag.
    /// Throws `CtlError` for a non-string key or an alias.
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
        case Tag.Name.int.rawValue: self = Int64.construct(from: scalar).map(JSONValue.int) ?? .string(scalar.string)
        case Tag.Name.float.rawValue: self = Double.construct(from: scalar).map(JSONValue.double) ?? .string(scalar.string)
        default: self = .string(scalar.string)
        }
    }
}

/// Decodes a JSON tree as the resource's object type.
func decodeObject(_ resource: ResourceInfo, from json: JSONValue) throws -> any APIObject {
    try decodeTyped(resource.objectType, from: json)
}

private func decodeTyped<O: APIObject>(_ type: O.Type, from json: JSONValue) throws -> any APIObject {
    try JSONDecoder().decode(O.self, from: Data(try json.jsonBytes()))
}
