/// The schema resolved for emission: every message with its Swift name, its protoc-c names and
/// the shape of each field, after checking that the schema fits what the generator supports.
///
/// Pure: `GenerationModel(schema:)` either returns a complete model or throws every problem at once.

/// What the generator needs to know beyond the schema: which messages are hand-written value
/// types and which API group each package serves.
public struct GeneratorConfig: Sendable {
    /// Messages bridged by hand-written Swift types instead of generated structs (Kubernetes value
    /// types with their own JSON forms).
    public var specialTypes: [String: String]
    /// API group of each package, for apiVersion: "skiff.apps.v1" -> "apps" gives "apps/v1".
    /// Packages missing here carry no apiVersion (wire-only messages).
    public var apiGroups: [String: String]
    /// The one message outside API groups that carries apiVersion and kind in JSON.
    public var statusMessage: String

    public static let skiff = GeneratorConfig(
        specialTypes: [
            "skiff.meta.v1.Quantity": "Quantity",
            "skiff.meta.v1.IntOrString": "IntOrString",
            "skiff.meta.v1.Time": "Time",
            "skiff.meta.v1.MicroTime": "MicroTime",
        ],
        apiGroups: [
            "skiff.core.v1": "",
            "skiff.apps.v1": "apps",
            "skiff.batch.v1": "batch",
            "skiff.autoscaling.v1": "autoscaling",
            "skiff.autoscaling.v2": "autoscaling",
            "skiff.rbac.v1": "rbac.authorization.k8s.io",
            "skiff.coordination.v1": "coordination.k8s.io",
            "skiff.storage.v1": "storage.k8s.io",
            "skiff.authentication.v1": "authentication.k8s.io",
            "skiff.authorization.v1": "authorization.k8s.io",
        ],
        statusMessage: "skiff.meta.v1.Status")
}

public struct GeneratorError: Error, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}

/// A value a field holds: a scalar, or a message (generated or special).
enum ValueKind: Equatable {
    case scalar(ScalarType)
    case message(swift: String, cStruct: String)

    var swiftType: String {
        switch self {
        case .scalar(let scalar): scalar.swiftType
        case .message(let swift, _): swift
        }
    }
}

enum FieldShape: Equatable {
    case single(ValueKind)
    case repeated(ValueKind)
    /// A map<string, V>: protoc-c represents it as repeated entry messages.
    case map(value: ValueKind, entryStruct: String, entryPrefix: String)
}

struct GenField {
    var proto: ProtoField
    var shape: FieldShape
    /// Property name as written in Swift (backticked if a keyword).
    var swiftName: String { SwiftNaming.identifier(proto.name) }
    /// Member name in the protoc-c struct, as written in Swift.
    var cName: String { SwiftNaming.identifier(CNaming.fieldName(proto.name)) }
    /// "skiff.core.v1.Pod.spec", for error messages.
    var path: String
}

/// How a message appears in Kubernetes JSON: plain, or carrying apiVersion and kind.
enum MessageRole: Equatable {
    case plain
    case object(apiVersion: String, kind: String)
    case list(apiVersion: String, kind: String, item: String)
    case status(apiVersion: String, kind: String)

    var typeMeta: (apiVersion: String, kind: String)? {
        switch self {
        case .plain: nil
        case .object(let v, let k), .list(let v, let k, _), .status(let v, let k): (v, k)
        }
    }
}

struct GenMessage {
    var proto: ProtoMessage
    var swiftName: String
    var cStruct: String
    var cPrefix: String
    var fields: [GenField]
    var role: MessageRole
}

struct GenFile {
    var proto: ProtoFile
    /// Base of the generated file names: "core_v1".
    var baseName: String
    var messages: [GenMessage]
}

struct GenerationModel {
    var files: [GenFile]
    var config: GeneratorConfig

