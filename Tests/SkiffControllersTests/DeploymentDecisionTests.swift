/// The Deployment decision: rollout math, Recreate, pause, history, rollback, progress and
/// proportional scaling, without an apiserver. Each case states the cluster as the caches would
/// show it and checks the writes a user would then see.
@testable import SkiffControllers
import SkiffWire
import Testing

enum DeploymentFixtures {
    static let now = Fixtures.now
    static let uid = "deploy-uid"

    static func template(image: String = "nginx:1", labels: [String: String] = ["app": "web"]) -> PodTemplateSpec {
        PodTemplateSpec(metadata: ObjectMeta(labels: labels),
                        spec: PodSpec(containers: [Container(name: "c", image: image)]))
    }

    static func deployment(replicas: Int32 = 3, image: String = "nginx:1", strategy: String = "RollingUpdate",
                           surge: IntOrString? = "25%", unavailable: IntOrString? = "25%", paused: Bool = false,
                           historyLimit: Int32 = 10, deadline: Int32? = 600, generation: Int64 = 1,
                           revision: String? = nil, status: DeploymentStatus? = nil) -> Deployment {
        var meta = ObjectMeta(name: "web", namespace: "default", uid: uid, generation: generation)
        if let revision { meta.annotations[DeploymentAnnotations.revision] = revision }
        let rolling = strategy == "RollingUpdate" ? RollingUpdateDeployment(maxUnavailable: unavailable, maxSurge: surge) : nil
        return Deployment(metadata: meta, spec: DeploymentSpec(
            replicas: replicas, selector: LabelSelector(matchLabels: ["app": "web"]), template: template(image: image),
            strategy: DeploymentStrategy(type: strategy, rollingUpdate: rolling), minReadySeconds: 0,
            revisionHistoryLimit: historyLimit, paused: paused, progressDeadlineSeconds: deadline),
            status: status ?? DeploymentStatus(observedGeneration: generation))
    }

    /// A ReplicaSet of the deployment for `image`, as the controller would have made it, with
    /// `available` of its `replicas` available (all by default).
    static func replicaSet(image: String, replicas: Int32, available: Int32? = nil, revision: Int64,
                           created: Int64, desired: Int32? = nil, maxReplicas: Int32? = nil,
                           owner: String? = uid, readyStatus: Int32? = nil) -> ReplicaSet {
        let base = template(image: image)
        let hash = PodTemplates.hash(base)
        var labeled = base
        labeled.metadata?.labels[DeploymentAnnotations.podTemplateHash] = hash
        var meta = ObjectMeta(name: "web-\(hash)", namespace: "default", uid: "rs-\(image)", generation: 1,
                              labels: labeled.metadata?.labels ?? [:])
        meta.creationTimestamp = Time(seconds: created)
        meta.annotations[DeploymentAnnotations.revision] = String(revision)
        if let desired { meta.annotations[DeploymentAnnotations.desiredReplicas] = String(desired) }
        if let maxReplicas { meta.annotations[DeploymentAnnotations.maxReplicas] = String(maxReplicas) }
        if let owner {
            meta.ownerReferences = [OwnerReference(apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: owner,
                                                   controller: true, blockOwnerDeletion: true)]
        }
        let available = available ?? replicas
        return ReplicaSet(
            metadata: meta,
            spec: ReplicaSetSpec(replicas: replicas, minReadySeconds: 0,
                                 selector: LabelSelector(matchLabels: ["app": "web", DeploymentAnnotations.podTemplateHash: hash]),
                                 template: labeled),
            status: ReplicaSetStatus(replicas: replicas, readyReplicas: readyStatus ?? available,
                                     availableReplicas: available, observedGeneration: 1))
    }

    static func decide(_ deployment: Deployment, _ sets: [ReplicaSet], pods: [Pod] = [],
                       now: Time = now) throws -> DeploymentDecision {
        try DeploymentDecision.decide(deployment, replicaSets: sets, pods: pods, now: now)
    }
}

@Suite struct DeploymentDecisionTests {
    typealias F = DeploymentFixtures

