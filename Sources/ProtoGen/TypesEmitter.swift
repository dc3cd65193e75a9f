/// Emits the Swift value type of every message: a Sendable, Equatable struct whose properties are
/// the proto fields (optional for singular fields, arrays for repeated ones, dictionaries for maps),
/// plus the apiVersion/kind conformances of API objects and lists.
enum TypesEmitter {
    static func emit(_ file: GenFile) -> String {
        CodeWriter.file(file) { message, w in emit(message, into: &w) }
    }

    static func propertyType(_ shape: FieldShape) -> (type: String, defaultValue: String) {
        switch shape {
        case .single(let kind): ("\(kind.swiftType)?", "nil")
        case .repeated(let kind): ("[\(kind.swiftType)]", "[]")
        case .map(let value, _, _): ("[String: \(value.swiftType)]", "[:]")
        }
    }

    private static func emit(_ message: GenMessage, into w: inout CodeWriter) {
        w.docComment(message.proto.comment)
        w.block("public struct \(message.swiftName): Sendable, Equatable") { w in
            for field in message.fields {
                w.docComment(field.proto.comment)
                let (type, value) = propertyType(field.shape)
                w.line("public var \(field.swiftName): \(type) = \(value)")
            }
            w.line()
            w.line("public init() {}")
            if message.fields.isEmpty { return }
            w.line()
            let parameters = message.fields.map { field in
                let (type, value) = propertyType(field.shape)
                return "\(field.swiftName): \(type) = \(value)"
            }
            w.line("public init(")
            for (index, parameter) in parameters.enumerated() {
                w.line("    \(parameter)\(index == parameters.count - 1 ? "" : ",")")
            }
            w.block(")") { w in
                for field in message.fields {
                    w.line("self.\(field.swiftName) = \(field.swiftName)")
                }
            }
        }
        switch message.role {
        case .plain:
            break
        case .object(let apiVersion, let kind):
            w.line()
            w.block("extension \(message.swiftName): APIObject") { w in
                w.line("public static let apiVersion = \"\(apiVersion)\"")
                w.line("public static let kind = \"\(kind)\"")
            }
        case .list(let apiVersion, let kind, let item):
            w.line()
            w.block("extension \(message.swiftName): APIList") { w in
                w.line("public typealias Item = \(item)")
                w.line("public static let apiVersion = \"\(apiVersion)\"")
                w.line("public static let kind = \"\(kind)\"")
            }
        case .status(let apiVersion, let kind):
            w.line()
            w.block("extension \(message.swiftName): TypedMessage") { w in
                w.line("public static let apiVersion = \"\(apiVersion)\"")
                w.line("public static let kind = \"\(kind)\"")
            }
        }
    }
}
