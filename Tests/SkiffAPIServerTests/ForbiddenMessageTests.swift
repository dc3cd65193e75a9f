/// The 403's wording, which must be Kubernetes' to the character.
import Testing
@testable import SkiffAPIServer
import SkiffAPI
import SkiffWire

@Suite struct ForbiddenMessageTests {
    static let alice = UserInfo(name: "alice")

    struct Row: Sendable, CustomTestStringConvertible {
        let attributes: AuthorizationAttributes
        let reason: String
        let expected: String
        init(_ attributes: AuthorizationAttributes, _ reason: String, _ expected: String) {
            (self.attributes, self.reason, self.expected) = (attributes, reason, expected)
        }
        var testDescription: String { expected }
    }

    static let cases: [Row] = [
        Row(request(alice, "list", "pods", in: "default"), "",
         #"pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default""#),
        Row(request(alice, "get", "pods", in: "default", named: "web"), "",
         #"pods "web" is forbidden: User "alice" cannot get resource "pods" in API group "" in the namespace "default""#),
        Row(request(UserInfo(name: "bob"), "list", "nodes"), "",
         #"nodes is forbidden: User "bob" cannot list resource "nodes" in API group "" at the cluster scope"#),
        Row(request(alice, "get", "pods/log", in: "default", named: "web"), "",
         #"pods "web" is forbidden: User "alice" cannot get resource "pods/log" in API group "" in the namespace "default""#),
        Row(request(alice, "create", "deployments", group: "apps", in: "team-a"), "",
         #"deployments.apps is forbidden: User "alice" cannot create resource "deployments" in API group "apps" in the namespace "team-a""#),
        Row(request(UserInfo(name: "system:node:node-1"), "get", "secrets", in: "team-a", named: "db"),
         "no relationship found between node 'node-1' and this object",
         #"secrets "db" is forbidden: User "system:node:node-1" cannot get resource "secrets" in API group "" in the namespace "team-a": no relationship found between node 'node-1' and this object"#),
        Row(request(UserInfo(name: "<b>&\"q\""), "list", "pods"), "",
         #"pods is forbidden: User "&lt;b&gt;&amp;\"q\"" cannot list resource "pods" in API group "" at the cluster scope"#),
    ]

    @Test(arguments: cases)
    func message(_ row: Row) {
        let error = ForbiddenMessage.error(for: row.attributes, reason: row.reason)
        #expect(error.message == row.expected)
        #expect(error.code == 403)
        #expect(error.reason == .forbidden)
    }

    @Test func detailsNameTheObjectAsKubernetesDoes() {
        let error = ForbiddenMessage.error(for: request(Self.alice, "get", "deployments/scale", group: "apps", in: "a", named: "web"))
        #expect(error.status.details?.name == "web")
        #expect(error.status.details?.group == "apps")
        #expect(error.status.details?.kind == "deployments")
        #expect(error.status.status == "Failure")
    }

    @Test func aDenyCarriesItsReasonAndNoOpinionNone() {
        let ask = request(Self.alice, "list", "secrets", in: "a")
        let plain = #"secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" in the namespace "a""#
        #expect(ForbiddenMessage.error(for: ask, decision: .noOpinion).message == plain)
        #expect(ForbiddenMessage.error(for: ask, decision: .deny("because")).message == plain + ": because")
    }
}
