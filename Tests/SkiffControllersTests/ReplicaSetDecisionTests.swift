/// The ReplicaSet decision: counts, claims, ranking and status, without an apiserver.
import SkiffControllers
import SkiffWire
import Testing

@Suite struct ReplicaSetDecisionTests {
    typealias Decision = ReplicaSetDecision<ReplicaSet>

    @Test func createsTheMissingReplicas() throws {
        let decision = try Decision.decide(Fixtures.replicaSet(replicas: 3), pods: [Fixtures.pod("a")],
                                           now: Fixtures.now, manage: true)
        #expect(decision.create == 2)
        #expect(decision.delete.isEmpty)
        #expect(decision.counts.replicas == 1)
    }

    @Test func createsAtMostABurstPerReconcile() throws {
        let decision = try Decision.decide(Fixtures.replicaSet(replicas: 2000), pods: [], now: Fixtures.now, manage: true)
        #expect(decision.create == Decision.burstReplicas)
    }

    @Test func doesNothingWhileEarlierWritesAreUnseen() throws {
        let decision = try Decision.decide(Fixtures.replicaSet(replicas: 3), pods: [], now: Fixtures.now, manage: false)
        #expect(decision.create == 0)
        #expect(decision.counts.replicas == 0)
    }

    @Test func finishedAndDeletingPodsDoNotCount() throws {
        let pods = [Fixtures.pod("done", phase: "Succeeded"), Fixtures.pod("failed", phase: "Failed"),
                    Fixtures.pod("going", deleting: true), Fixtures.pod("live")]
        let decision = try Decision.decide(Fixtures.replicaSet(replicas: 2), pods: pods, now: Fixtures.now, manage: true)
        #expect(decision.create == 1)
        #expect(decision.counts.replicas == 1)
        #expect(decision.counts.terminatingReplicas == 1)
    }

    @Test(arguments: [
        // (pods, the one deleted first)
        ([Fixtures.pod("scheduled"), Fixtures.pod("unscheduled", node: nil)], "unscheduled"),
        ([Fixtures.pod("running"), Fixtures.pod("pending", phase: "Pending", ready: false)], "pending"),
        ([Fixtures.pod("ready"), Fixtures.pod("unready", ready: false)], "unready"),
        ([Fixtures.pod("long", readySince: Time(seconds: 100)), Fixtures.pod("short", readySince: Time(seconds: 200))], "short"),
        ([Fixtures.pod("calm"), Fixtures.pod("crashy", restarts: 5)], "crashy"),
        ([Fixtures.pod("old", created: Time(seconds: 1)), Fixtures.pod("new", created: Time(seconds: 2))], "new"),
    ])
    func scalesDownInKubernetesOrder(pods: [Pod], first: String) throws {
        for order in [pods, pods.reversed()] {
            let decision = try Decision.decide(Fixtures.replicaSet(replicas: 1), pods: order, now: Fixtures.now, manage: true)
            #expect(decision.delete.map(\.metadata?.name) == [first])
        }
    }

    @Test func adoptsMatchingOrphansAndReleasesWhatStoppedMatching() throws {
        let orphan = Fixtures.pod("orphan", owner: nil)
        let strayed = Fixtures.pod("strayed", labels: ["app": "other"])
        let foreign = Fixtures.pod("foreign", owner: "other-uid")
        let decision = try Decision.decide(Fixtures.replicaSet(replicas: 1), pods: [orphan, strayed, foreign],
                                           now: Fixtures.now, manage: true)
        #expect(decision.adopt.map(\.metadata?.name) == ["orphan"])
        #expect(decision.release.map(\.metadata?.name) == ["strayed"])
        #expect(decision.create == 0, "the adopted orphan is the one replica")
        #expect(decision.delete.isEmpty)
    }

