/// Emits the bridge between each Swift struct and its protoc-c struct: `WireMessage` conformance
/// (pack and unpack through protobuf-c), `init(cStruct:)` reading an unpacked C message, and
/// `cStruct(in:)` building one in an arena for packing.
///
/// Direct field access per message: measured faster than a reflective, descriptor-walking
/// bridge (shared/notes/bus.md).
enum BridgeEmitter {
    static func emit(_ file: GenFile) -> String {
        CodeWriter.file(file, imports: ["CProtobufC", "CSkiffProto"]) { message, w in emit(message, into: &w) }
    }

    private static func emit(_ m: GenMessage, into w: inout CodeWriter) {
        w.block("extension \(m.swiftName): WireMessage") { w in
            w.line("public static let protoName = \"\(m.proto.fullName)\"")
            w.line()
            w.block("public func serializedBytes() throws(WireError) -> [UInt8]") { w in
                w.line("let arena = Arena()")
                w.line("let message = try cStruct(in: arena)")
                w.line("let size = \(m.cPrefix)__get_packed_size(message)")
                w.line("return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in")
                w.line("    count = \(m.cPrefix)__pack(message, buffer.baseAddress)")
                w.line("}")
            }
            w.line()
            w.block("public init(serializedBytes bytes: UnsafeRawBufferPointer) throws(WireError)") { w in
                w.block("guard let message = withWireBytes(bytes, { \(m.cPrefix)__unpack(nil, $0, $1) }) else") { w in
                    w.line("throw WireError(.malformed, path: Self.protoName, \"not a valid encoding of \\(Self.protoName)\")")
                }
                w.line("defer { \(m.cPrefix)__free_unpacked(message, nil) }")
                w.line("try self.init(cStruct: message)")
            }
            w.line()
            w.block("init(cStruct pointer: UnsafePointer<\(m.cStruct)>) throws(WireError)") { w in
                w.line("self.init()")
                if !m.fields.isEmpty { w.line("let c = pointer.pointee") }
                for field in m.fields { decode(field, into: &w) }
            }
            w.line()
            w.block("func cStruct(in arena: Arena) throws(WireError) -> UnsafeMutablePointer<\(m.cStruct)>") { w in
                w.line("let c = arena.make(\(m.cStruct).self)")
                w.line("\(m.cPrefix)__init(c)")
                for field in m.fields { encode(field, into: &w) }
                w.line("return c")
            }
        }
    }

    // MARK: C -> Swift

    private static func decode(_ f: GenField, into w: inout CodeWriter) {
        let c = "c.\(f.cName)"
        let cRaw = CNaming.fieldName(f.proto.name)
        let has = "c.has_\(cRaw) != 0"
        let count = "c.n_\(cRaw)"
        let path = "\"\(f.path)\""
        let name = "self.\(f.swiftName)"
        switch f.shape {
        case .single(.scalar(.string)):
            w.line("if let p = \(c) { \(name) = try wireString(p, \(path)) }")
        case .single(.scalar(.bytes)):
            w.line("if \(has) { \(name) = wireBytes(\(c)) }")
        case .single(.scalar(.bool)):
            w.line("if \(has) { \(name) = \(c) != 0 }")
        case .single(.scalar):
            w.line("if \(has) { \(name) = \(c) }")
        case .single(.message(let swift, _)):
            w.line("if let p = \(c) { \(name) = try \(swift)(cStruct: p) }")
        case .repeated(.scalar(.string)):
            w.line("\(name) = try wireStrings(\(c), \(count), \(path))")
        case .repeated(.scalar(.bytes)):
            w.line("\(name) = wireBytesArray(\(c), \(count))")
        case .repeated(.scalar(.bool)):
            w.line("\(name) = wireBools(\(c), \(count))")
        case .repeated(.scalar):
            w.line("\(name) = wireScalars(\(c), \(count))")
        case .repeated(.message(let swift, _)):
            w.block("if \(count) > 0") { w in
                w.line("\(name).reserveCapacity(\(count))")
                w.block("for i in 0..<\(count)") { w in
                    w.line("guard let p = \(c)[i] else { throw wireMissingElement(\(path)) }")
                    w.line("\(name).append(try \(swift)(cStruct: p))")
                }
            }
        case .map(let value, _, _):
            w.block("if \(count) > 0") { w in
                w.line("\(name).reserveCapacity(\(count))")
                w.block("for i in 0..<\(count)") { w in
                    w.line("guard let entry = \(c)[i]?.pointee else { throw wireMissingElement(\(path)) }")
                    w.line("var key = \"\"")
                    w.line("if let p = entry.key { key = try wireString(p, \(path)) }")
                    switch value {
                    case .scalar(.string):
                        w.line("var value = \"\"")
                        w.line("if let p = entry.value { value = try wireString(p, \(path)) }")
                    case .scalar(.bytes):
                        w.line("let value = entry.has_value != 0 ? wireBytes(entry.value) : []")
                    case .scalar(.bool):
                        w.line("let value = entry.has_value != 0 && entry.value != 0")
                    case .scalar:
                        w.line("let value = entry.has_value != 0 ? entry.value : 0")
                    case .message(let swift, _):
                        w.line("var value = \(swift)()")
                        w.line("if let p = entry.value { value = try \(swift)(cStruct: p) }")
                    }
                    w.line("\(name)[key] = value")
                }
            }
        }
    }

