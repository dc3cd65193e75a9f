/// The namespace finalize step: the only write that changes a namespace's spec.finalizers; a
/// namespace being deleted goes with its last finalizer.
import Testing
import SkiffAPI
import SkiffClient
import SkiffTestSupport
import SkiffWire

@Suite(.serialized)
struct NamespaceFinalizeTests {
    static func finalize(_ client: APIClient, _ namespace: Namespace) async throws -> Response {
        var call = Request(verb: "update", version: "v1", resource: "namespaces", subresource: "finalize",
                           name: namespace.metadata?.name ?? "")
        call.body = try namespace.serializedBytes()
        call.bodyType = Namespace.protoName
        return try await client.send(call)
    }

    @Test func finalizingADeletedNamespaceRemovesIt() async throws {
        try await withPlane { _, client in
            var created = try await client.create(Namespace(metadata: ObjectMeta(name: "shop")))
            #expect(created.spec?.finalizers == ["kubernetes"])
            // An update of the namespace itself cannot drop the finalizer.
            created.spec?.finalizers = []
            let updated = try await client.update(created)
            #expect(updated.spec?.finalizers == ["kubernetes"])

            var deleted = try await client.delete(Namespace.self, name: "shop")
            #expect(deleted.status?.phase == "Terminating")
            deleted.spec?.finalizers = []
            deleted.metadata?.resourceVersion = nil
            _ = try await Self.finalize(client, deleted)
            await #expect { try await client.get(Namespace.self, name: "shop") } throws: { ($0 as? APIError)?.code == 404 }
        }
    }

    @Test func finalizingALiveNamespaceOnlyChangesItsFinalizers() async throws {
        try await withPlane { _, client in
            var created = try await client.create(Namespace(metadata: ObjectMeta(name: "cafe", labels: ["a": "b"])))
            created.spec?.finalizers = []
            created.metadata?.labels = [:]
            _ = try await Self.finalize(client, created)
            let read = try await client.get(Namespace.self, name: "cafe")
            #expect(read.spec?.finalizers == [])
            #expect(read.metadata?.labels["a"] == "b")
            #expect(read.status?.phase == "Active")
        }
    }
}
