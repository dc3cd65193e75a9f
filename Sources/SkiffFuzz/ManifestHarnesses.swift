/// ManifestHarnesses: the JSON and YAML side: the generated Codable of API objects (what the
/// apiserver decodes from `skiffctl` and what patches produce), the manifest reader behind
/// `skiffctl apply -f`, and JSON merge patch as the apiserver applies it.
///
/// Concurrency: pure. Must never: read the manifest from a file (ManifestLoader.parse takes
/// the text, so no file system is involved).
import Foundation
import SkiffAPI
import SkiffCtl
import SkiffWire

enum ManifestHarnesses {
    /// Every API object type, by proto name.
    static let objectTypes: [any APIObject.Type] = WireRegistry.objectTypes.sorted { $0.protoName < $1.protoName }

    static let jsonObject = FuzzHarness("json-object", "an API object (first byte picks the kind) from JSON; encode then decode gives it back",
                                        seeds: { FuzzSeeds.objects.map { [selector($0)] + Array(try! JSONEncoder().encode($0)) } }) { bytes in
        guard let first = bytes.first else { return false }
        return objectTypes[Int(first) % objectTypes.count].fuzzJSONRoundTrip(Data(bytes.dropFirst()))
    }

    /// The byte that chooses `object`'s type.
    static func selector(_ object: any APIObject) -> UInt8 {
        UInt8(objectTypes.firstIndex { ObjectIdentifier($0) == ObjectIdentifier(type(of: object)) }!)
    }

    static let manifest = FuzzHarness("manifest", "a YAML/JSON manifest file through ManifestLoader.parse (skiffctl apply -f)") { bytes in
        (try? ManifestLoader.parse(String(decoding: bytes, as: UTF8.self), source: "fuzz")) != nil
    }

    /// The object a patch is applied to: a Deployment with labels, a selector and a container.
    static let patchTarget: Deployment = try! JSONDecoder().decode(Deployment.self, from: Data("""
        {"apiVersion":"apps/v1","kind":"Deployment",
         "metadata":{"name":"web","namespace":"default","labels":{"app":"web","tier":"front"},"resourceVersion":"42"},
         "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},
                 "template":{"metadata":{"labels":{"app":"web"}},
                             "spec":{"containers":[{"name":"web","image":"nginx:1.27",
                                                    "resources":{"requests":{"cpu":"250m","memory":"64Mi"}}}]}}}}
        """.utf8))

    static let mergePatch = FuzzHarness("merge-patch", "JSON merge patch onto a Deployment and onto its JSON; applying it twice changes nothing more") { bytes in
        let patch = Data(bytes)
        var accepted = false
        // RFC 7386 merge is idempotent: a second application of the same patch is a no-op.
        if let once = try? MergePatch.apply(patch, to: patchTarget) {
            accepted = true
            let twice: Deployment
            do { twice = try MergePatch.apply(patch, to: once) } catch {
                fatalError("merge-patch: a patch that applied once fails the second time: \(error)")
            }
            FuzzInvariant.check(twice == once, "merge-patch", "applying the patch twice differs from once")
        }
        guard let document = try? JSONEncoder().encode(patchTarget),
              let once = try? MergePatch.apply(patch, toDocument: document) else { return accepted }
        guard let twice = try? MergePatch.apply(patch, toDocument: once),
              let onceTree = try? JSONValue(parsing: once), let twiceTree = try? JSONValue(parsing: twice) else {
            fatalError("merge-patch: a merged document does not take the patch again")
        }
        FuzzInvariant.check(onceTree == twiceTree, "merge-patch", "document: applying the patch twice differs from once")
        return true
    }
}

extension APIObject {
    /// Opens the existential type for JSONRoundTrip.
    static func fuzzJSONRoundTrip(_ json: Data) -> Bool { JSONRoundTrip.check(Self.self, json) }
}

/// The JSON invariant: what decodes encodes, and the encoding decodes to an equal value.
enum JSONRoundTrip {
    static func check<Object: APIObject>(_ type: Object.Type, _ json: Data) -> Bool {
        guard let value = try? JSONDecoder().decode(Object.self, from: json) else { return false }
        let encoded: Data
        do { encoded = try JSONEncoder().encode(value) } catch {
            fatalError("json-object: \(Object.kind) decoded but does not encode: \(error)")
        }
        let again: Object
        do { again = try JSONDecoder().decode(Object.self, from: encoded) } catch {
            fatalError("json-object: \(Object.kind) encoding does not decode: \(error)")
        }
        FuzzInvariant.check(again == value, "json-object", "\(Object.kind) changed in a JSON round trip")
        return true
    }
}
