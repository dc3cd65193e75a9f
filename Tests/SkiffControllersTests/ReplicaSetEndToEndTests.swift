/// The replica controllers on a real cluster: pods kept at the count, replaced when deleted,
/// and several controller processes sharing the work without ever doubling a pod.
import Foundation
import SkiffAPI
import SkiffClient
import SkiffControllers
import SkiffTestSupport
import SkiffWire
import Synchronization
import Testing

@Suite(.serialized, .enabled(if: clusterTestsUnavailable == nil))
struct ReplicaSetEndToEndTests {
    static func manifest(_ name: String, replicas: Int, kind: String = "ReplicaSet") -> String {
        let selector = kind == "ReplicaSet" ? "selector:\n    matchLabels:\n      app: \(name)" : "selector:\n    app: \(name)"
        return """
        apiVersion: \(kind == "ReplicaSet" ? "apps/v1" : "v1")
        kind: \(kind)
        metadata:
          name: \(name)
        spec:
          replicas: \(replicas)
          \(selector)
          template:
            metadata:
              labels:
                app: \(name)
            spec:
              containers:
              - name: main
                image: busybox
                command: ["sleep", "3600"]
        """
    }

    @Test func aReplicaSetRunsItsPodsAndHealsThemWhenKilledOrDeleted() async throws {
        try await withCluster { cluster in
            try await cluster.addNode()
            try cluster.startController("replicaset")
            try await cluster.apply(Self.manifest("web", replicas: 2))
            let rs = try await cluster.client.get(ReplicaSet.self, name: "web", namespace: "default")
            let pods = try await cluster.waitForReadyPods(2, controlledBy: rs.metadata?.uid)
            #expect(pods.allSatisfy { $0.metadata?.name?.hasPrefix("web-") == true })

            // kill -9 of a container's process: the kubelet restarts it in place.
            let killed = pods[1]
            let processes = hostProcesses(ofPod: killed.metadata?.uid ?? "", command: "sleep")
            #expect(processes.count == 1)
            for pid in processes { kill(pid, SIGKILL) }
            try await cluster.waitFor("the killed container restarted and ready", {
                try await cluster.client.get(Pod.self, name: killed.metadata!.name!, namespace: "default")
            }, until: { ($0.status?.containerStatuses.first?.restartCount ?? 0) >= 1 && PodState.isReady($0) })

            let victim = pods[0].metadata!.name!
            let deleted = try await cluster.skiffctl(["delete", "pod", victim])
            #expect(deleted.status == 0, "\(deleted.stderr)")
            let replaced = try await cluster.waitForReadyPods(2, controlledBy: rs.metadata?.uid)
            #expect(!replaced.contains { $0.metadata?.name == victim })

            let status = try await cluster.waitFor("status to show 2 ready", {
                try await cluster.client.get(ReplicaSet.self, name: "web", namespace: "default").status
            }, until: { $0?.readyReplicas == 2 && $0?.availableReplicas == 2 && $0?.replicas == 2 })
            #expect(status?.observedGeneration == rs.metadata?.generation)
        }
    }

    @Test func scalingUpAndDownThroughTheScaleSubresource() async throws {
        try await withCluster { cluster in
            try await cluster.addNode(fakeRuntime: true)
            try cluster.startController("replicaset")
            try await cluster.apply(Self.manifest("api", replicas: 1))
            let rs = try await cluster.client.get(ReplicaSet.self, name: "api", namespace: "default")
            try await cluster.waitForReadyPods(1, controlledBy: rs.metadata?.uid)
            let resource = ResourceCatalog.resource(for: ReplicaSet.self)!
            _ = try await cluster.client.updateScale(resource, name: "api", namespace: "default", replicas: 4)
            let four = try await cluster.waitForReadyPods(4, controlledBy: rs.metadata?.uid)
            _ = try await cluster.client.updateScale(resource, name: "api", namespace: "default", replicas: 1)
            let one = try await cluster.waitForReadyPods(1, controlledBy: rs.metadata?.uid)
            // The newest go first; every pod here is equally ready, so the survivor is the oldest.
            let oldest = four.min { ($0.metadata?.creationTimestamp ?? Time()) < ($1.metadata?.creationTimestamp ?? Time()) }
            #expect(one[0].metadata?.creationTimestamp == oldest?.metadata?.creationTimestamp)
        }
    }

