import Foundation
@testable import SkiffAPI
import SkiffWire
import Testing

/// JSON merge patch: RFC 7386's own examples, then patches on typed objects and their errors.
@Suite struct MergePatchTests {
    static func tree(_ json: String) throws -> JSONValue {
        try JSONValue(parsing: Data(json.utf8))
    }

    /// RFC 7386, appendix A: original, patch, result.
    @Test(arguments: [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        (#"{"a":"foo"}"#, #"null"#, #"null"#),
        (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
        (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ])
    func rfc7386Examples(_ original: String, _ patch: String, _ result: String) throws {
        #expect(MergePatch.merge(try Self.tree(patch), into: try Self.tree(original)) == (try Self.tree(result)))
    }

    @Test func documentsArePatchedAsJSON() throws {
        let patched = try MergePatch.apply(Data(#"{"b":{"c":null,"d":2},"n":9007199254740993}"#.utf8),
                                           toDocument: Data(#"{"a":true,"b":{"c":1}}"#.utf8))
        #expect(String(decoding: patched, as: UTF8.self) == #"{"a":true,"b":{"d":2},"n":9007199254740993}"#)
    }

    // MARK: creating a patch

    @Test(arguments: [
        (#"{"a":1,"b":{"c":2,"d":3}}"#, #"{"a":1,"b":{"c":4}}"#, #"{"b":{"c":4,"d":null}}"#),
        (#"{"a":1}"#, #"{"a":1}"#, #"{}"#),
        (#"{"a":[1,2]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"{"a":{"b":1}}"#, #"{"a":"flat"}"#, #"{"a":"flat"}"#),
        (#"{"a":1}"#, #"{"b":{"c":true}}"#, #"{"a":null,"b":{"c":true}}"#),
        (#"{"a":1}"#, #"[1]"#, #"[1]"#),
    ])
    func createsThePatchBetweenTwoDocuments(_ old: String, _ new: String, _ expected: String) throws {
        let patch = try MergePatch.create(from: Data(old.utf8), to: Data(new.utf8))
        #expect(try JSONValue(parsing: patch) == (try Self.tree(expected)))
        // And the patch does turn one into the other.
        #expect(MergePatch.merge(try JSONValue(parsing: patch), into: try Self.tree(old))
                == (try Self.tree(new)))
    }

    // MARK: typed objects

    static let deployment = Deployment(
        metadata: ObjectMeta(name: "web", namespace: "default", resourceVersion: "12", generation: 9_007_199_254_740_993,
                             labels: ["app": "web", "tier": "fe"]),
        spec: DeploymentSpec(replicas: 3, selector: LabelSelector(matchLabels: ["app": "web"]),
                             template: PodTemplateSpec(
                                metadata: ObjectMeta(labels: ["app": "web"]),
                                spec: PodSpec(containers: [Container(name: "web", image: "nginx:1.25"),
                                                           Container(name: "sidecar", image: "envoy:1")])),
                             paused: false))

    @Test func patchesATypedObject() throws {
        let patch = #"{"metadata":{"labels":{"tier":null,"track":"stable"}},"spec":{"replicas":5,"paused":true}}"#
        let patched = try MergePatch.apply(Data(patch.utf8), to: Self.deployment)
        var expected = Self.deployment
        expected.metadata?.labels = ["app": "web", "track": "stable"]
        expected.spec?.replicas = 5
        expected.spec?.paused = true
        #expect(patched == expected)
        // 64-bit integers come through exactly.
        #expect(patched.metadata?.generation == 9_007_199_254_740_993)
    }

    @Test func aListIsReplacedWhole() throws {
        let patch = #"{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.26"}]}}}}"#
        let patched = try MergePatch.apply(Data(patch.utf8), to: Self.deployment)
        #expect(patched.spec?.template?.spec?.containers == [Container(name: "web", image: "nginx:1.26")])
    }

    @Test func anEmptyPatchChangesNothing() throws {
        #expect(try MergePatch.apply(Data("{}".utf8), to: Self.deployment) == Self.deployment)
    }

    @Test func anObjectOfAnyKindCanBePatched() throws {
        let object: any APIObject = Pod(metadata: ObjectMeta(name: "p"), spec: PodSpec(nodeName: "a"))
        let patched = try MergePatch.apply(Data(#"{"spec":{"nodeName":"b"}}"#.utf8), to: object)
        #expect((patched as? Pod)?.spec?.nodeName == "b")
    }

    @Test(arguments: [
        ("[1]", "a merge patch must be a JSON object"),
        ("\"spec\"", "a merge patch must be a JSON object"),
        ("null", "a merge patch must be a JSON object"),
        ("{spec:", "the patch is not valid JSON"),
    ])
    func aPatchThatIsNotAnObjectIsMalformed(_ patch: String, _ message: String) {
        #expect(throws: MergePatchError(.malformedPatch, message)) {
            try MergePatch.apply(Data(patch.utf8), to: Self.deployment)
        }
    }

    @Test(arguments: [
        (#"{"spec":{"replicase":3}}"#, "spec.replicase: unknown field \"replicase\""),
        (#"{"spec":{"template":{"spec":{"containers":[{"name":"web","imag":"x"}]}}}}"#,
         "spec.template.spec.containers[0].imag: unknown field \"imag\""),
        (#"{"spec":{"replicas":"three"}}"#, "spec.replicas: expected an integer"),
        (#"{"metadata":{"labels":{"app":7}}}"#, "metadata.labels.app: expected a string"),
        (#"{"kind":"StatefulSet"}"#, "kind: expected kind Deployment, found StatefulSet"),
    ])
    func aResultThatDoesNotDecodeNamesTheField(_ patch: String, _ messageStart: String) throws {
        let error = try #require(throws: MergePatchError.self) {
            try MergePatch.apply(Data(patch.utf8), to: Self.deployment)
        }
        #expect(error.kind == .invalidResult)
        #expect(error.message.hasPrefix(messageStart), "\(error.message)")
        #expect(error.badRequest.code == 400)
    }
}
