/// The generator's entry point: a schema in, the generated files out (path relative to the
/// output directory -> contents). Writing them is the caller's job.
public struct GeneratedFiles: Sendable {
    /// Files for the SkiffWire module.
    public var wire: [String: String]
    /// Files for the SkiffWireTesting module.
    public var testing: [String: String]
}

public enum Generator {
    /// Generates for the files named in `fileNames` (as given to protoc), or for every file of
    /// the schema when nil.
    public static func generate(_ schema: Schema, files fileNames: Set<String>? = nil,
                                config: GeneratorConfig = .skiff) throws -> GeneratedFiles {
        let names = fileNames ?? Set(schema.files.map(\.name))
        let model = try GenerationModel(schema: schema, generate: names, config: config)
        var wire: [String: String] = [:]
        var testing: [String: String] = [:]
        for file in model.files {
            wire["\(file.baseName).types.swift"] = TypesEmitter.emit(file)
            wire["\(file.baseName).bridge.swift"] = BridgeEmitter.emit(file)
            wire["\(file.baseName).json.swift"] = CodableEmitter.emit(file)
            testing["\(file.baseName).arbitrary.swift"] = ArbitraryEmitter.emit(file)
        }
        wire["WireRegistry.tables.swift"] = RegistryEmitter.emit(model.files)
        testing["ArbitraryRegistry.tables.swift"] = ArbitraryEmitter.emitRegistry(model.files)
        return GeneratedFiles(wire: wire, testing: testing)
    }
}
