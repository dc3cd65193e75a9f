// skiff-protogen: reads protoc's descriptor set and writes the Swift codegen layer.
//   protoc -I proto --include_imports --include_source_info --descriptor_set_out=SET proto/...
//   skiff-protogen SET --wire-out Sources/SkiffWire/Generated --testing-out Sources/SkiffWireTesting/Generated
import ArgumentParser
import Foundation
import ProtoGen

@main
struct SkiffProtogen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skiff-protogen",
        abstract: "Generate Swift types, protobuf-c bridges and Codable from a proto descriptor set.")

    @Argument(help: "FileDescriptorSet written by protoc --include_imports --descriptor_set_out.")
    var descriptorSet: String

    @Option(help: "Directory for the SkiffWire module's generated files (replaced).")
    var wireOut: String

    @Option(help: "Directory for the SkiffWireTesting module's generated files (replaced).")
    var testingOut: String

    @Option(help: "Generate only for proto files under this prefix (as named to protoc).")
    var only: String = "skiff/"

    func run() throws {
        let schema = try DescriptorSetReader.read(path: descriptorSet)
        let files = Set(schema.files.map(\.name).filter { $0.hasPrefix(only) })
        let generated = try Generator.generate(schema, files: files)
        try write(generated.wire, to: wireOut)
        try write(generated.testing, to: testingOut)
    }

    private func write(_ files: [String: String], to directory: String) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: directory) {
            for old in try fm.contentsOfDirectory(atPath: directory) where old.hasSuffix(".swift") {
                try fm.removeItem(atPath: "\(directory)/\(old)")
            }
        }
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8)
        }
    }
}
