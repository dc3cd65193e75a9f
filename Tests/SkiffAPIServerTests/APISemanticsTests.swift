/// API semantics end to end: a real skiff-store and skiff-apiserver, each its own process,
/// driven through the client library over the bus, checking what a Kubernetes user relies on.
import Foundation
import Testing
import SkiffAPI
import SkiffBus
import SkiffClient
import SkiffStoreClient
import SkiffTestSupport
import SkiffWire

@Suite(.serialized)
struct APISemanticsTests {
    static func configMap(_ name: String, _ data: [String: String] = ["k": "v"], labels: [String: String] = [:],
                          namespace: String = "default") -> ConfigMap {
        ConfigMap(metadata: ObjectMeta(name: name, namespace: namespace, labels: labels), data: data)
    }

    static func deployment(_ name: String, replicas: Int32 = 2) -> Deployment {
        let labels = ["app": name]
        return Deployment(metadata: ObjectMeta(name: name, namespace: "default"),
                          spec: DeploymentSpec(replicas: replicas, selector: LabelSelector(matchLabels: labels),
                                               template: PodTemplateSpec(metadata: ObjectMeta(labels: labels),
                                                                         spec: PodSpec(containers: [Container(name: "web", image: "busybox")]))))
    }

    @Test func systemNamespacesExistAndMetadataIsFilledIn() async throws {
        try await withPlane { _, client in
            let names = try await client.list(Namespace.self).items.compactMap(\.metadata?.name)
            #expect(Set(names).isSuperset(of: ["default", "kube-system", "kube-public", "kube-node-lease"]))
            let created = try await client.create(Self.configMap("settings"))
            let meta = try #require(created.metadata)
            #expect(meta.uid?.count == 36)
            #expect(meta.creationTimestamp != nil)
            #expect(Int64(meta.resourceVersion ?? "") ?? 0 > 0)
            let fetched = try await client.get(ConfigMap.self, name: "settings", namespace: "default")
            #expect(fetched == created)
        }
    }