    @Test func aReplicationControllerAdoptsAnOrphanAndReleasesAStray() async throws {
        try await withCluster { cluster in
            try await cluster.addNode(fakeRuntime: true)
            try cluster.startController("replicationcontroller")
            try await cluster.apply("""
            apiVersion: v1
            kind: Pod
            metadata:
              name: orphan
              labels:
                app: legacy
            spec:
              containers:
              - name: main
                image: busybox
            """)
            try await cluster.apply(Self.manifest("legacy", replicas: 2, kind: "ReplicationController"))
            let rc = try await cluster.client.get(ReplicationController.self, name: "legacy", namespace: "default")
            let pods = try await cluster.waitForReadyPods(2, controlledBy: rc.metadata?.uid)
            #expect(pods.contains { $0.metadata?.name == "orphan" }, "the matching orphan is adopted, not doubled")

            // Relabelled, it no longer matches: released, and replaced.
            let relabel = try await cluster.skiffctl(["label", "pod", "orphan", "app=other", "--overwrite"])
            #expect(relabel.status == 0, "\(relabel.stderr)")
            try await cluster.waitFor("orphan released", {
                try await cluster.client.get(Pod.self, name: "orphan", namespace: "default")
            }, until: { OwnerRefs.controllerOf($0.metadata) == nil })
            let after = try await cluster.waitForReadyPods(2, controlledBy: rc.metadata?.uid)
            #expect(!after.contains { $0.metadata?.name == "orphan" })
        }
    }

    /// Three processes of one controller share the ReplicaSets; one is killed mid-burst; every
    /// ReplicaSet still converges, and no pod is ever created twice over (a pod watch counts
    /// every creation per ReplicaSet).
    @Test func threeInstancesShareTheWorkAndSurviveLosingOne() async throws {
        try await withCluster(scheduler: false) { cluster in
            for _ in 0..<3 { try cluster.startController("replicaset") }
            // All three are live members before the burst.
            try await cluster.waitFor("three shard leases", {
                try await cluster.client.list(Lease.self, namespace: "kube-system",
                                              labelSelector: "skiff.io/controller-shard=replicaset").items
            }, until: { $0.count == 3 })

            let creations = Mutex<[String: Int]>([:])
            let watch = Task {
                for try await change in cluster.client.watch(Pod.self, namespace: "default", after: "0", known: nil) {
                    if case .added(let pod) = change, let owner = OwnerRefs.controllerOf(pod.metadata)?.name {
                        creations.withLock { $0[owner, default: 0] += 1 }
                    }
                }
            }
            defer { watch.cancel() }

            let count = 60
            for index in 0..<count {
                try await cluster.client.create(Self.replicaSet("burst-\(index)", replicas: 2))
                if index == count / 3 { await cluster.crashController("replicaset", index: 0) }
            }
            let everyRS = try await cluster.waitFor("every ReplicaSet at 2 replicas", timeout: .seconds(90), {
                try await cluster.client.list(ReplicaSet.self, namespace: "default").items
            }, until: { sets in sets.count == count && sets.allSatisfy { $0.status?.replicas == 2 } })
            #expect(everyRS.count == count)

            let pods = try await cluster.pods()
            #expect(pods.count == 2 * count)
            // Creations seen by the watch lag the list a little: wait for them, then compare.
            let seen = try await cluster.waitFor("every creation watched", {
                creations.withLock { $0 }
            }, until: { $0.values.reduce(0, +) >= 2 * count })
            let doubled = seen.filter { $0.value != 2 }
            #expect(doubled.isEmpty, "ReplicaSets with a pod created more than twice: \(doubled)")
            // The survivors hold both leases; the dead one's was taken over.
            let processes = cluster.controllers["replicaset"]?.count
            #expect(processes == 2)
        }
    }

    static func replicaSet(_ name: String, replicas: Int32) -> ReplicaSet {
        ReplicaSet(metadata: ObjectMeta(name: name, namespace: "default"),
                   spec: ReplicaSetSpec(replicas: replicas, selector: LabelSelector(matchLabels: ["app": name]),
                                        template: PodTemplateSpec(metadata: ObjectMeta(labels: ["app": name]),
                                                                  spec: PodSpec(containers: [Container(name: "main", image: "busybox")]))))
    }
}
