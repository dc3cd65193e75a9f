/// The schema the generator works from: proto files, messages and fields as plain Swift values,
/// read once from protoc's descriptor set (see DescriptorSetReader) and then never touched by C.
///
/// Pure data; every emitter is a function of a `Schema`.

/// A protobuf scalar type, by the name protoc gives it.
public enum ScalarType: String, Sendable, CaseIterable {
    case double, float, int64, uint64, int32, fixed64, fixed32, bool, string, bytes
    case uint32, sfixed32, sfixed64, sint32, sint64
}

public enum FieldLabel: Sendable { case optional, required, repeated }

public enum FieldType: Sendable, Equatable {
    case scalar(ScalarType)
    /// A message, by full name without the leading dot: "skiff.meta.v1.ObjectMeta".
    case message(String)
    case enumeration(String)
    case group
}

public struct ProtoField: Sendable {
    public var name: String
    public var number: Int32
    public var label: FieldLabel
    public var type: FieldType
    public var jsonName: String
    public var inOneof: Bool
    public var comment: String

    public init(name: String, number: Int32, label: FieldLabel, type: FieldType, jsonName: String,
                inOneof: Bool = false, comment: String = "") {
        self.name = name
        self.number = number
        self.label = label
        self.type = type
        self.jsonName = jsonName
        self.inOneof = inOneof
        self.comment = comment
    }
}

public struct ProtoMessage: Sendable {
    /// Full name without the leading dot: "skiff.core.v1.Pod", "skiff.meta.v1.ObjectMeta.LabelsEntry".
    public var fullName: String
    public var name: String
    public var package: String
    public var fields: [ProtoField]
    public var nested: [ProtoMessage]
    public var isMapEntry: Bool
    public var hasEnums: Bool
    public var comment: String

    public init(fullName: String, name: String, package: String, fields: [ProtoField],
                nested: [ProtoMessage] = [], isMapEntry: Bool = false, hasEnums: Bool = false,
                comment: String = "") {
        self.fullName = fullName
        self.name = name
        self.package = package
        self.fields = fields
        self.nested = nested
        self.isMapEntry = isMapEntry
        self.hasEnums = hasEnums
        self.comment = comment
    }

    /// The message's path below its package: "ObjectMeta.LabelsEntry".
    public var relativeName: String {
        package.isEmpty ? fullName : String(fullName.dropFirst(package.count + 1))
    }
}

public struct ProtoFile: Sendable {
    /// Path as given to protoc: "skiff/core/v1/core.proto".
    public var name: String
    public var package: String
    public var messages: [ProtoMessage]
    public var hasEnums: Bool

    public init(name: String, package: String, messages: [ProtoMessage], hasEnums: Bool = false) {
        self.name = name
        self.package = package
        self.messages = messages
        self.hasEnums = hasEnums
    }
}

/// Every file of a descriptor set, imports included.
public struct Schema: Sendable {
    public var files: [ProtoFile]

    public init(files: [ProtoFile]) { self.files = files }

    /// Every message, nested ones included, by full name.
    public func messageIndex() -> [String: ProtoMessage] {
        var index: [String: ProtoMessage] = [:]
        func add(_ message: ProtoMessage) {
            index[message.fullName] = message
            message.nested.forEach(add)
        }
        files.forEach { $0.messages.forEach(add) }
        return index
    }
}
