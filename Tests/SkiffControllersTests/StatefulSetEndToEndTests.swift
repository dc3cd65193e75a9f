/// StatefulSets end to end: the statefulset and persistentvolume-binder controllers as
/// processes, the scheduler, and a node. With real containers: pods come up in order, each with
/// its own provisioned volume, and a deleted pod comes back under its name with its data. With
/// the fake runtime: scale down from the top keeping claims, and a partitioned rolling update.
import Foundation
import SkiffClient
import SkiffTestSupport
import SkiffWire
import Testing

/// A cluster with one node and both controllers; hostPath volumes in a directory of the test's
/// own, removed afterwards.
private func withStatefulCluster(fakeRuntime: Bool, _ body: (TestCluster, String) async throws -> Void) async throws {
    try await withCluster { cluster in
        let volumes = cluster.directory + "/hostpath-volumes"
        defer { try? FileManager.default.removeItem(atPath: volumes) }
        try await cluster.addNode(fakeRuntime: fakeRuntime)
        try cluster.startController("statefulset")
        try cluster.startController("persistentvolume-binder", arguments: ["--option", "hostpath-dir=\(volumes)"])
        try await body(cluster, volumes)
    }
}

private func statefulSetManifest(replicas: Int, partition: Int = 0, greeting: String = "v1") -> String {
    """
    apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: web}
    spec:
      serviceName: web
      replicas: \(replicas)
      selector: {matchLabels: {app: web}}
      updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: \(partition)}}
      template:
        metadata: {labels: {app: web}}
        spec:
          terminationGracePeriodSeconds: 1
          containers:
          - name: c
            image: busybox
            command: [sh, -c, 'sleep 3600']
            env: [{name: GREETING, value: \(greeting)}]
            volumeMounts: [{name: data, mountPath: /data}]
      volumeClaimTemplates:
      - metadata: {name: data}
        spec:
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 1Gi}}
    """
}

private extension Pod {
    var isRunningAndReady: Bool {
        status?.phase == "Running" && status?.conditions.contains { $0.type == "Ready" && $0.status == "True" } == true
    }
}

@Suite("StatefulSets end to end", .serialized, .enabled(if: TestNode.missingCapability == nil))
struct StatefulSetEndToEndTests {
    @Test("web-0, web-1, web-2 come up in order, each with its own bound claim; a deleted pod returns with its data")
    func orderedWithData() async throws {
        try await withStatefulCluster(fakeRuntime: false) { cluster, volumes in
            try await cluster.apply(statefulSetManifest(replicas: 3))
            let pods = try await cluster.waitFor("three pods Running and Ready", timeout: .seconds(120), {
                try await cluster.pods("app=web")
            }, until: { pods in pods.count == 3 && pods.allSatisfy(\.isRunningAndReady) })
            #expect(pods.map { $0.metadata?.name ?? "" }.sorted() == ["web-0", "web-1", "web-2"])

            // OrderedReady: each pod was created only after the one below it was Ready.
            let byName = Dictionary(uniqueKeysWithValues: pods.map { ($0.metadata?.name ?? "", $0) })
            for (lower, higher) in [("web-0", "web-1"), ("web-1", "web-2")] {
                let ready = try #require(byName[lower]?.status?.conditions.first { $0.type == "Ready" }?.lastTransitionTime)
                let created = try #require(byName[higher]?.metadata?.creationTimestamp)
                // creationTimestamp has whole seconds (as in Kubernetes); the Ready transition may
                // carry a fraction of the same second.
                #expect(created.seconds >= ready.seconds, "\(higher) created at \(created), before \(lower) was Ready at \(ready)")
            }
            for pod in pods {
                #expect(pod.spec?.hostname == pod.metadata?.name)
                #expect(pod.spec?.subdomain == "web")
            }

            // Each pod has its own claim, bound to a provisioned volume.
            let claims = try await cluster.waitFor("three claims Bound", {
                try await cluster.client.list(PersistentVolumeClaim.self, namespace: "default").items
            }, until: { $0.count == 3 && $0.allSatisfy { $0.status?.phase == "Bound" } })
            #expect(claims.map { $0.metadata?.name ?? "" }.sorted() == ["data-web-0", "data-web-1", "data-web-2"])
            #expect(Set(claims.compactMap(\.spec?.volumeName)).count == 3)

            // Data written in web-0's volume survives the pod.
            let write = try await cluster.skiffctl(["exec", "web-0", "--", "sh", "-c", "echo hello > /data/x"])
            #expect(write.status == 0, "\(write.stderr)")
            let oldUID = byName["web-0"]?.metadata?.uid
            let deleted = try await cluster.skiffctl(["delete", "pod", "web-0"])
            #expect(deleted.status == 0, "\(deleted.stderr)")
            try await cluster.waitFor("web-0 back, Running and Ready", timeout: .seconds(90), {
                try await cluster.client.get(Pod.self, name: "web-0", namespace: "default")
            }, until: { $0.metadata?.uid != oldUID && $0.isRunningAndReady })
            let read = try await cluster.skiffctl(["exec", "web-0", "--", "cat", "/data/x"])
            #expect(read.status == 0, "\(read.stderr)")
            #expect(read.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "hello")
            // It lives in the volume's directory on the host.
            let claim = try await cluster.client.get(PersistentVolumeClaim.self, name: "data-web-0", namespace: "default")
            let file = "\(volumes)/\(claim.spec?.volumeName ?? "")/x"
            #expect((try? String(contentsOfFile: file, encoding: .utf8)) == "hello\n")
        }
    }

