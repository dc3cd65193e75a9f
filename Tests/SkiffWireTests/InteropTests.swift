import Foundation
import SkiffWire
import SkiffWireTesting
import SkiffTestSupport
import Testing

/// Bytes we produce are ordinary protobuf: protoc decodes them against proto/, and what protoc
/// encodes from its text form decodes back to the same value.
@Suite struct InteropTests {
    static let protoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("proto")

    static let sampleTypes: [any ArbitraryMessage.Type] = [
        Pod.self, Deployment.self, Service.self, Secret.self, Node.self, StatefulSet.self, Job.self,
        HorizontalPodAutoscaler.self, ClusterRole.self, Lease.self, Envelope.self, Request.self, Status.self,
    ]

    @Test(arguments: sampleTypes.map(TypeCase.init))
    func protocDecodesAndReencodesOurBytes(_ type: TypeCase) throws {
        let file = try #require(Self.protoFile(for: type.metatype.protoName))
        for seed in UInt64(1)...3 {
            var generator = ValueGenerator(seed: seed)
            let value = type.metatype.arbitrary(using: &generator, depth: 3)
            let bytes = try value.serializedBytes()
            let text = try Self.protoc(["--decode=\(type.metatype.protoName)", file], input: Data(bytes))
            #expect(!text.isEmpty || bytes.isEmpty)
            let reencoded = try Self.protoc(["--encode=\(type.metatype.protoName)", file], input: text)
            let decoded = try type.metatype.init(serializedBytes: [UInt8](reencoded))
            #expect(equal(decoded, value), "\(type) seed \(seed)")
        }
    }

    /// "skiff.apps.v1.Deployment" -> "skiff/apps/v1/apps.proto" (one file per package).
    static func protoFile(for protoName: String) -> String? {
        let package = protoName.split(separator: ".").dropLast().joined(separator: "/")
        let directory = protoRoot.appendingPathComponent(package)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.first { $0.hasSuffix(".proto") }.map { "\(package)/\($0)" }
    }

    static func protoc(_ arguments: [String], input: Data) throws -> Data {
        let result = try Program.run("/usr/bin/env", ["protoc", "-I", protoRoot.path] + arguments, stdin: [UInt8](input))
        guard result.succeeded else { throw ProtocFailure(message: result.stderr) }
        return Data(result.stdoutBytes)
    }

    struct ProtocFailure: Error, CustomStringConvertible { var message: String; var description: String { message } }
}