    func replicas(_ decision: DeploymentDecision, _ name: String? = nil) -> [String: Int32] {
        var sizes: [String: Int32] = [:]
        for rs in decision.update + (decision.create.map { [$0] } ?? []) {
            sizes[rs.spec?.template?.spec?.containers.first?.image ?? ""] = rs.spec?.replicas
        }
        return sizes
    }

    @Test func aNewDeploymentCreatesItsFirstReplicaSetWithRevisionOne() throws {
        let decision = try F.decide(F.deployment(replicas: 3), [])
        let rs = try #require(decision.create)
        let hash = PodTemplates.hash(F.template())
        #expect(rs.metadata?.name == "web-\(hash)")
        #expect(rs.spec?.replicas == 3)
        #expect(rs.metadata?.labels[DeploymentAnnotations.podTemplateHash] == hash)
        #expect(rs.spec?.template?.metadata?.labels == ["app": "web", "pod-template-hash": hash])
        #expect(rs.spec?.selector?.matchLabels == ["app": "web", "pod-template-hash": hash])
        #expect(rs.metadata?.annotations[DeploymentAnnotations.revision] == "1")
        #expect(rs.metadata?.annotations[DeploymentAnnotations.desiredReplicas] == "3")
        #expect(rs.metadata?.annotations[DeploymentAnnotations.maxReplicas] == "4")
        #expect(OwnerRefs.controllerOf(rs.metadata)?.uid == F.uid)
        #expect(decision.annotations?[DeploymentAnnotations.revision] == "1")
        let progressing = decision.status?.conditions.first { $0.type == "Progressing" }
        #expect(progressing?.reason == "NewReplicaSetCreated")
        #expect(progressing?.message == "Created new replica set \"web-\(hash)\"")
        #expect(decision.events.map(\.message) == ["Scaled up replica set web-\(hash) from 0 to 3"])
        #expect(decision.status?.conditions.first { $0.type == "Available" }?.reason == "MinimumReplicasUnavailable")
    }

    @Test(arguments: [
        // (replicas, maxSurge, maxUnavailable, surge, unavailable)
        (10, IntOrString("25%"), IntOrString("25%"), 3, 2),
        (3, "25%", "25%", 1, 0),
        (5, "30%", "30%", 2, 1),
        (4, 0, "50%", 0, 2),
        (1, "0%", "0%", 0, 1),
        (4, 2, 1, 2, 1),
        (0, "25%", "25%", 0, 1),
    ] as [(Int32, IntOrString, IntOrString, Int32, Int32)])
    func fencepostsRoundSurgeUpAndUnavailabilityDown(replicas: Int32, surge: IntOrString, unavailable: IntOrString,
                                                     expectedSurge: Int32, expectedUnavailable: Int32) throws {
        let deployment = F.deployment(replicas: replicas, surge: surge, unavailable: unavailable)
        let (s, u) = try deployment.fenceposts()
        #expect(s == expectedSurge)
        #expect(u == expectedUnavailable)
    }

    @Test func aRollingUpdateSurgesTheNewAndKeepsTheMinimumAvailable() throws {
        // 10 replicas, 25%/25%: at most 13 pods, at least 8 available.
        let old = F.replicaSet(image: "nginx:1", replicas: 10, revision: 1, created: 100, desired: 10, maxReplicas: 13)
        let decision = try F.decide(F.deployment(replicas: 10, image: "nginx:2", revision: "1"), [old])
        #expect(decision.create?.spec?.replicas == 3)
        #expect(decision.create?.metadata?.annotations[DeploymentAnnotations.revision] == "2")
        // 13 pods - 8 needed - 3 new not yet available: 2 old may go.
        #expect(replicas(decision) == ["nginx:1": 8, "nginx:2": 3])
        #expect(decision.annotations?[DeploymentAnnotations.revision] == "2")
    }

