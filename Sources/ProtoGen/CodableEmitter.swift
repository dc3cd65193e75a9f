/// Emits Codable for every message in Kubernetes' JSON form: keys are the proto json_names,
/// unset and empty fields are omitted, bytes are base64, API objects and lists carry apiVersion
/// and kind. Decoding is strict: an unknown field is an error naming its path, as
/// `kubectl apply --validate=strict` reports it.
enum CodableEmitter {
    static func emit(_ file: GenFile) -> String {
        CodeWriter.file(file) { message, w in emit(message, into: &w) }
    }

    private static func emit(_ m: GenMessage, into w: inout CodeWriter) {
        let typeMeta = m.role.typeMeta
        w.block("extension \(m.swiftName): Codable") { w in
            var keys = m.fields.map { "\"\($0.proto.jsonName)\"" }
            if typeMeta != nil { keys = ["\"apiVersion\"", "\"kind\""] + keys }
            w.line("static let jsonKeys: Set<String> = [\(keys.joined(separator: ", "))]")
            w.line()
            w.block("public init(from decoder: any Decoder) throws") { w in
                w.line("let c = try decoder.container(keyedBy: JSONKey.self)")
                w.line("try c.rejectUnknownKeys(allowed: Self.jsonKeys)")
                if typeMeta != nil {
                    w.line("try c.checkTypeMeta(apiVersion: Self.apiVersion, kind: Self.kind)")
                }
                w.line("self.init()")
                for field in m.fields { decode(field, into: &w) }
            }
            w.line()
            w.block("public func encode(to encoder: any Encoder) throws") { w in
                w.line("var c = encoder.container(keyedBy: JSONKey.self)")
                if typeMeta != nil {
                    w.line("try c.encode(Self.apiVersion, forKey: \"apiVersion\")")
                    w.line("try c.encode(Self.kind, forKey: \"kind\")")
                }
                for field in m.fields { encode(field, into: &w) }
            }
        }
    }

    private static func decode(_ f: GenField, into w: inout CodeWriter) {
        let key = "\"\(f.proto.jsonName)\""
        let name = "self.\(f.swiftName)"
        switch f.shape {
        case .single(.scalar(.bytes)):
            w.line("\(name) = try c.decodeBase64IfPresent(forKey: \(key))")
        case .repeated(.scalar(.bytes)):
            w.line("\(name) = try c.decodeBase64ArrayIfPresent(forKey: \(key)) ?? []")
        case .map(.scalar(.bytes), _, _):
            w.line("\(name) = try c.decodeBase64MapIfPresent(forKey: \(key)) ?? [:]")
        case .single(let kind):
            w.line("\(name) = try c.decodeIfPresent(\(kind.swiftType).self, forKey: \(key))")
        case .repeated(let kind):
            w.line("\(name) = try c.decodeIfPresent([\(kind.swiftType)].self, forKey: \(key)) ?? []")
        case .map(let value, _, _):
            w.line("\(name) = try c.decodeIfPresent([String: \(value.swiftType)].self, forKey: \(key)) ?? [:]")
        }
    }

    private static func encode(_ f: GenField, into w: inout CodeWriter) {
        let key = "\"\(f.proto.jsonName)\""
        let name = "self.\(f.swiftName)"
        switch f.shape {
        case .single(.scalar(.bytes)):
            w.line("try c.encodeBase64IfPresent(\(name), forKey: \(key))")
        case .repeated(.scalar(.bytes)):
            w.line("if !\(name).isEmpty { try c.encodeBase64Array(\(name), forKey: \(key)) }")
        case .map(.scalar(.bytes), _, _):
            w.line("if !\(name).isEmpty { try c.encodeBase64Map(\(name), forKey: \(key)) }")
        case .single:
            w.line("try c.encodeIfPresent(\(name), forKey: \(key))")
        case .repeated, .map:
            w.line("if !\(name).isEmpty { try c.encode(\(name), forKey: \(key)) }")
        }
    }
}
