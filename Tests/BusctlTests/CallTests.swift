/// RequestBuilder and ReplyRenderer: building `busctl call`'s request from JSON/YAML and
/// printing its reply, without a bus.
import Foundation
import Testing
import Busctl
import SkiffBus
import SkiffWire

@Suite struct CallTests {
    @Test func buildsFromJSONAndYAML() throws {
        let fromJSON = try RequestBuilder.message(typeName: Ping.protoName, text: #"{"from": "me"}"#)
        #expect(fromJSON as? Ping == Ping(from: "me"))
        let fromYAML = try RequestBuilder.message(typeName: Pod.protoName, text: """
            metadata:
              name: web-1
              namespace: default
            """)
        #expect((fromYAML as? Pod)?.metadata?.name == "web-1")
    }

    @Test(arguments: [nil, "", "  \n"])
    func noDataIsAnEmptyMessage(text: String?) throws {
        #expect(try RequestBuilder.message(typeName: Ping.protoName, text: text) as? Ping == Ping())
    }

    @Test func unknownTypeIsNamedWithSuggestions() {
        #expect(throws: BusctlError("unknown message type 'Ping': did you mean skiff.wire.v1.Ping?")) {
            _ = try RequestBuilder.message(typeName: "Ping", text: nil)
        }
        #expect(throws: BusctlError("unknown message type 'skiff.nope.v1.Nope': give a full proto name such as skiff.wire.v1.Ping")) {
            _ = try RequestBuilder.message(typeName: "skiff.nope.v1.Nope", text: nil)
        }
    }

    @Test(arguments: [
        (#"{"spec": {"containers": [{"name": "a", "imagee": "x"}]}}"#, "spec.containers[0].imagee: unknown field"),
        (#"{"metadata": {"labels": ["not", "a", "map"]}}"#, "metadata.labels"),
        (#"{"kind": "Service"}"#, "kind: expected kind Pod"),
    ])
    func malformedDataNamesTheFieldPath(text: String, path: String) throws {
        let error = try #require(throws: BusctlError.self) {
            _ = try RequestBuilder.message(typeName: Pod.protoName, text: text)
        }
        #expect(error.message.hasPrefix("invalid skiff.core.v1.Pod: "))
        #expect(error.message.contains(path), "\(error.message)")
    }

    @Test func syntaxErrorsAreOneLine() throws {
        let error = try #require(throws: BusctlError.self) {
            _ = try RequestBuilder.message(typeName: Ping.protoName, text: "{from: [")
        }
        #expect(error.message.hasPrefix("request data is neither JSON nor YAML: "), "\(error.message)")
        #expect(!error.message.contains("\n"))
    }

    @Test func replyPrintsAsYAMLOrJSON() throws {
        var reply = Envelope()
        reply.type = Pong.protoName
        reply.payload = try Pong(component: "apiserver", pid: 7, handles: ["skiff.wire.v1.Ping"]).serializedBytes()
        let yaml = try ReplyRenderer.render(reply, format: .yaml)
        #expect(yaml == """
            component: apiserver
            handles:
            - skiff.wire.v1.Ping
            pid: 7
            """)
        let json = try ReplyRenderer.render(reply, format: .json)
        let object = try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["component"] as? String == "apiserver")
    }

    @Test func failureReplyIsThrownWithItsCode() throws {
        var reply = Envelope()
        reply.type = Failure.protoName
        reply.payload = try Failure(code: "NoHandler", message: "no handler for 'x'").serializedBytes()
        #expect(throws: BusError(.noHandler, "no handler for 'x'")) {
            _ = try ReplyRenderer.render(reply, format: .yaml)
        }
    }

    @Test func undecodableReplyIsAnError() throws {
        var reply = Envelope()
        reply.type = Pong.protoName
        reply.payload = [0xFF]
        let error = try #require(throws: BusctlError.self) { _ = try ReplyRenderer.render(reply, format: .yaml) }
        #expect(error.message.contains("undecodable skiff.wire.v1.Pong"))
    }
}