    @Test func oldReplicasWaitForNewOnesToBecomeAvailable() throws {
        // 8 old and 5 new at the 13 ceiling; 8 available, the minimum.
        let old = F.replicaSet(image: "nginx:1", replicas: 8, revision: 1, created: 100, desired: 10, maxReplicas: 13)
        var new = F.replicaSet(image: "nginx:2", replicas: 5, available: 0, revision: 2, created: 200, desired: 10, maxReplicas: 13)
        let deployment = F.deployment(replicas: 10, image: "nginx:2", revision: "2",
                                      status: DeploymentStatus(observedGeneration: 1, replicas: 13, updatedReplicas: 5))
        #expect(try F.decide(deployment, [old, new]).update.isEmpty)
        // Two new become available: two old may go (8 + 2 available, 8 needed).
        new.status?.availableReplicas = 2
        #expect(replicas(try F.decide(deployment, [old, new])) == ["nginx:1": 6])
    }

    @Test func unavailableOldReplicasAreScaledDownFirst() throws {
        // Old has 4 of 10 unavailable; the new has none available: only the unhealthy old go.
        let old = F.replicaSet(image: "nginx:1", replicas: 10, available: 6, revision: 1, created: 100, desired: 10, maxReplicas: 13)
        let new = F.replicaSet(image: "nginx:2", replicas: 3, available: 0, revision: 2, created: 200, desired: 10, maxReplicas: 13)
        let decision = try F.decide(F.deployment(replicas: 10, image: "nginx:2", revision: "2"), [old, new])
        #expect(replicas(decision) == ["nginx:1": 8])
    }

    @Test func aFinishedRolloutIsCompleteAndAvailable() throws {
        let old = F.replicaSet(image: "nginx:1", replicas: 0, revision: 1, created: 100, desired: 3, maxReplicas: 4)
        let new = F.replicaSet(image: "nginx:2", replicas: 3, revision: 2, created: 200, desired: 3, maxReplicas: 4)
        let decision = try F.decide(F.deployment(replicas: 3, image: "nginx:2", revision: "2"), [old, new])
        let status = try #require(decision.status)
        #expect((status.replicas, status.updatedReplicas, status.availableReplicas, status.unavailableReplicas) == (3, 3, 3, 0))
        #expect(status.conditions.first { $0.type == "Progressing" }?.reason == "NewReplicaSetAvailable")
        #expect(status.conditions.first { $0.type == "Progressing" }?.message == "ReplicaSet \"\(new.metadata!.name!)\" has successfully progressed.")
        #expect(status.conditions.first { $0.type == "Available" }?.reason == "MinimumReplicasAvailable")
        #expect(decision.recheckAfter == nil)
    }

    @Test func recreateScalesOldToZeroThenWaitsForTheirPodsThenCreates() throws {
        let deployment = F.deployment(replicas: 3, image: "nginx:2", strategy: "Recreate", revision: "1")
        var old = F.replicaSet(image: "nginx:1", replicas: 3, revision: 1, created: 100, desired: 3, maxReplicas: 3)
        let first = try F.decide(deployment, [old])
        #expect(first.create == nil)
        #expect(replicas(first) == ["nginx:1": 0])

        // Scaled to 0 but a pod still runs (terminating): no new ReplicaSet yet.
        old.spec?.replicas = 0
        old.status = ReplicaSetStatus(replicas: 0, observedGeneration: 1)
        let lingering = Fixtures.pod("old-1", owner: old.metadata?.uid, deleting: true)
        let waiting = try F.decide(deployment, [old], pods: [lingering])
        #expect(waiting.create == nil && waiting.update.isEmpty)

        let done = try F.decide(deployment, [old], pods: [Fixtures.pod("old-1", owner: old.metadata?.uid, phase: "Succeeded")])
        #expect(done.create?.spec?.replicas == 3)
        #expect(done.create?.metadata?.annotations[DeploymentAnnotations.revision] == "2")
    }

