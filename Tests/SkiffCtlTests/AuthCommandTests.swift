/// `skiffctl auth can-i`: kubectl's argument forms become the review's attributes, and the
/// answer prints as yes/no with the exit status to match.
@testable import SkiffCtl
import SkiffWire
import Testing

@Suite struct AuthCommandTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var verb: String, resource: String, name: String?
        var group: String, plural: String, subresource: String?, objectName: String?, known: Bool
        var testDescription: String { "\(verb) \(resource) \(name ?? "")" }
    }

    @Test(arguments: [
        Row(verb: "get", resource: "pods", name: nil, group: "", plural: "pods", subresource: nil, objectName: nil, known: true),
        Row(verb: "create", resource: "deploy", name: nil, group: "apps", plural: "deployments", subresource: nil, objectName: nil, known: true),
        Row(verb: "get", resource: "pods/log", name: "web", group: "", plural: "pods", subresource: "log", objectName: "web", known: true),
        Row(verb: "delete", resource: "pod/web", name: nil, group: "", plural: "pods", subresource: nil, objectName: "web", known: true),
        Row(verb: "list", resource: "widgets.example.com", name: nil, group: "example.com", plural: "widgets", subresource: nil,
            objectName: nil, known: false),
    ])
    func argumentFormsBecomeAttributes(_ row: Row) throws {
        let (review, known, _) = try CanICommand.attributes(verb: row.verb, resource: row.resource, name: row.name)
        #expect(review.verb == row.verb && review.group == row.group && review.resource == row.plural)
        #expect(review.subresource == row.subresource && review.name == row.objectName && known == row.known)
    }

    @Test func yesExitsZeroAndNoExitsOne() async throws {
        let harness = TestSession(namespace: "shop")
        let fake = harness.client
        fake.allow("alice", "get", "/pods", namespace: "shop")
        #expect(try await harness.run(CanICommand.self, ["get", "pods", "--as", "alice"]))
        #expect(harness.output.lines == ["yes"])
        #expect(try await !harness.run(CanICommand.self, ["delete", "pods", "--as", "alice"]))
        #expect(harness.output.lines == ["yes", "no"])
        #expect(fake.calls.last == "review alice delete /pods shop")
    }
}
