/// Reads protoc's `--descriptor_set_out` file (a FileDescriptorSet, ideally with
/// `--include_source_info` for comments) into a `Schema`, using protobuf-c's own bindings of
/// descriptor.proto.
///
/// The only place in the generator that touches C; it copies everything out and frees the
/// unpacked set before returning.
import CProtoDescriptor
import CProtobufC
import Foundation

public enum DescriptorSetReader {
    public struct ReadError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func read(path: String) throws -> Schema {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReadError(description: "cannot read descriptor set \(path)")
        }
        return try read(bytes: [UInt8](data), source: path)
    }

    public static func read(bytes: [UInt8], source: String = "descriptor set") throws -> Schema {
        let set = bytes.withUnsafeBufferPointer {
            google__protobuf__file_descriptor_set__unpack(nil, $0.count, $0.baseAddress)
        }
        guard let set else { throw ReadError(description: "\(source) is not a FileDescriptorSet") }
        defer { google__protobuf__file_descriptor_set__free_unpacked(set, nil) }
        return Schema(files: buffer(set.pointee.file, set.pointee.n_file).map { readFile($0!.pointee) })
    }

    private static func readFile(_ file: Google__Protobuf__FileDescriptorProto) -> ProtoFile {
        let package = string(file.package)
        var comments: [[Int32]: String] = [:]
        if let info = file.source_code_info {
            for location in buffer(info.pointee.location, info.pointee.n_location) {
                let loc = location!.pointee
                let text = string(loc.leading_comments)
                if !text.isEmpty { comments[Array(buffer(loc.path, loc.n_path))] = text }
            }
        }
        let messages = buffer(file.message_type, file.n_message_type).enumerated().map { index, message in
            readMessage(message!.pointee, scope: package, package: package, path: [4, Int32(index)],
                        comments: comments)
        }
        return ProtoFile(name: string(file.name), package: package, messages: messages,
                         hasEnums: file.n_enum_type > 0)
    }

    private static func readMessage(_ message: Google__Protobuf__DescriptorProto, scope: String, package: String,
                                    path: [Int32], comments: [[Int32]: String]) -> ProtoMessage {
        let name = string(message.name)
        let fullName = scope.isEmpty ? name : "\(scope).\(name)"
        let fields = buffer(message.field, message.n_field).enumerated().map { index, field in
            readField(field!.pointee, comment: comments[path + [2, Int32(index)]] ?? "")
        }
        let nested = buffer(message.nested_type, message.n_nested_type).enumerated().map { index, inner in
            readMessage(inner!.pointee, scope: fullName, package: package, path: path + [3, Int32(index)],
                        comments: comments)
        }
        let isMapEntry = message.options.map { $0.pointee.has_map_entry != 0 && $0.pointee.map_entry != 0 } ?? false
        return ProtoMessage(fullName: fullName, name: name, package: package, fields: fields, nested: nested,
                            isMapEntry: isMapEntry, hasEnums: message.n_enum_type > 0,
                            comment: comments[path] ?? "")
    }

    private static func readField(_ field: Google__Protobuf__FieldDescriptorProto, comment: String) -> ProtoField {
        let label: FieldLabel = switch field.label {
        case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED: .repeated
        case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REQUIRED: .required
        default: .optional
        }
        let typeName = string(field.type_name).drop { $0 == "." }
        let type: FieldType = switch field.type {
        case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_MESSAGE: .message(String(typeName))
        case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_ENUM: .enumeration(String(typeName))
        case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_GROUP: .group
        default: .scalar(scalarType(field.type))
        }
        let name = string(field.name)
        let json = string(field.json_name)
        return ProtoField(name: name, number: field.number, label: label, type: type,
                          jsonName: json.isEmpty ? name : json, inOneof: field.has_oneof_index != 0,
                          comment: comment)
    }

    private static func scalarType(_ type: Google__Protobuf__FieldDescriptorProto__Type) -> ScalarType {
        switch type {
        case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_DOUBLE: .double
        case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FLOAT: .float
        case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT64: .int64
        case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_UINT64: .uint64
        case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT32: .int32
        case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FIXED64: .fixed64
        case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FIXED32: .fixed32
        case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_BOOL: .bool
        case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_STRING: .string
        case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_BYTES: .bytes
        case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_UINT32: .uint32
        case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SFIXED32: .sfixed32
        case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SFIXED64: .sfixed64
        case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SINT32: .sint32
        default: .sint64
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
        pointer.map { String(cString: $0) } ?? ""
    }

    private static func buffer<T>(_ start: UnsafeMutablePointer<T>?, _ count: Int) -> UnsafeBufferPointer<T> {
        UnsafeBufferPointer(start: count > 0 ? start : nil, count: count)
    }
}