    @Test("scale down removes the highest ordinal and keeps its claim; a partitioned rolling update stops at the partition")
    func scaleDownAndRollingUpdate() async throws {
        try await withStatefulCluster(fakeRuntime: true) { cluster, _ in
            try await cluster.apply(statefulSetManifest(replicas: 3))
            try await cluster.waitFor("three pods Ready", timeout: .seconds(90), {
                try await cluster.pods("app=web")
            }, until: { pods in pods.count == 3 && pods.allSatisfy(\.isRunningAndReady) })

            try await cluster.apply(statefulSetManifest(replicas: 2))
            let remaining = try await cluster.waitFor("web-2 gone", timeout: .seconds(60), {
                try await cluster.pods("app=web")
            }, until: { $0.count == 2 })
            #expect(remaining.map { $0.metadata?.name ?? "" }.sorted() == ["web-0", "web-1"])
            let kept = try await cluster.client.get(PersistentVolumeClaim.self, name: "data-web-2", namespace: "default")
            #expect(kept.status?.phase == "Bound", "scaling down keeps the claim (Retain)")

            // Back to 3 with a new template, partition 1: web-2 and web-1 are updated, web-0 is not.
            let before = try await cluster.client.get(StatefulSet.self, name: "web", namespace: "default")
            let oldRevision = try #require(before.status?.updateRevision)
            try await cluster.apply(statefulSetManifest(replicas: 3, partition: 1, greeting: "v2"))
            let set = try await cluster.waitFor("updated down to the partition", timeout: .seconds(90), {
                try await cluster.client.get(StatefulSet.self, name: "web", namespace: "default")
            }, until: { set in
                let status = set.status
                return status?.observedGeneration == set.metadata?.generation && status?.updatedReplicas == 2
                    && status?.currentReplicas == 1 && status?.readyReplicas == 3
            })
            let newRevision = try #require(set.status?.updateRevision)
            #expect(newRevision != oldRevision)
            #expect(set.status?.currentRevision == oldRevision)
            let pods = try await cluster.pods("app=web")
            let revisions = Dictionary(uniqueKeysWithValues: pods.map {
                ($0.metadata?.name ?? "", $0.metadata?.labels["controller-revision-hash"] ?? "")
            })
            #expect(revisions == ["web-0": oldRevision, "web-1": newRevision, "web-2": newRevision])
            let web2 = try await cluster.client.get(Pod.self, name: "web-2", namespace: "default")
            #expect(web2.spec?.containers.first?.env.first?.value == "v2")
            #expect(web2.spec?.volumes.first { $0.name == "data" }?.persistentVolumeClaim?.claimName == "data-web-2",
                    "web-2 came back to its old claim")
        }
    }
}
