@testable import ProtoGen
import Testing

/// The generator refuses what it cannot represent, naming the place, instead of emitting code
/// that does not compile or silently loses data.
@Suite struct ModelTests {
    static func field(_ name: String, _ number: Int32, _ type: FieldType, label: FieldLabel = .optional,
                      oneof: Bool = false) -> ProtoField {
        ProtoField(name: name, number: number, label: label, type: type, jsonName: name, inOneof: oneof)
    }

    static func schema(_ messages: [ProtoMessage], package: String = "skiff.test.v1") -> Schema {
        Schema(files: [ProtoFile(name: "skiff/test.proto", package: package, messages: messages)])
    }

    static func message(_ name: String, _ fields: [ProtoField], package: String = "skiff.test.v1") -> ProtoMessage {
        ProtoMessage(fullName: "\(package).\(name)", name: name, package: package, fields: fields)
    }

    static func problems(_ schema: Schema) -> [String] {
        do {
            _ = try Generator.generate(schema)
            return []
        } catch let error as GeneratorError {
            return error.problems
        } catch {
            return ["\(error)"]
        }
    }

    @Test func generatesForASimpleMessage() throws {
        let schema = Self.schema([Self.message("Thing", [Self.field("name", 1, .scalar(.string))])])
        let files = try Generator.generate(schema)
        #expect(files.wire.keys.sorted() == ["WireRegistry.tables.swift", "test_v1.bridge.swift",
                                             "test_v1.json.swift", "test_v1.types.swift"])
        #expect(files.wire["test_v1.types.swift"]?.contains("public var name: String? = nil") == true)
        #expect(files.wire["test_v1.bridge.swift"]?.contains("skiff__test__v1__thing__pack") == true)
    }

    @Test func refusesEnumsOneofsAndRequired() {
        let schema = Self.schema([Self.message("Thing", [
            Self.field("kind", 1, .enumeration("skiff.test.v1.Kind")),
            Self.field("a", 2, .scalar(.string), oneof: true),
            Self.field("b", 3, .scalar(.int32), label: .required),
        ])])
        let problems = Self.problems(schema)
        #expect(problems.contains { $0.hasPrefix("skiff.test.v1.Thing.kind: enum") })
        #expect(problems.contains { $0.hasPrefix("skiff.test.v1.Thing.a: oneofs") })
        #expect(problems.contains { $0.hasPrefix("skiff.test.v1.Thing.b: required") })
    }

    @Test func refusesAMessageThatContainsItself() {
        let schema = Self.schema([
            Self.message("A", [Self.field("b", 1, .message("skiff.test.v1.B"))]),
            Self.message("B", [Self.field("a", 1, .message("skiff.test.v1.A")),
                               Self.field("many", 2, .message("skiff.test.v1.B"), label: .repeated)]),
        ])
        let problems = Self.problems(schema)
        #expect(problems.contains("skiff.test.v1.A contains itself through skiff.test.v1.B.a"))
        // Through a repeated field is fine: arrays are stored out of line.
        #expect(!problems.contains { $0.contains("B.many") })
    }

    @Test func refusesTwoMessagesWithOneSwiftName() {
        let schema = Schema(files: [
            ProtoFile(name: "skiff/a.proto", package: "skiff.a.v1", messages: [Self.message("Thing", [], package: "skiff.a.v1")]),
            ProtoFile(name: "skiff/b.proto", package: "skiff.b.v1", messages: [Self.message("Thing", [], package: "skiff.b.v1")]),
        ])
        #expect(Self.problems(schema) == ["skiff.b.v1.Thing: Swift name Thing already used by skiff.a.v1.Thing"])
    }

    @Test(arguments: [
        ("skiff.apps.v1", "Deployment", "metadata", "skiff.meta.v1.ObjectMeta", MessageRole.object(apiVersion: "apps/v1", kind: "Deployment")),
        ("skiff.core.v1", "Pod", "metadata", "skiff.meta.v1.ObjectMeta", .object(apiVersion: "v1", kind: "Pod")),
        ("skiff.core.v1", "PodTemplateSpec", "metadata", "skiff.meta.v1.ObjectMeta", .plain),
        ("skiff.wire.v1", "Envelope", "metadata", "skiff.meta.v1.ObjectMeta", .plain),
        ("skiff.rbac.v1", "RoleList", "metadata", "skiff.meta.v1.ListMeta",
         .list(apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleList", item: "Role")),
    ])
    func rolesFollowPackageAndMetadata(package: String, name: String, field: String, type: String, role: MessageRole) {
        var fields = [Self.field(field, 1, .message(type))]
        if name.hasSuffix("List") { fields.append(Self.field("items", 2, .message("\(package).Role"), label: .repeated)) }
        let message = Self.message(name, fields, package: package)
        #expect(GenerationModel.role(of: message, config: .skiff) == role)
    }
}
