/// The garbage collector end to end: a ReplicaSet deleted with each propagation policy, as a
/// user deletes it with skiffctl, against real control-plane and controller processes.
import SkiffAPI
import SkiffClient
import SkiffTestSupport
import SkiffWire
import Testing

@Suite("Garbage collector end to end", .serialized)
struct GarbageCollectorEndToEndTests {
    @Test func deletingAReplicaSetInTheBackgroundTakesItsPods() async throws {
        try await withCluster(scheduler: false) { cluster in
            try cluster.startController("replicaset")
            try cluster.startController("garbage-collector")
            try await cluster.apply(LifecycleManifests.replicaSet("bg"))
            try await cluster.waitForPods("bg", count: 2)

            try await cluster.skiffctlSucceeds(["delete", "replicaset", "bg"])
            try await cluster.waitFor("the ReplicaSet gone", { try await cluster.isGone(ReplicaSet.self, "bg") }, until: { $0 })
            try await cluster.waitFor("its pods gone", { try await cluster.pods("app=bg") }, until: \.isEmpty)
        }
    }

    @Test func deletingADeploymentRemovesItsReplicaSetsAndPods() async throws {
        try await withCluster(scheduler: false) { cluster in
            for controller in ["deployment", "replicaset", "garbage-collector"] { try cluster.startController(controller) }
            try await cluster.apply("""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: site
            spec:
              replicas: 2
              selector:
                matchLabels:
                  app: site
              template:
                metadata:
                  labels:
                    app: site
                spec:
                  containers:
                  - name: main
                    image: busybox
            """)
            try await cluster.waitForPods("site", count: 2)
            // A second revision, so two ReplicaSets hang off the Deployment.
            try await cluster.skiffctlSucceeds(["rollout", "restart", "deployment/site"])
            try await cluster.waitFor("two ReplicaSets", {
                try await cluster.client.list(ReplicaSet.self, namespace: "default").items
            }, until: { $0.count == 2 })

            try await cluster.skiffctlSucceeds(["delete", "deployment", "site"])
            try await cluster.waitFor("the ReplicaSets gone", {
                try await cluster.client.list(ReplicaSet.self, namespace: "default").items
            }, until: \.isEmpty)
            try await cluster.waitFor("the pods gone", { try await cluster.pods("app=site") }, until: \.isEmpty)
        }
    }

    @Test func foregroundDeletionKeepsTheReplicaSetUntilItsPodsAreGone() async throws {
        try await withCluster(scheduler: false) { cluster in
            try cluster.startController("replicaset")
            try cluster.startController("garbage-collector")
            try await cluster.apply(LifecycleManifests.replicaSet("fg", podFinalizer: "example.com/hold"))
            try await cluster.waitForPods("fg", count: 2)

            try await cluster.skiffctlSucceeds(["delete", "replicaset", "fg", "--cascade", "foreground"])
            // The pods are being deleted (held by their finalizer); the ReplicaSet waits for them.
            let held = try await cluster.waitFor("both pods being deleted", { try await cluster.pods("app=fg") },
                                                 until: { $0.count == 2 && $0.allSatisfy { $0.metadata?.deletionTimestamp != nil } })
            let owner = try await cluster.client.get(ReplicaSet.self, name: "fg", namespace: "default")
            #expect(owner.metadata?.deletionTimestamp != nil)
            #expect(owner.metadata?.finalizers == ["foregroundDeletion"])

            // Release the first pod: the ReplicaSet still waits for the second.
            for (index, pod) in held.enumerated() {
                var released = try await cluster.client.get(Pod.self, name: pod.metadata?.name ?? "", namespace: "default")
                released.metadata?.finalizers = []
                _ = try await cluster.client.update(released)
                if index == 0 {
                    try await cluster.waitFor("one pod left", { try await cluster.pods("app=fg") }, until: { $0.count == 1 })
                    #expect(try await !cluster.isGone(ReplicaSet.self, "fg"))
                }
            }
            try await cluster.waitFor("the ReplicaSet gone after its pods",
                                      { try await cluster.isGone(ReplicaSet.self, "fg") }, until: { $0 })
            #expect(try await cluster.pods("app=fg").isEmpty)
        }
    }

    @Test func orphaningLeavesThePodsWithoutTheirOwner() async throws {
        try await withCluster(scheduler: false) { cluster in
            try cluster.startController("replicaset")
            try cluster.startController("garbage-collector")
            try await cluster.apply(LifecycleManifests.replicaSet("orphans"))
            try await cluster.waitForPods("orphans", count: 2)

            try await cluster.skiffctlSucceeds(["delete", "replicaset", "orphans", "--cascade", "orphan"])
            try await cluster.waitFor("the ReplicaSet gone", { try await cluster.isGone(ReplicaSet.self, "orphans") },
                                      until: { $0 })
            let pods = try await cluster.pods("app=orphans")
            #expect(pods.count == 2)
            #expect(pods.allSatisfy { $0.metadata?.ownerReferences.isEmpty == true && $0.metadata?.deletionTimestamp == nil })
        }
    }

    @Test func aDependentOfAnOwnerThatNeverExistedIsCollected() async throws {
        try await withCluster(scheduler: false) { cluster in
            try cluster.startController("garbage-collector")
            var meta = ObjectMeta(name: "stray", namespace: "default")
            meta.ownerReferences = [OwnerReference(apiVersion: "v1", kind: "ConfigMap", name: "nothing",
                                                   uid: "00000000-0000-0000-0000-000000000000")]
            _ = try await cluster.client.create(ConfigMap(metadata: meta))
            let owner = try await cluster.client.create(ConfigMap(metadata: ObjectMeta(name: "owner", namespace: "default")))
            var kept = ObjectMeta(name: "kept", namespace: "default")
            kept.ownerReferences = [OwnerReference(apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata?.uid)]
            _ = try await cluster.client.create(ConfigMap(metadata: kept))

            try await cluster.waitFor("the stray ConfigMap collected", { try await cluster.isGone(ConfigMap.self, "stray") },
                                      until: { $0 })
            #expect(try await !cluster.isGone(ConfigMap.self, "kept"))
        }
    }
}