    init(schema: Schema, generate fileNames: Set<String>, config: GeneratorConfig) throws {
        self.config = config
        let index = schema.messageIndex()
        var problems: [String] = []
        var swiftNames: [String: String] = [:]  // Swift name -> full name, to catch clashes

        func swiftName(of fullName: String) -> String {
            config.specialTypes[fullName] ?? index[fullName]?.name ?? fullName
        }
        func valueKind(_ type: FieldType, at path: String) -> ValueKind? {
            switch type {
            case .scalar(let scalar): return .scalar(scalar)
            case .message(let name):
                guard index[name] != nil else { problems.append("\(path): unknown type \(name)"); return nil }
                return .message(swift: swiftName(of: name), cStruct: CNaming.structName(fullName: name))
            case .enumeration(let name):
                problems.append("\(path): enum \(name): use a string field (Kubernetes spells enumerations as strings)")
                return nil
            case .group:
                problems.append("\(path): groups are not supported")
                return nil
            }
        }

        var files: [GenFile] = []
        for file in schema.files where fileNames.contains(file.name) {
            if file.hasEnums { problems.append("\(file.name): enums are not supported; use string fields") }
            var messages: [GenMessage] = []
            func visit(_ message: ProtoMessage) {
                message.nested.forEach(visit)
                if message.isMapEntry || config.specialTypes[message.fullName] != nil { return }
                if message.hasEnums { problems.append("\(message.fullName): enums are not supported") }
                if let other = swiftNames[message.name] {
                    problems.append("\(message.fullName): Swift name \(message.name) already used by \(other)")
                }
                swiftNames[message.name] = message.fullName
                var fields: [GenField] = []
                for field in message.fields {
                    let path = "\(message.fullName).\(field.name)"
                    if field.inOneof { problems.append("\(path): oneofs are not supported") }
                    if field.label == .required { problems.append("\(path): required fields are not supported") }
                    if case .message(let typeName) = field.type, let entry = index[typeName], entry.isMapEntry {
                        guard entry.fields.count == 2, entry.fields[0].type == .scalar(.string),
                              let value = valueKind(entry.fields[1].type, at: path) else {
                            problems.append("\(path): only maps with string keys are supported")
                            continue
                        }
                        fields.append(GenField(proto: field, shape: .map(
                            value: value, entryStruct: CNaming.structName(fullName: typeName),
                            entryPrefix: CNaming.functionPrefix(fullName: typeName)), path: path))
                        continue
                    }
                    guard let kind = valueKind(field.type, at: path) else { continue }
                    fields.append(GenField(proto: field, shape: field.label == .repeated ? .repeated(kind) : .single(kind),
                                           path: path))
                }
                messages.append(GenMessage(
                    proto: message, swiftName: message.name,
                    cStruct: CNaming.structName(fullName: message.fullName),
                    cPrefix: CNaming.functionPrefix(fullName: message.fullName),
                    fields: fields, role: Self.role(of: message, config: config)))
            }
            file.messages.forEach(visit)
            files.append(GenFile(proto: file, baseName: Self.baseName(of: file), messages: messages))
        }
        let bases = files.map(\.baseName)
        if Set(bases).count != bases.count { problems.append("two proto files share a package: \(bases.sorted())") }
        problems += Self.singularCycles(files.flatMap(\.messages))
        if !problems.isEmpty { throw GeneratorError(problems: problems) }
        self.files = files
    }

    /// "skiff.core.v1" -> "core_v1".
    static func baseName(of file: ProtoFile) -> String {
        var parts = file.package.split(separator: ".").map(String.init)
        if parts.first == "skiff" { parts.removeFirst() }
        return parts.isEmpty ? "root" : parts.joined(separator: "_")
    }

    static func role(of message: ProtoMessage, config: GeneratorConfig) -> MessageRole {
        if message.fullName == config.statusMessage { return .status(apiVersion: "v1", kind: message.name) }
        guard let group = config.apiGroups[message.package] else { return .plain }
        let version = message.package.split(separator: ".").last.map(String.init) ?? ""
        let apiVersion = group.isEmpty ? version : "\(group)/\(version)"
        let metadata = message.fields.first { $0.name == "metadata" }
        if metadata?.type == .message("skiff.meta.v1.ObjectMeta"), message.relativeName == message.name,
           !message.name.hasSuffix("Spec") {
            return .object(apiVersion: apiVersion, kind: message.name)
        }
        if metadata?.type == .message("skiff.meta.v1.ListMeta"), message.name.hasSuffix("List"),
           let items = message.fields.first(where: { $0.name == "items" && $0.label == .repeated }),
           case .message(let item) = items.type {
            return .list(apiVersion: apiVersion, kind: message.name,
                         item: String(item.split(separator: ".").last ?? ""))
        }
        return .plain
    }

    /// Swift structs cannot contain themselves through non-optional-array storage; report every
    /// message that reaches itself through singular message fields.
    static func singularCycles(_ messages: [GenMessage]) -> [String] {
        let byName = Dictionary(messages.map { ($0.swiftName, $0) }, uniquingKeysWith: { a, _ in a })
        var problems: [String] = []
        for start in messages {
            var stack = [start.swiftName]
            var seen: Set<String> = []
            while let current = stack.popLast() {
                for field in byName[current]?.fields ?? [] {
                    guard case .single(.message(let next, _)) = field.shape else { continue }
                    if next == start.swiftName {
                        problems.append("\(start.proto.fullName) contains itself through \(field.path)")
                    } else if seen.insert(next).inserted {
                        stack.append(next)
                    }
                }
            }
        }
        return problems
    }
}

extension ScalarType {
    var swiftType: String {
        switch self {
        case .int32, .sint32, .sfixed32: "Int32"
        case .int64, .sint64, .sfixed64: "Int64"
        case .uint32, .fixed32: "UInt32"
        case .uint64, .fixed64: "UInt64"
        case .bool: "Bool"
        case .double: "Double"
        case .float: "Float"
        case .string: "String"
        case .bytes: "[UInt8]"
        }
    }
}