    @Test func aReplicaSetBeingDeletedNeitherCreatesNorAdopts() throws {
        var rs = Fixtures.replicaSet(replicas: 3)
        rs.metadata?.deletionTimestamp = Fixtures.now
        let decision = try Decision.decide(rs, pods: [Fixtures.pod("orphan", owner: nil)], now: Fixtures.now, manage: true)
        #expect(decision.create == 0)
        #expect(decision.adopt.isEmpty)
    }

    @Test func availabilityWaitsForMinReadySeconds() throws {
        let rs = Fixtures.replicaSet(replicas: 2, minReadySeconds: 30)
        let pods = [Fixtures.pod("a", readySince: Time(seconds: Fixtures.now.seconds - 60)),
                    Fixtures.pod("b", readySince: Time(seconds: Fixtures.now.seconds - 10))]
        let decision = try Decision.decide(rs, pods: pods, now: Fixtures.now, manage: true)
        #expect(decision.counts.readyReplicas == 2)
        #expect(decision.counts.availableReplicas == 1)
        #expect(decision.recheckAfter == .seconds(21), "b is available 20 s from now; look a second after")
    }

    @Test func statusCountsFullyLabeledPodsAndTheGeneration() throws {
        var rs = Fixtures.replicaSet(replicas: 2, labels: ["app": "web"], generation: 7)
        rs.spec?.template?.metadata?.labels["tier"] = "front"
        let pods = [Fixtures.pod("a", labels: ["app": "web", "tier": "front"]), Fixtures.pod("b", labels: ["app": "web"])]
        let decision = try Decision.decide(rs, pods: pods, now: Fixtures.now, manage: true)
        #expect(decision.counts.fullyLabeledReplicas == 1)
        #expect(decision.counts.observedGeneration == 7)
    }

    @Test func aReplicationControllerSelectsByItsTemplateLabelsWhenItsSelectorIsEmpty() throws {
        let rc = ReplicationController(
            metadata: ObjectMeta(name: "web", namespace: "default", uid: "rc-uid"),
            spec: ReplicationControllerSpec(replicas: 2, template: PodTemplateSpec(metadata: ObjectMeta(labels: ["app": "web"]))))
        let decision = try ReplicaSetDecision<ReplicationController>.decide(
            rc, pods: [Fixtures.pod("a", owner: "rc-uid", ownerKind: "ReplicationController"), Fixtures.pod("b", labels: ["app": "x"], owner: nil)],
            now: Fixtures.now, manage: true)
        #expect(decision.create == 1)
        #expect(decision.adopt.isEmpty)
    }
}

@Suite struct PodTemplatesTests {
    @Test func equalTemplatesHashEquallyAndDifferentOnesDiffer() {
        let a = Fixtures.replicaSet().spec?.template
        var b = a
        #expect(PodTemplates.hash(a) == PodTemplates.hash(b))
        b?.spec?.containers[0].image = "busybox:2"
        #expect(PodTemplates.hash(a) != PodTemplates.hash(b))
        #expect(PodTemplates.hash(a, collisionCount: 1) != PodTemplates.hash(a))
    }

    @Test func theHashIsALabelValueWithoutVowels() {
        let hash = PodTemplates.hash(Fixtures.replicaSet().spec?.template)
        #expect(!hash.isEmpty && hash.count <= 10)
        #expect(hash.allSatisfy { "bcdfghjklmnpqrstvwxz2456789".contains($0) })
    }

    @Test func podsFromATemplateCarryItsLabelsAndTheControllerRef() {
        let rs = Fixtures.replicaSet()
        let pod = PodTemplates.pod(from: rs.spec?.template, namespace: "default", owner: OwnerRefs.controllerRef(to: rs),
                                   generateName: PodTemplates.generateNamePrefix("web"))
        #expect(pod.metadata?.generateName == "web-")
        #expect(pod.metadata?.labels == ["app": "web"])
        #expect(OwnerRefs.controllerOf(pod.metadata)?.uid == "rs-uid")
        #expect(OwnerRefs.controllerOf(pod.metadata)?.kind == "ReplicaSet")
    }
}
