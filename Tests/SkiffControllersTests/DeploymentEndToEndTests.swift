/// The Deployment controller on a real cluster, driven as a user drives it with skiffctl:
/// rolling updates that never drop below the minimum ready, rollback to a previous revision,
/// rollout status, pause/resume/restart and scale.
import Foundation
import SkiffAPI
import SkiffClient
import SkiffControllers
import SkiffTestSupport
import SkiffWire
import Synchronization
import Testing

@Suite(.serialized, .enabled(if: clusterTestsUnavailable == nil))
struct DeploymentEndToEndTests {
    /// A deployment whose template differs by `version` (the sleep's length and a label), so it
    /// runs under the fake runtime and runc alike.
    static func manifest(_ name: String = "web", replicas: Int = 4, version: Int = 1, surge: String = "1",
                         unavailable: String = "1", extra: String = "", nodeSelector: String = "") -> String {
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: \(name)
        spec:
          replicas: \(replicas)
          \(extra)
          strategy:
            type: RollingUpdate
            rollingUpdate:
              maxSurge: \(surge)
              maxUnavailable: \(unavailable)
          selector:
            matchLabels:
              app: \(name)
          template:
            metadata:
              labels:
                app: \(name)
                version: v\(version)
            spec:
              \(nodeSelector)
              containers:
              - name: main
                image: busybox
                command: ["sleep", "\(3600 + version)"]
        """
    }

    static func deployment(_ cluster: TestCluster, _ name: String = "web") async throws -> Deployment {
        try await cluster.client.get(Deployment.self, name: name, namespace: "default")
    }

    /// Waits until the deployment's status says it is fully rolled out on its current spec.
    @discardableResult
    static func waitRolledOut(_ cluster: TestCluster, _ name: String = "web", replicas: Int32,
                              timeout: Duration = .seconds(90)) async throws -> Deployment {
        try await cluster.waitFor("deployment \(name) rolled out with \(replicas)", timeout: timeout, {
            try await deployment(cluster, name)
        }, until: { d in
            let s = d.status
            return (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) && s?.updatedReplicas == replicas
                && s?.replicas == replicas && s?.availableReplicas == replicas
        })
    }

    /// The deployment's active pods (not deleting, not finished).
    static func activePods(_ cluster: TestCluster, app: String = "web") async throws -> [Pod] {
        try await cluster.pods("app=\(app)").filter(PodState.isActive)
    }

    static func replicaSets(_ cluster: TestCluster, app: String = "web") async throws -> [ReplicaSet] {
        try await cluster.client.list(ReplicaSet.self, namespace: "default", labelSelector: "app=\(app)").items
    }

    @Test func aRollingUpdateNeverDropsBelowTheMinimumReadyAndEndsOnTheNewTemplate() async throws {
        try await withCluster { cluster in
            try await cluster.addNode(fakeRuntime: true)
            try cluster.startController("replicaset")
            try cluster.startController("deployment")
            try await cluster.apply(Self.manifest(replicas: 4, version: 1))
            try await Self.waitRolledOut(cluster, replicas: 4)

            // Sample the ready pods all through the rollout.
            let lowest = Mutex<Int?>(nil), highest = Mutex(0)
            let sampling = Task {
                while !Task.isCancelled {
                    if let pods = try? await Self.activePods(cluster) {
                        let ready = pods.filter(PodState.isReady).count
                        lowest.withLock { $0 = min($0 ?? ready, ready) }
                        highest.withLock { $0 = max($0, pods.count) }
                    }
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
            try await cluster.apply(Self.manifest(replicas: 4, version: 2))
            let status = try await cluster.skiffctl(["rollout", "status", "deployment/web", "--timeout", "55s"])
            sampling.cancel()
            _ = await sampling.value
            #expect(status.status == 0, "\(status.stderr)")
            #expect(status.stdout.hasSuffix("deployment \"web\" successfully rolled out\n"))

            // 4 replicas, maxUnavailable 1: never fewer than 3 ready; maxSurge 1: never more than 5 pods.
            #expect((lowest.withLock { $0 } ?? 0) >= 3)
            #expect(highest.withLock { $0 } <= 5)

            let pods = try await cluster.waitFor("only new pods left", { try await Self.activePods(cluster) },
                                                 until: { $0.count == 4 })
            #expect(pods.allSatisfy { $0.metadata?.labels["version"] == "v2" })
            #expect(pods.allSatisfy { $0.spec?.containers.first?.command == ["sleep", "3602"] })
            let sets = try await Self.replicaSets(cluster)
            #expect(sets.count == 2)
            let new = try #require(sets.first { $0.spec?.template?.metadata?.labels["version"] == "v2" })
            let old = try #require(sets.first { $0.spec?.template?.metadata?.labels["version"] == "v1" })
            #expect(new.metadata?.annotations["deployment.kubernetes.io/revision"] == "2")
            #expect(old.spec?.replicas == 0)
            #expect(pods.allSatisfy { $0.metadata?.labels["pod-template-hash"] == new.metadata?.labels["pod-template-hash"] })
            let deployment = try await Self.deployment(cluster)
            #expect(deployment.metadata?.annotations["deployment.kubernetes.io/revision"] == "2")
            let progressing = deployment.status?.conditions.first { $0.type == "Progressing" }
            #expect(progressing?.reason == "NewReplicaSetAvailable")
            #expect(deployment.status?.conditions.first { $0.type == "Available" }?.status == "True")
        }
    }

    @Test func rolloutUndoRestoresThePreviousTemplateAsANewRevision() async throws {
        try await withCluster { cluster in
            try await cluster.addNode(fakeRuntime: true)
            try cluster.startController("replicaset")
            try cluster.startController("deployment")
            try await cluster.apply(Self.manifest(replicas: 2, version: 1))
            try await Self.waitRolledOut(cluster, replicas: 2)
            try await cluster.apply(Self.manifest(replicas: 2, version: 2))
            try await Self.waitRolledOut(cluster, replicas: 2)

            let history = try await cluster.skiffctl(["rollout", "history", "deployment/web"])
            #expect(history.status == 0, "\(history.stderr)")
            #expect(history.stdout == "deployment.apps/web\nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n")

            let undo = try await cluster.skiffctl(["rollout", "undo", "deployment/web"])
            #expect(undo.status == 0, "\(undo.stderr)")
            #expect(undo.stdout == "deployment.apps/web rolled back\n")
            let status = try await cluster.skiffctl(["rollout", "status", "deployment/web", "--timeout", "55s"])
            #expect(status.status == 0, "\(status.stderr)")
            try await Self.waitRolledOut(cluster, replicas: 2)

            let pods = try await cluster.waitFor("only v1 pods", { try await Self.activePods(cluster) },
                                                 until: { $0.count == 2 && $0.allSatisfy { $0.metadata?.labels["version"] == "v1" } })
            #expect(pods.count == 2)
            let sets = try await Self.replicaSets(cluster)
            #expect(sets.count == 2)
            let restored = try #require(sets.first { $0.spec?.template?.metadata?.labels["version"] == "v1" })
            #expect(restored.metadata?.annotations["deployment.kubernetes.io/revision"] == "3")
            #expect(restored.metadata?.annotations["deployment.kubernetes.io/revision-history"] == "1")
            #expect(try await Self.deployment(cluster).metadata?.annotations["deployment.kubernetes.io/revision"] == "3")

            let after = try await cluster.skiffctl(["rollout", "history", "deployment/web"])
            #expect(after.stdout == "deployment.apps/web\nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n")
            let detail = try await cluster.skiffctl(["rollout", "history", "deployment/web", "--revision", "3"])
            #expect(detail.stdout.hasPrefix("deployment.apps/web with revision #3\nPod Template:\n"))
            #expect(detail.stdout.contains("sleep 3601"))

            // Bad input: clear errors and exit 1, as kubectl.
            let missing = try await cluster.skiffctl(["rollout", "undo", "deployment/web", "--to-revision", "9"])
            #expect(missing.status == 1)
            #expect(missing.stderr == "error: unable to find specified revision 9 in history\n")
            let noRevision = try await cluster.skiffctl(["rollout", "history", "deployment/web", "--revision", "9"])
            #expect(noRevision.status == 1)
            #expect(noRevision.stderr == "error: unable to find the specified revision\n")
            let nothing = try await cluster.skiffctl(["rollout", "undo", "deployment/nothing"])
            #expect(nothing.status == 1)
            #expect(nothing.stderr == "Error from server (NotFound): deployments.apps \"nothing\" not found\n")
            let wrongKind = try await cluster.skiffctl(["rollout", "status", "pod/web"])
            #expect(wrongKind.status == 1)
            #expect(wrongKind.stderr == "error: no status viewer has been implemented for Pod\n")
        }
    }

    @Test func rolloutStatusReportsProgressOnRealContainers() async throws {
        try await withCluster { cluster in
            try await cluster.addNode()
            try cluster.startController("replicaset")
            try cluster.startController("deployment")
            try await cluster.apply(Self.manifest(replicas: 2, version: 1))
            let status = try await cluster.skiffctl(["rollout", "status", "deployment/web", "--timeout", "50s"])
            #expect(status.status == 0, "\(status.stderr)")
            let lines = status.stdout.split(separator: "\n").map(String.init)
            #expect(lines.last == "deployment \"web\" successfully rolled out")
            #expect(lines.dropLast().allSatisfy { $0.hasPrefix("Waiting for deployment") })
            let pods = try await Self.activePods(cluster)
            #expect(pods.count == 2 && pods.allSatisfy { PodState.isReady($0) })
        }
    }

    @Test func rolloutStatusFailsWhenTheProgressDeadlineIsExceeded() async throws {
        try await withCluster { cluster in
            try await cluster.addNode(fakeRuntime: true)
            try cluster.startController("replicaset")
            try cluster.startController("deployment")
            // No node has this label: the pods stay Pending and the rollout makes no progress.
            try await cluster.apply(Self.manifest("stuck", replicas: 1, unavailable: "0", extra: "progressDeadlineSeconds: 3",
                                                  nodeSelector: "nodeSelector: {disk: none}"))
            let status = try await cluster.skiffctl(["rollout", "status", "deployment/stuck", "--timeout", "40s"])
            #expect(status.status == 1)
            #expect(status.stderr == "error: deployment \"stuck\" exceeded its progress deadline\n")
            let deployment = try await Self.deployment(cluster, "stuck")
            let progressing = deployment.status?.conditions.first { $0.type == "Progressing" }
            #expect(progressing?.status == "False")
            #expect(progressing?.reason == "ProgressDeadlineExceeded")
            #expect(deployment.status?.conditions.first { $0.type == "Available" }?.reason == "MinimumReplicasUnavailable")

            let timedOut = try await cluster.skiffctl(["rollout", "status", "deployment/nothing", "--timeout", "5s"])
            #expect(timedOut.status == 1)
            #expect(timedOut.stderr == "Error from server (NotFound): deployments.apps \"nothing\" not found\n")
        }
    }

    @Test func scalePauseResumeAndRestart() async throws {
        try await withCluster { cluster in
            try await cluster.addNode(fakeRuntime: true)
            try cluster.startController("replicaset")
            try cluster.startController("deployment")
            try await cluster.apply(Self.manifest(replicas: 2, version: 1))
            try await Self.waitRolledOut(cluster, replicas: 2)

            let up = try await cluster.skiffctl(["scale", "deployment/web", "--replicas", "5"])
            #expect(up.status == 0, "\(up.stderr)")
            #expect(up.stdout == "deployment.apps/web scaled\n")
            try await Self.waitRolledOut(cluster, replicas: 5)
            #expect(try await Self.activePods(cluster).count == 5)
            _ = try await cluster.skiffctl(["scale", "deploy", "web", "--replicas", "1"])
            try await Self.waitRolledOut(cluster, replicas: 1)
            _ = try await cluster.waitFor("one pod", { try await Self.activePods(cluster) }, until: { $0.count == 1 })
            let bad = try await cluster.skiffctl(["scale", "deployment/nothing", "--replicas", "2"])
            #expect(bad.status == 1)
            #expect(bad.stderr == "Error from server (NotFound): deployments.apps \"nothing\" not found\n")

            // Paused: a template change is observed but not rolled out.
            let pause = try await cluster.skiffctl(["rollout", "pause", "deployment/web"])
            #expect(pause.stdout == "deployment.apps/web paused\n")
            let again = try await cluster.skiffctl(["rollout", "pause", "deployment/web"])
            #expect(again.status == 1)
            #expect(again.stderr == "error: deployments.apps \"web\" is already paused\n")
            try await cluster.apply(Self.manifest(replicas: 1, version: 2))
            let paused = try await cluster.waitFor("the paused change observed", { try await Self.deployment(cluster) },
                                                   until: { ($0.status?.observedGeneration ?? 0) >= ($0.metadata?.generation ?? 1) })
            #expect(paused.status?.conditions.first { $0.type == "Progressing" }?.reason == "DeploymentPaused")
            #expect(try await Self.replicaSets(cluster).count == 1)
            let restartPaused = try await cluster.skiffctl(["rollout", "restart", "deployment/web"])
            #expect(restartPaused.status == 1)

            let resume = try await cluster.skiffctl(["rollout", "resume", "deployment/web"])
            #expect(resume.stdout == "deployment.apps/web resumed\n")
            let resumed = try await cluster.skiffctl(["rollout", "status", "deployment/web", "--timeout", "55s"])
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(try await Self.replicaSets(cluster).count == 2)

            let restart = try await cluster.skiffctl(["rollout", "restart", "deployment/web"])
            #expect(restart.stdout == "deployment.apps/web restarted\n")
            let restarted = try await cluster.skiffctl(["rollout", "status", "deployment/web", "--timeout", "55s"])
            #expect(restarted.status == 0, "\(restarted.stderr)")
            let pods = try await cluster.waitFor("one restarted pod", { try await Self.activePods(cluster) },
                                                 until: { $0.count == 1 && $0[0].metadata?.annotations["kubectl.kubernetes.io/restartedAt"] != nil })
            #expect(pods[0].metadata?.labels["version"] == "v2")
            let deployment = try await Self.deployment(cluster)
            #expect(deployment.metadata?.annotations["deployment.kubernetes.io/revision"] == "3")
        }
    }
}