    @Test func errorsAreKubernetesStatuses() async throws {
        try await withPlane { _, client in
            await #expect { try await client.get(ConfigMap.self, name: "missing", namespace: "default") } throws: {
                ($0 as? APIError)?.code == 404 && ($0 as? APIError)?.message == "configmaps \"missing\" not found"
            }
            _ = try await client.create(Self.configMap("once"))
            await #expect { try await client.create(Self.configMap("once")) } throws: {
                ($0 as? APIError)?.reason == .alreadyExists && ($0 as? APIError)?.code == 409
            }
            // A stale resourceVersion is a conflict, and nothing is written.
            var stale = try await client.get(ConfigMap.self, name: "once", namespace: "default")
            var fresh = stale
            fresh.data = ["k": "new"]
            _ = try await client.update(fresh)
            stale.data = ["k": "lost update"]
            await #expect { try await client.update(stale) } throws: {
                ($0 as? APIError)?.reason == .conflict && ($0 as? APIError)?.code == 409
            }
            let kept = try await client.get(ConfigMap.self, name: "once", namespace: "default")
            #expect(kept.data == ["k": "new"])
            // Writing into a namespace that does not exist is refused.
            await #expect { try await client.create(Self.configMap("x", namespace: "nowhere")) } throws: {
                ($0 as? APIError)?.code == 404 && ($0 as? APIError)?.message == "namespaces \"nowhere\" not found"
            }
        }
    }

    @Test func invalidObjectsAreRefusedWithEveryFieldAndNothingIsStored() async throws {
        try await withPlane { _, client in
            var bad = Self.deployment("Bad_Name", replicas: -1)
            bad.spec?.template?.spec?.containers[0].image = nil
            await #expect { try await client.create(bad) } throws: { error in
                guard let error = error as? APIError, error.code == 422 else { return false }
                let fields = Set(error.status.details?.causes.compactMap(\.field) ?? [])
                return error.message.hasPrefix("Deployment \"Bad_Name\" is invalid: ")
                    && fields.isSuperset(of: ["metadata.name", "spec.replicas", "spec.template.spec.containers[0].image"])
            }
            let stored = try await client.list(Deployment.self, namespace: "default")
            #expect(stored.items.isEmpty)
        }
    }

    @Test func generationDefaultsStatusAndScale() async throws {
        try await withPlane { _, client in
            let created = try await client.create(Self.deployment("web"))
            #expect(created.metadata?.generation == 1)
            #expect(created.spec?.strategy?.type == "RollingUpdate")
            #expect(created.spec?.revisionHistoryLimit == 10)
            #expect(created.spec?.template?.spec?.restartPolicy == "Always")
            // A status write does not bump generation and does not touch the spec.
            var status = created
            status.status = DeploymentStatus(replicas: 2)
            status.spec?.replicas = 9
            let afterStatus = try await client.updateStatus(status)
            #expect(afterStatus.metadata?.generation == 1)
            #expect(afterStatus.spec?.replicas == 2)
            #expect(afterStatus.status?.replicas == 2)
            // A status that breaks the rules is refused like any write.
            var impossible = afterStatus
            impossible.status = DeploymentStatus(replicas: 2, readyReplicas: 3)
            await #expect { try await client.updateStatus(impossible) } throws: {
                ($0 as? APIError)?.code == 422 && ($0 as? APIError)?.status.details?.causes.first?.field == "status.readyReplicas"
            }
            // A spec write bumps generation and keeps the status.
            var spec = afterStatus
            spec.spec?.replicas = 3
            spec.status = nil
            let afterSpec = try await client.update(spec)
            #expect(afterSpec.metadata?.generation == 2)
            #expect(afterSpec.status?.replicas == 2)
            // The scale subresource reads and writes replicas.
            let info = try #require(ResourceCatalog.resolve("deploy"))
            let scale = try await client.updateScale(info, name: "web", namespace: "default", replicas: 5)
            #expect(scale.spec?.replicas == 5)
            #expect(scale.status?.selector == "app=web")
            let scaled = try await client.get(Deployment.self, name: "web", namespace: "default")
            #expect(scaled.spec?.replicas == 5)
        }
    }

    @Test func listWithSelectorsAndPages() async throws {
        try await withPlane { _, client in
            for i in 0..<7 {
                _ = try await client.create(Self.configMap("cm-\(i)", labels: ["tier": i % 2 == 0 ? "fe" : "be", "n": "\(i)"]))
            }
            let frontEnd = try await client.list(ConfigMap.self, namespace: "default", labelSelector: "tier=fe")
            #expect(frontEnd.items.count == 4)
            let setBased = try await client.list(ConfigMap.self, namespace: "default", labelSelector: "tier in (be),n!=1")
            #expect(setBased.items.count == 2)
            let byName = try await client.list(ConfigMap.self, namespace: "default", fieldSelector: "metadata.name=cm-3")
            #expect(byName.items.map { $0.metadata?.name } == ["cm-3"])
            await #expect { try await client.list(ConfigMap.self, fieldSelector: "spec.nodeName=x") } throws: {
                ($0 as? APIError)?.code == 400
            }
            var names: [String] = []
            var token: String? = nil
            var pages = 0
            repeat {
                let page = try await client.list(ConfigMap.self, namespace: "default", limit: 3, continue: token)
                names += page.items.compactMap(\.metadata?.name)
                token = page.continueToken
                pages += 1
            } while token != nil
            #expect(pages == 3)
            #expect(names == (0..<7).map { "cm-\($0)" })
        }
    }

    @Test func mergePatchAndGracefulDeletion() async throws {
        try await withPlane { _, client in
            _ = try await client.create(Self.configMap("patched", ["a": "1", "b": "2"]))
            let patched = try await client.patch(ConfigMap.self, name: "patched", namespace: "default",
                                                 mergePatch: Array(#"{"data":{"a":null,"c":"3"},"metadata":{"labels":{"x":"y"}}}"#.utf8))
            #expect(patched.data == ["b": "2", "c": "3"])
            #expect(patched.metadata?.labels == ["x": "y"])
            // A finalizer holds a deleted object, marked, until it is removed.
            var held = Self.configMap("held")
            held.metadata?.finalizers = ["example.com/hold"]
            _ = try await client.create(held)
            let marked = try await client.delete(ConfigMap.self, name: "held", namespace: "default")
            #expect(marked.metadata?.deletionTimestamp != nil)
            let stillThere = try await client.get(ConfigMap.self, name: "held", namespace: "default")
            #expect(stillThere.metadata?.deletionTimestamp != nil)
            _ = try await client.patch(ConfigMap.self, name: "held", namespace: "default",
                                       mergePatch: Array(#"{"metadata":{"finalizers":null}}"#.utf8))
            await #expect { try await client.get(ConfigMap.self, name: "held", namespace: "default") } throws: {
                ($0 as? APIError)?.code == 404
            }
            // A scheduled pod waits for its kubelet for the grace period; an unscheduled one goes at once.
            let pod = Pod(metadata: ObjectMeta(name: "p", namespace: "default"),
                          spec: PodSpec(containers: [Container(name: "c", image: "busybox")]))
            _ = try await client.create(pod)
            try await client.bind(pod: "p", namespace: "default", node: "node-1")
            let bound = try await client.get(Pod.self, name: "p", namespace: "default")
            #expect(bound.spec?.nodeName == "node-1")
            #expect(bound.status?.conditions.contains { $0.type == "PodScheduled" && $0.status == "True" } == true)
            let terminating = try await client.delete(Pod.self, name: "p", namespace: "default")
            #expect(terminating.metadata?.deletionGracePeriodSeconds == 30)
            _ = try await client.delete(Pod.self, name: "p", namespace: "default", options: DeleteOptions(gracePeriodSeconds: 0))
            await #expect { try await client.get(Pod.self, name: "p", namespace: "default") } throws: {
                ($0 as? APIError)?.code == 404
            }
        }
    }

    @Test func watchFromAResourceVersionSeesEveryChangeInOrder() async throws {
        try await withPlane { _, client in
            let first = try await client.create(Self.configMap("w1"))
            let start = first.metadata!.resourceVersion!
            _ = try await client.create(Self.configMap("w2"))
            let stream = client.watch(ConfigMap.self, namespace: "default", after: start)
            // Changes made after the watch began arrive too, after the backlog.
            Task {
                _ = try await client.create(Self.configMap("w3"))
                _ = try await client.delete(ConfigMap.self, name: "w2", namespace: "default")
            }
            let seen = try await collectChanges(stream, count: 3)
            #expect(seen == ["ADDED w2", "ADDED w3", "DELETED w2"])
        }
    }

    @Test func watchFromACompactedVersionIsGone() async throws {
        try await withPlane { plane, client in
            let old = try await client.create(Self.configMap("old"))
            _ = try await client.create(Self.configMap("middle"))
            let newer = try await client.create(Self.configMap("newer"))
            let store = try StoreClient(connectingTo: "ipc://\(plane.runDirectory)/store.sock",
                                        options: RequestClient.Options(token: try SharedToken(file: plane.storeTokenFile).value))
            _ = try await store.compact(revision: Int64(newer.metadata!.resourceVersion!)!)
            await store.close()
            var ended: (any Error)? = nil
            let watch = client.watch(ConfigMap.self, namespace: "default", after: old.metadata!.resourceVersion!)
            let watcher = Task {
                for try await _ in watch {}
            }
            let guardTask = Task {
                try await Task.sleep(for: .seconds(30))
                watcher.cancel()
            }
            do {
                try await watcher.value
            } catch {
                ended = error
            }
            guardTask.cancel()
            #expect((ended as? APIError)?.code == 410)
            #expect((ended as? APIError)?.reason == .expired)
        }
    }
}