    // MARK: Swift -> C

    private static func encode(_ f: GenField, into w: inout CodeWriter) {
        let c = "c.pointee.\(f.cName)"
        let cRaw = CNaming.fieldName(f.proto.name)
        let has = "c.pointee.has_\(cRaw) = 1"
        let count = "c.pointee.n_\(cRaw)"
        let path = "\"\(f.path)\""
        let name = "self.\(f.swiftName)"
        switch f.shape {
        case .single(.scalar(.string)):
            w.line("if let v = \(name) { \(c) = try arena.cString(v, \(path)) }")
        case .single(.scalar(.bytes)):
            w.line("if let v = \(name) { \(has); \(c) = arena.binary(v) }")
        case .single(.scalar(.bool)):
            w.line("if let v = \(name) { \(has); \(c) = v ? 1 : 0 }")
        case .single(.scalar):
            w.line("if let v = \(name) { \(has); \(c) = v }")
        case .single(.message):
            w.line("if let v = \(name) { \(c) = try v.cStruct(in: arena) }")
        case .repeated(let kind):
            w.block("if !\(name).isEmpty") { w in
                w.line("\(count) = \(name).count")
                switch kind {
                case .scalar(.string): w.line("\(c) = try arena.cStrings(\(name), \(path))")
                case .scalar(.bytes): w.line("\(c) = arena.binaries(\(name))")
                case .scalar(.bool): w.line("\(c) = arena.bools(\(name))")
                case .scalar: w.line("\(c) = arena.copy(\(name))")
                case .message(_, let cStruct):
                    w.line("let items = arena.pointers(to: \(cStruct).self, count: \(name).count)")
                    w.line("for (i, v) in \(name).enumerated() { items[i] = try v.cStruct(in: arena) }")
                    w.line("\(c) = items")
                }
            }
        case .map(let value, let entryStruct, let entryPrefix):
            // Keys sorted: deterministic bytes, identical to other protobuf implementations'.
            w.block("if !\(name).isEmpty") { w in
                w.line("let entries = arena.pointers(to: \(entryStruct).self, count: \(name).count)")
                w.block("for (i, (key, value)) in \(name).sorted(by: { $0.key < $1.key }).enumerated()") { w in
                    w.line("let e = arena.make(\(entryStruct).self)")
                    w.line("\(entryPrefix)__init(e)")
                    w.line("e.pointee.key = try arena.cString(key, \(path))")
                    switch value {
                    case .scalar(.string): w.line("e.pointee.value = try arena.cString(value, \(path))")
                    case .scalar(.bytes): w.line("e.pointee.has_value = 1; e.pointee.value = arena.binary(value)")
                    case .scalar(.bool): w.line("e.pointee.has_value = 1; e.pointee.value = value ? 1 : 0")
                    case .scalar: w.line("e.pointee.has_value = 1; e.pointee.value = value")
                    case .message: w.line("e.pointee.value = try value.cStruct(in: arena)")
                    }
                    w.line("entries[i] = e")
                }
                w.line("\(count) = \(name).count")
                w.line("\(c) = entries")
            }
        }
    }
}
