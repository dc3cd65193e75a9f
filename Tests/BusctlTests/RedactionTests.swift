/// Redaction: a Secret's values never appear in anything busctl prints, in any encoding, and
/// wherever the Secret travels (published directly, in a list, inside a WatchEvent or a
/// Response, as a `call` reply).
import Foundation
import Testing
import Busctl
import SkiffAPI
import SkiffBus
import SkiffWire

@Suite struct RedactionTests {
    /// Every line or document busctl could print for `message` published on the bus or
    /// returned by `call`.
    private func everyOutput(of message: some WireMessage) throws -> [String] {
        let received = try Sample.received(message, topic: "secrets/prod")
        var outputs = [
            TapFormatter(format: .text).line(for: received, receivedAtUnixNano: Sample.instant),
            TapFormatter(format: .json).line(for: received, receivedAtUnixNano: Sample.instant),
        ]
        var reply = Envelope()
        reply.type = type(of: message).protoName
        reply.payload = try message.serializedBytes()
        outputs.append(try ReplyRenderer.render(reply, format: .yaml))
        outputs.append(try ReplyRenderer.render(reply, format: .json))
        return outputs
    }

    private func expectNoLeak(_ outputs: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        for output in outputs {
            for leak in Sample.secretLeaks {
                #expect(!output.contains(leak), "output leaks \(leak): \(output)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func secretValuesAreRedactedInEveryOutput() throws {
        let outputs = try everyOutput(of: Sample.secret())
        expectNoLeak(outputs)
        #expect(outputs[0].hasSuffix(" Secret Secret prod/db-credentials rv=7"))
        let line = try #require(JSONSerialization.jsonObject(with: Data(outputs[1].utf8)) as? [String: Any])
        let message = try #require(line["message"] as? [String: Any])
        #expect(message["data"] as? [String: String] == ["password": Redaction.placeholder])
        #expect(message["stringData"] as? [String: String] == ["token": Redaction.placeholder])
        #expect(outputs[2].contains("password: <redacted>") || outputs[2].contains("password: '<redacted>'"))
    }

    @Test func secretListItemsAreRedacted() throws {
        var list = SecretList()
        list.items = [Sample.secret(), Sample.secret()]
        let outputs = try everyOutput(of: list)
        expectNoLeak(outputs)
        #expect(outputs[0].contains(" SecretList SecretList items=2 "))
    }

    @Test func secretInsideAWatchEventIsRedacted() throws {
        let event = try Sample.watchEvent("ADDED", Sample.secret())
        let outputs = try everyOutput(of: event)
        expectNoLeak(outputs)
        // Nor may the event's protobuf bytes of the Secret show through (as base64).
        let secretBytes = try Sample.secret().serializedBytes()
        for output in outputs { #expect(!output.contains(Data(secretBytes).base64EncodedString())) }
        #expect(outputs[0].hasSuffix(" WatchEvent ADDED Secret prod/db-credentials rv=7"))
    }

    @Test func undecodableSecretInsideAWatchEventIsHiddenNotDumped() throws {
        var event = try Sample.watchEvent("ADDED", Sample.secret())
        event.object = Array(try Sample.secret().serializedBytes().dropLast(3))  // truncated: does not decode
        let outputs = try everyOutput(of: event)
        expectNoLeak(outputs)
        for output in outputs { #expect(output.contains("undecodable skiff.core.v1.Secret")) }
    }

    @Test func secretInAResponseIsRedacted() throws {
        var response = Response()
        response.code = 200
        response.objectType = Secret.protoName
        response.object = try Sample.secret().serializedBytes()
        expectNoLeak(try everyOutput(of: response))

        var list = Response()
        list.code = 200
        list.itemType = Secret.protoName
        list.items = [try Sample.secret().serializedBytes()]
        expectNoLeak(try everyOutput(of: list))
    }

    @Test func secretInARequestBodyAndPatchIsRedacted() throws {
        var request = Request()
        request.verb = "create"
        request.resource = "secrets"
        request.bodyType = Secret.protoName
        request.body = try Sample.secret().serializedBytes()
        request.patch = Array(#"{"stringData":{"token":"\#(Sample.secretStringPlaintext)"}}"#.utf8)
        expectNoLeak(try everyOutput(of: request))
    }

    @Test func otherTypesAreUntouched() throws {
        let json = try JSONValue(encoding: Sample.pod())
        #expect(Redaction.redact(json, protoName: Pod.protoName) == json)
    }
}