    @Test func pausedDoesNotRollOutButStillScales() throws {
        let old = F.replicaSet(image: "nginx:1", replicas: 3, revision: 1, created: 100, desired: 3, maxReplicas: 4)
        let paused = F.deployment(replicas: 5, image: "nginx:2", paused: true, revision: "1")
        let decision = try F.decide(paused, [old])
        #expect(decision.create == nil)
        #expect(replicas(decision) == ["nginx:1": 5])
        let scaled = try #require(decision.update.first)
        #expect(scaled.metadata?.annotations[DeploymentAnnotations.desiredReplicas] == "5")
        #expect(scaled.metadata?.annotations[DeploymentAnnotations.maxReplicas] == "7")
        let progressing = decision.status?.conditions.first { $0.type == "Progressing" }
        #expect(progressing?.status == "Unknown")
        #expect(progressing?.reason == "DeploymentPaused")

        // Resumed: Progressing says so, and the rollout starts.
        var resumed = F.deployment(replicas: 3, image: "nginx:2", revision: "1")
        resumed.status = DeploymentStatus(observedGeneration: 1, replicas: 3, updatedReplicas: 0, readyReplicas: 3,
                                          availableReplicas: 3, conditions: [progressing!])
        let after = try F.decide(resumed, [old])
        #expect(after.create != nil)
        #expect(after.status?.conditions.first { $0.type == "Progressing" }?.reason == "NewReplicaSetCreated")
        #expect(after.events.isEmpty == false)
    }

    @Test func resumingRecordsDeploymentResumed() throws {
        let new = F.replicaSet(image: "nginx:1", replicas: 3, revision: 1, created: 100, desired: 3, maxReplicas: 4)
        var deployment = F.deployment(replicas: 3, image: "nginx:1", revision: "1")
        deployment.status?.conditions = [DeploymentCondition(type: "Progressing", status: "Unknown", reason: "DeploymentPaused")]
        let decision = try F.decide(deployment, [new])
        // Resumed, then the complete rollout is recognised in the same pass.
        #expect(decision.status?.conditions.first { $0.type == "Progressing" }?.reason == "NewReplicaSetAvailable")
        var plan = try RolloutPlan(deployment, replicaSets: [new], selector: .init(matching: ["app": "web"]),
                                   pods: [], now: F.now)
        plan.checkPausedConditions()
        #expect(DeploymentRules.progressing(plan.deployment.status)?.reason == "DeploymentResumed")
    }

    @Test func historyBeyondTheLimitIsDeletedOldestRevisionFirst() throws {
        let sets = [F.replicaSet(image: "nginx:1", replicas: 0, revision: 1, created: 100),
                    F.replicaSet(image: "nginx:2", replicas: 0, revision: 2, created: 200),
                    F.replicaSet(image: "nginx:3", replicas: 0, revision: 3, created: 300),
                    F.replicaSet(image: "nginx:4", replicas: 3, revision: 4, created: 400, desired: 3, maxReplicas: 4)]
        let deployment = F.deployment(replicas: 3, image: "nginx:4", historyLimit: 1, revision: "4",
                                      status: DeploymentStatus(observedGeneration: 1, replicas: 3, updatedReplicas: 3,
                                                               availableReplicas: 3))
        let decision = try F.decide(deployment, sets)
        #expect(decision.delete.map { $0.spec?.template?.spec?.containers.first?.image } == ["nginx:1", "nginx:2"])
    }

    @Test func historyKeepsReplicaSetsThatStillHaveReplicas() throws {
        let sets = [F.replicaSet(image: "nginx:1", replicas: 1, revision: 1, created: 100),
                    F.replicaSet(image: "nginx:2", replicas: 3, revision: 2, created: 200, desired: 3, maxReplicas: 4)]
        let deployment = F.deployment(replicas: 3, image: "nginx:2", historyLimit: 0, revision: "2",
                                      status: DeploymentStatus(observedGeneration: 1, replicas: 3, updatedReplicas: 3,
                                                               availableReplicas: 3))
        #expect(try F.decide(deployment, sets).delete.isEmpty)
    }

    @Test func rollingBackGivesTheOldReplicaSetTheNextRevision() throws {
        // The user set the template back to revision 1's (rollout undo).
        let first = F.replicaSet(image: "nginx:1", replicas: 0, revision: 1, created: 100, desired: 3, maxReplicas: 4)
        let second = F.replicaSet(image: "nginx:2", replicas: 3, revision: 2, created: 200, desired: 3, maxReplicas: 4)
        let decision = try F.decide(F.deployment(replicas: 3, image: "nginx:1", revision: "2"), [first, second])
        #expect(decision.create == nil)
        let revived = try #require(decision.update.first { $0.metadata?.uid == first.metadata?.uid })
        #expect(revived.metadata?.annotations[DeploymentAnnotations.revision] == "3")
        #expect(revived.metadata?.annotations[DeploymentAnnotations.revisionHistory] == "1")
        #expect(revived.spec?.replicas == 1)
        #expect(decision.annotations?[DeploymentAnnotations.revision] == "3")
    }

