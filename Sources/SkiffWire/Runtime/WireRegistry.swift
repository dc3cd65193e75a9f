/// Lookup of generated types by name, for code that meets messages it does not know statically:
/// an envelope's payload (busctl tap), a manifest's apiVersion and kind (skiffctl).
/// The tables themselves are generated (WireRegistry.tables.swift).
public enum WireRegistry {
    /// The message type an envelope's `type` names.
    public static func messageType(named protoName: String) -> (any WireMessage.Type)? {
        messageTypes[protoName]
    }

    /// Decodes a payload given its proto name.
    public static func decode(typeName: String, bytes: [UInt8]) throws(WireError) -> any WireMessage {
        guard let type = messageTypes[typeName] else {
            throw WireError(.unknownType, path: typeName, "no message type named \(typeName)")
        }
        return try type.init(serializedBytes: bytes)
    }

    /// The object type a manifest's apiVersion and kind name ("apps/v1", "Deployment").
    public static func objectType(apiVersion: String, kind: String) -> (any APIObject.Type)? {
        objectsByTypeMeta[TypeMetaKey(apiVersion: apiVersion, kind: kind)]
    }

    /// The list type of a list kind ("v1", "PodList").
    public static func listType(apiVersion: String, kind: String) -> (any APIList.Type)? {
        listsByTypeMeta[TypeMetaKey(apiVersion: apiVersion, kind: kind)]
    }

    private struct TypeMetaKey: Hashable {
        var apiVersion: String
        var kind: String
    }

    private static let objectsByTypeMeta: [TypeMetaKey: any APIObject.Type] = Dictionary(
        objectTypes.map { (TypeMetaKey(apiVersion: $0.apiVersion, kind: $0.kind), $0) },
        uniquingKeysWith: { first, _ in first })

    private static let listsByTypeMeta: [TypeMetaKey: any APIList.Type] = Dictionary(
        listTypes.map { (TypeMetaKey(apiVersion: $0.apiVersion, kind: $0.kind), $0) },
        uniquingKeysWith: { first, _ in first })
}
