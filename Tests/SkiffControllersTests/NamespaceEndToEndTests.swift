/// The namespace controller end to end: a deleted namespace is emptied, then disappears.
import SkiffAPI
import SkiffClient
import SkiffTestSupport
import SkiffWire
import Testing

@Suite("Namespace controller end to end", .serialized)
struct NamespaceEndToEndTests {
    @Test func deletingANamespaceEmptiesItAndThenItGoes() async throws {
        try await withCluster(scheduler: false) { cluster in
            try cluster.startController("replicaset")
            try cluster.startController("garbage-collector")
            try cluster.startController("namespace", arguments: ["--option", "namespace-recheck-seconds=0.5"])
            try await cluster.apply("""
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: team
                """)
            try await cluster.apply(LifecycleManifests.replicaSet("web", namespace: "team"))
            _ = try await cluster.client.create(ConfigMap(metadata: ObjectMeta(name: "settings", namespace: "team")))
            try await cluster.waitForPods("web", count: 2, namespace: "team")

            try await cluster.skiffctlSucceeds(["delete", "namespace", "team"])
            try await cluster.waitFor("namespace team gone", { try await cluster.isGone(Namespace.self, "team", namespace: nil) },
                                      until: { $0 })
            #expect(try await cluster.client.list(ReplicaSet.self, namespace: "team").items.isEmpty)
            #expect(try await cluster.client.list(ConfigMap.self, namespace: "team").items.isEmpty)
            #expect(try await cluster.pods(namespace: "team").isEmpty)
        }
    }

    @Test func aNamespaceWaitsForContentHeldByAFinalizer() async throws {
        try await withCluster(scheduler: false) { cluster in
            try cluster.startController("namespace", arguments: ["--option", "namespace-recheck-seconds=0.5"])
            _ = try await cluster.client.create(Namespace(metadata: ObjectMeta(name: "held")))
            var meta = ObjectMeta(name: "pinned", namespace: "held")
            meta.finalizers = ["example.com/hold"]
            _ = try await cluster.client.create(ConfigMap(metadata: meta))

            _ = try await cluster.client.delete(Namespace.self, name: "held")
            let terminating = try await cluster.waitFor("the namespace to say what remains", {
                try await cluster.client.get(Namespace.self, name: "held")
            }, until: { namespace in
                namespace.status?.conditions.contains { $0.type == "NamespaceFinalizersRemaining" && $0.status == "True" } == true
            })
            #expect(terminating.status?.phase == "Terminating")

            var pinned = try await cluster.client.get(ConfigMap.self, name: "pinned", namespace: "held")
            pinned.metadata?.finalizers = []
            _ = try await cluster.client.update(pinned)
            try await cluster.waitFor("namespace held gone", { try await cluster.isGone(Namespace.self, "held", namespace: nil) },
                                      until: { $0 })
        }
    }
}