    @Test func revisionHistoryAppendsAndStaysWithinItsLength() {
        #expect(RolloutPlan.appendingHistory("", "3") == "3")
        #expect(RolloutPlan.appendingHistory("1,3", "5") == "1,3,5")
        let long = (1...700).map(String.init).joined(separator: ",")
        let appended = RolloutPlan.appendingHistory(long, "701")
        #expect(appended.count <= DeploymentAnnotations.revisionHistoryLimitInChars)
        #expect(appended.hasSuffix(",700,701"))
    }

    @Test func progressThatStopsPastTheDeadlineIsReported() throws {
        let old = F.replicaSet(image: "nginx:1", replicas: 2, revision: 1, created: 100, desired: 3, maxReplicas: 4)
        let new = F.replicaSet(image: "nginx:2", replicas: 2, available: 0, revision: 2, created: 200, desired: 3, maxReplicas: 4)
        let since = Time(seconds: F.now.seconds - 100)
        let status = DeploymentStatus(
            observedGeneration: 1, replicas: 4, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2,
            unavailableReplicas: 2,
            conditions: [DeploymentCondition(type: "Progressing", status: "True", lastUpdateTime: since,
                                             lastTransitionTime: since, reason: "ReplicaSetUpdated", message: "x")])
        let deployment = F.deployment(replicas: 3, image: "nginx:2", deadline: 60, revision: "2", status: status)
        let decision = try F.decide(deployment, [old, new])
        let progressing = decision.status?.conditions.first { $0.type == "Progressing" }
        #expect(progressing?.status == "False")
        #expect(progressing?.reason == "ProgressDeadlineExceeded")
        #expect(progressing?.message == "ReplicaSet \"\(new.metadata!.name!)\" has timed out progressing.")

        // Not yet past it: no change, and a look again when it would be.
        let patient = F.deployment(replicas: 3, image: "nginx:2", deadline: 600, revision: "2", status: status)
        let waiting = try F.decide(patient, [old, new])
        #expect(waiting.status?.conditions.first { $0.type == "Progressing" }?.reason == nil
                || waiting.status?.conditions.first { $0.type == "Progressing" }?.reason == "ReplicaSetUpdated")
        #expect(waiting.recheckAfter == .seconds(501))
    }

    @Test func progressMovesTheConditionsUpdateTimeButNotItsTransition() throws {
        let old = F.replicaSet(image: "nginx:1", replicas: 2, revision: 1, created: 100, desired: 3, maxReplicas: 4)
        let new = F.replicaSet(image: "nginx:2", replicas: 2, available: 2, revision: 2, created: 200, desired: 3, maxReplicas: 4)
        let since = Time(seconds: F.now.seconds - 100)
        let status = DeploymentStatus(
            observedGeneration: 1, replicas: 4, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2,
            conditions: [DeploymentCondition(type: "Progressing", status: "True", lastUpdateTime: since,
                                             lastTransitionTime: since, reason: "ReplicaSetUpdated", message: "x")])
        // The old ReplicaSet's 2 available replicas now count too: more available than before.
        let deployment = F.deployment(replicas: 3, image: "nginx:2", revision: "2", status: status)
        let decision = try F.decide(deployment, [old, new])
        let progressing = try #require(decision.status?.conditions.first { $0.type == "Progressing" })
        #expect(progressing.lastUpdateTime == F.now)
        #expect(progressing.lastTransitionTime == since)
    }

    @Test func scalingMidRolloutIsProportional() throws {
        // 10 -> 20 replicas while old has 8 and new 5 (annotated for 10, max 13).
        let old = F.replicaSet(image: "nginx:1", replicas: 8, revision: 1, created: 100, desired: 10, maxReplicas: 13)
        let new = F.replicaSet(image: "nginx:2", replicas: 5, available: 0, revision: 2, created: 200, desired: 10, maxReplicas: 13)
        let deployment = F.deployment(replicas: 20, image: "nginx:2", revision: "2",
                                      status: DeploymentStatus(observedGeneration: 1, replicas: 13))
        let decision = try F.decide(deployment, [old, new])
        // 25 allowed (20 + 5 surge), 12 to add: 8*25/13 = 15, 5*25/13 = 10.
        #expect(replicas(decision) == ["nginx:1": 15, "nginx:2": 10])
        #expect(decision.update.allSatisfy { $0.metadata?.annotations[DeploymentAnnotations.desiredReplicas] == "20" })
        #expect(decision.update.allSatisfy { $0.metadata?.annotations[DeploymentAnnotations.maxReplicas] == "25" })
        #expect(decision.create == nil)
        // And down to 5: 5 + 2 surge = 7 allowed.
        let down = try F.decide(F.deployment(replicas: 5, image: "nginx:2", revision: "2"), [old, new])
        let sizes = replicas(down)
        #expect((sizes["nginx:1"] ?? 0) + (sizes["nginx:2"] ?? 0) == 7)
        #expect(sizes == ["nginx:1": 4, "nginx:2": 3])
    }

    @Test func aNameTakenByAnotherTemplateBumpsTheCollisionCount() throws {
        // A ReplicaSet with our would-be name but not ours.
        var squatter = F.replicaSet(image: "nginx:9", replicas: 1, revision: 1, created: 50, owner: "someone-else")
        squatter.metadata?.name = "web-\(PodTemplates.hash(F.template(image: "nginx:1")))"
        let decision = try F.decide(F.deployment(replicas: 2, image: "nginx:1"), [squatter])
        #expect(decision.create == nil)
        #expect(decision.status?.collisionCount == 1)
        // With the count bumped, the next name differs.
        let bumped = F.deployment(replicas: 2, image: "nginx:1", status: DeploymentStatus(observedGeneration: 1, collisionCount: 1))
        let next = try F.decide(bumped, [squatter])
        let created = try #require(next.create)
        #expect(created.metadata?.name == "web-\(PodTemplates.hash(F.template(image: "nginx:1"), collisionCount: 1))")
        #expect(created.metadata?.name != squatter.metadata?.name)
    }

    @Test func orphanReplicaSetsThatMatchAreAdoptedAndStraysReleased() throws {
        let orphan = F.replicaSet(image: "nginx:1", replicas: 3, revision: 1, created: 100, desired: 3, maxReplicas: 4, owner: nil)
        var stray = F.replicaSet(image: "nginx:0", replicas: 0, revision: 0, created: 50)
        stray.metadata?.labels = ["app": "other"]
        let decision = try F.decide(F.deployment(replicas: 3, image: "nginx:1", revision: "1"), [orphan, stray])
        #expect(decision.release.map(\.metadata?.uid) == [stray.metadata?.uid])
        let adopted = try #require(decision.update.first { $0.metadata?.uid == orphan.metadata?.uid })
        #expect(OwnerRefs.controllerOf(adopted.metadata)?.uid == F.uid)
        #expect(decision.create == nil)
    }

    @Test func aSteadyDeploymentWritesNothing() throws {
        let rs = F.replicaSet(image: "nginx:1", replicas: 3, revision: 1, created: 100, desired: 3, maxReplicas: 4)
        let first = try F.decide(F.deployment(replicas: 3, image: "nginx:1", revision: "1"), [rs])
        var settled = F.deployment(replicas: 3, image: "nginx:1", revision: "1")
        settled.status = first.status
        let again = try F.decide(settled, [rs])
        #expect(again.status == nil && again.update.isEmpty && again.create == nil && again.annotations == nil)
        #expect(again.events.isEmpty)
    }

    @Test func anEmptySelectorIsRefusedWithAnEvent() throws {
        var deployment = F.deployment()
        deployment.spec?.selector = LabelSelector()
        let decision = try F.decide(deployment, [])
        #expect(decision.create == nil)
        #expect(decision.events.map(\.reason) == ["SelectingAll"])
    }
}
