/// Emits, for the test-support module, a random-value constructor for every message type:
/// every field present or absent at random, repeated fields and maps of random length, nested
/// messages down to a depth limit. Property tests round-trip these values through every codec.
enum ArbitraryEmitter {
    static func emit(_ file: GenFile) -> String {
        CodeWriter.file(file, imports: ["SkiffWire"]) { m, w in
            w.block("extension \(m.swiftName): Arbitrary") { w in
                w.block("public static func arbitrary(using g: inout ValueGenerator, depth: Int) -> \(m.swiftName)") { w in
                    w.line("var v = \(m.swiftName)()")
                    for field in m.fields { emit(field, into: &w) }
                    w.line("return v")
                }
            }
        }
    }

    static func emitRegistry(_ files: [GenFile]) -> String {
        var w = CodeWriter()
        w.line(generatedHeader)
        w.line("import SkiffWire")
        w.line()
        w.block("extension ArbitraryRegistry") { w in
            w.line("/// Every generated message type, for property tests over all of them.")
            w.line("public static let allTypes: [any ArbitraryMessage.Type] = [")
            for m in files.flatMap(\.messages) { w.line("    \(m.swiftName).self,") }
            w.line("]")
        }
        return w.text
    }

    private static func value(_ kind: ValueKind) -> String {
        switch kind {
        case .scalar(let scalar): "g.\(generatorMethod(scalar))()"
        case .message(let swift, _): "\(swift).arbitrary(using: &g, depth: depth - 1)"
        }
    }

    private static func emit(_ f: GenField, into w: inout CodeWriter) {
        let name = "v.\(f.swiftName)"
        let nested: Bool
        switch f.shape {
        case .single(.message), .repeated(.message), .map(.message, _, _): nested = true
        default: nested = false
        }
        let guardDepth = nested ? " && depth > 0" : ""
        switch f.shape {
        case .single(let kind):
            w.line("if g.present()\(guardDepth) { \(name) = \(value(kind)) }")
        case .repeated(let kind):
            w.line("if g.present()\(guardDepth) { \(name) = g.array { g in \(value(kind)) } }")
        case .map(let kind, _, _):
            w.line("if g.present()\(guardDepth) { \(name) = g.map { g in \(value(kind)) } }")
        }
    }

    private static func generatorMethod(_ scalar: ScalarType) -> String {
        switch scalar {
        case .int32, .sint32, .sfixed32: "int32"
        case .int64, .sint64, .sfixed64: "int64"
        case .uint32, .fixed32: "uint32"
        case .uint64, .fixed64: "uint64"
        case .bool: "bool"
        case .double: "double"
        case .float: "float"
        case .string: "string"
        case .bytes: "bytes"
        }
    }
}
