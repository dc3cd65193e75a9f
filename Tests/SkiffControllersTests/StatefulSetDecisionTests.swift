/// The StatefulSet controller's decisions: ordered creation, claims before pods, recreation
/// under the same name, scale down from the top, rolling updates with a partition, OnDelete,
/// Parallel, and the status.
import SkiffControllers
import SkiffWire
import Testing

enum SetFixtures {
    static let now = Time(seconds: 1_800_000_000)

    static func set(replicas: Int32 = 3, policy: String = "OrderedReady", image: String = "busybox:1",
                    strategy: String = "RollingUpdate", partition: Int32? = nil, claims: Bool = true,
                    whenScaled: String = "Retain", currentRevision: String? = nil) -> StatefulSet {
        var template = PodTemplateSpec(metadata: ObjectMeta(labels: ["app": "web"]),
                                       spec: PodSpec(containers: [Container(name: "c", image: image)]))
        template.spec?.volumes = [Volume(name: "data", emptyDir: EmptyDirVolumeSource())]
        var spec = StatefulSetSpec(replicas: replicas, selector: LabelSelector(matchLabels: ["app": "web"]), template: template,
                                   serviceName: "web", podManagementPolicy: policy,
                                   updateStrategy: StatefulSetUpdateStrategy(
                                       type: strategy,
                                       rollingUpdate: strategy == "RollingUpdate" ? RollingUpdateStatefulSetStrategy(partition: partition ?? 0) : nil))
        if claims {
            spec.volumeClaimTemplates = [PersistentVolumeClaim(
                metadata: ObjectMeta(name: "data"),
                spec: PersistentVolumeClaimSpec(accessModes: ["ReadWriteOnce"],
                                                resources: VolumeResourceRequirements(requests: ["storage": "1Gi"])))]
        }
        spec.persistentVolumeClaimRetentionPolicy = StatefulSetPersistentVolumeClaimRetentionPolicy(whenDeleted: "Retain",
                                                                                                     whenScaled: whenScaled)
        var status = StatefulSetStatus()
        status.currentRevision = currentRevision
        return StatefulSet(metadata: ObjectMeta(name: "web", namespace: "default", uid: "set-uid", generation: 2),
                           spec: spec, status: currentRevision == nil ? nil : status)
    }

    /// The revision name the set's template has.
    static func revision(_ set: StatefulSet) -> String { StatefulSetIdentity.revisionName(set) }

    /// Pod `ordinal` of `set` at `revision` (default: the set's own), Running and Ready unless told.
    static func pod(_ set: StatefulSet, _ ordinal: Int, revision: String? = nil, phase: String = "Running", ready: Bool = true,
                    deleting: Bool = false) -> Pod {
        var pod = StatefulSetIdentity.pod(set, template: set.spec?.template, revision: revision ?? Self.revision(set), ordinal: ordinal)
        pod.metadata?.uid = "uid-web-\(ordinal)"
        if deleting { pod.metadata?.deletionTimestamp = now }
        var status = PodStatus(phase: phase)
        status.conditions = [PodCondition(type: "Ready", status: ready ? "True" : "False", lastTransitionTime: Time(seconds: 1))]
        pod.status = status
        return pod
    }

    static func claims(_ set: StatefulSet, _ ordinals: ClosedRange<Int>) -> [PersistentVolumeClaim] {
        ordinals.flatMap { StatefulSetIdentity.claims(set, ordinal: $0) }
    }

    static func revisions(_ set: StatefulSet, _ names: [String]) -> [ControllerRevision] {
        names.enumerated().map { StatefulSetIdentity.revision(set, name: $0.element, number: Int64($0.offset + 1)) }
    }

    /// The revisions of `sets`' templates, oldest first, each recording its own template.
    static func history(_ sets: [StatefulSet]) -> [ControllerRevision] {
        sets.enumerated().map { StatefulSetIdentity.revision($0.element, name: revision($0.element), number: Int64($0.offset + 1)) }
    }

    /// What was decided, in words a test compares: "claim data-web-0", "create web-0", "delete web-2".
    static func actions(_ d: StatefulSetDecision) -> [String] {
        d.createClaims.map { "claim \($0.metadata?.name ?? "")" } + d.createPods.map { "create \($0.metadata?.name ?? "")" }
            + d.deletePods.map { "delete \($0.metadata?.name ?? "")" } + d.deleteClaims.map { "delete claim \($0.metadata?.name ?? "")" }
    }
}

@Suite("StatefulSet decisions")
struct StatefulSetDecisionTests {
    typealias F = SetFixtures

    func decide(_ set: StatefulSet, pods: [Pod], claims: [PersistentVolumeClaim]? = nil,
                revisions: [ControllerRevision]? = nil) throws -> StatefulSetDecision {
        try StatefulSetDecision.decide(set, pods: pods, claims: claims ?? F.claims(set, 0...9),
                                       revisions: revisions ?? F.revisions(set, [F.revision(set)]), now: F.now)
    }

    @Test("OrderedReady creates web-0 first, its claim before it, with its identity")
    func firstPod() throws {
        let set = F.set()
        let d = try decide(set, pods: [], claims: [], revisions: [])
        #expect(F.actions(d) == ["claim data-web-0", "create web-0"])
        #expect(d.createRevision?.metadata?.name == F.revision(set))
        let pod = try #require(d.createPods.first)
        #expect(pod.spec?.hostname == "web-0")
        #expect(pod.spec?.subdomain == "web")
        #expect(pod.metadata?.labels["statefulset.kubernetes.io/pod-name"] == "web-0")
        #expect(pod.metadata?.labels["apps.kubernetes.io/pod-index"] == "0")
        #expect(pod.metadata?.labels["controller-revision-hash"] == F.revision(set))
        #expect(pod.spec?.volumes.count == 1, "the claim replaces the template's volume of the same name")
        #expect(pod.spec?.volumes.first?.persistentVolumeClaim?.claimName == "data-web-0")
        let claim = try #require(d.createClaims.first)
        #expect(claim.metadata?.labels["app"] == "web")
        #expect(claim.metadata?.ownerReferences.isEmpty == true, "Retain: claims outlive the set")
        #expect(StatefulSetIdentity.podName(ofClaim: claim, in: set) == "web-0")
    }

    struct OrderCase: Sendable, CustomTestStringConvertible {
        var name: String
        var pods: @Sendable (StatefulSet) -> [Pod]
        var expected: [String]
        var testDescription: String { name }
    }

    static let orderCases: [OrderCase] = [
        OrderCase(name: "web-1 waits while web-0 is not ready", pods: { [F.pod($0, 0, ready: false)] }, expected: []),
        OrderCase(name: "web-1 waits while web-0 is Pending", pods: { [F.pod($0, 0, phase: "Pending", ready: false)] }, expected: []),
        OrderCase(name: "web-1 follows a ready web-0", pods: { [F.pod($0, 0)] }, expected: ["create web-1"]),
        OrderCase(name: "a missing lower ordinal comes first", pods: { [F.pod($0, 1), F.pod($0, 2)] }, expected: ["create web-0"]),
        OrderCase(name: "a Failed pod is deleted, to come back under its name", pods: { [F.pod($0, 0, phase: "Failed", ready: false)] },
                  expected: ["delete web-0"]),
        OrderCase(name: "nothing while a pod terminates", pods: { [F.pod($0, 0, deleting: true)] }, expected: []),
        OrderCase(name: "all ready: nothing to do", pods: { s in (0...2).map { F.pod(s, $0) } }, expected: []),
        OrderCase(name: "scale down removes the highest ordinal, one at a time",
                  pods: { s in (0...4).map { F.pod(s, $0) } }, expected: ["delete web-4"]),
        OrderCase(name: "scale down waits for the one terminating", pods: { s in (0...3).map { F.pod(s, $0) } + [F.pod(s, 4, deleting: true)] },
                  expected: []),
        OrderCase(name: "scale down waits while a lower pod is unhealthy",
                  pods: { s in [F.pod(s, 0, ready: false), F.pod(s, 1), F.pod(s, 2), F.pod(s, 3)] }, expected: []),
    ]

    @Test(arguments: orderCases)
    func orderedReady(_ c: OrderCase) throws {
        let set = F.set()
        #expect(F.actions(try decide(set, pods: c.pods(set))) == c.expected)
    }

    @Test("Parallel creates and deletes all at once")
    func parallel() throws {
        let set = F.set(policy: "Parallel")
        #expect(F.actions(try decide(set, pods: [F.pod(set, 0, ready: false)], claims: [])) ==
                ["claim data-web-1", "claim data-web-2", "create web-1", "create web-2"])
        let down = F.set(replicas: 1, policy: "Parallel")
        #expect(F.actions(try decide(down, pods: (0...2).map { F.pod(down, $0) })) == ["delete web-2", "delete web-1"])
    }

    @Test("a recreated pod reuses its claim: none is created when it exists")
    func reuseClaim() throws {
        let set = F.set()
        #expect(F.actions(try decide(set, pods: [F.pod(set, 1), F.pod(set, 2)], claims: F.claims(set, 0...2))) == ["create web-0"])
    }

    @Test("scale down keeps claims (Retain) or deletes those of gone pods (whenScaled: Delete)")
    func scaledClaims() throws {
        let keep = F.set(replicas: 2)
        #expect(F.actions(try decide(keep, pods: (0...1).map { F.pod(keep, $0) }, claims: F.claims(keep, 0...2))) == [])
        let drop = F.set(replicas: 2, whenScaled: "Delete")
        #expect(F.actions(try decide(drop, pods: (0...1).map { F.pod(drop, $0) }, claims: F.claims(drop, 0...2)))
            == ["delete claim data-web-2"])
        #expect(F.actions(try decide(drop, pods: (0...2).map { F.pod(drop, $0) }, claims: F.claims(drop, 0...2)))
            == ["delete web-2"], "the claim goes only after its pod")
    }

    @Test("a rolling update replaces the highest old pod first, then waits for it")
    func rollingUpdate() throws {
        let old = F.set()
        let set = F.set(image: "busybox:2", currentRevision: F.revision(old))
        let revisions = F.history([old, set])
        let pods = (0...2).map { F.pod(old, $0) }
        let d = try decide(set, pods: pods, revisions: revisions)
        #expect(F.actions(d) == ["delete web-2"])
        #expect(d.status.currentRevision == F.revision(old))
        #expect(d.status.updateRevision == F.revision(set))
        #expect(d.status.currentReplicas == 3 && d.status.updatedReplicas == 0)
        // web-2 is back at the new revision but not ready: wait.
        let next = [F.pod(old, 0), F.pod(old, 1), F.pod(set, 2, ready: false)]
        #expect(F.actions(try decide(set, pods: next, revisions: revisions)) == [])
        // Ready: web-1 is next.
        let later = [F.pod(old, 0), F.pod(old, 1), F.pod(set, 2)]
        #expect(F.actions(try decide(set, pods: later, revisions: revisions)) == ["delete web-1"])
        // All updated and ready: the update revision becomes current.
        let done = try decide(set, pods: (0...2).map { F.pod(set, $0) }, revisions: revisions)
        #expect(F.actions(done) == [])
        #expect(done.status.currentRevision == F.revision(set) && done.status.currentReplicas == 3)
    }

    @Test("a partition keeps lower ordinals at the current revision, even when recreated")
    func partition() throws {
        let old = F.set()
        let set = F.set(image: "busybox:2", partition: 2, currentRevision: F.revision(old))
        let revisions = F.history([old, set])
        #expect(F.actions(try decide(set, pods: [F.pod(old, 0), F.pod(old, 1), F.pod(set, 2)], revisions: revisions)) == [])
        let recreated = try decide(set, pods: [F.pod(old, 1), F.pod(set, 2)], revisions: revisions)
        let pod = try #require(recreated.createPods.first)
        #expect(pod.metadata?.labels["controller-revision-hash"] == F.revision(old))
        #expect(pod.spec?.containers.first?.image == "busybox:1", "made from the current revision's template")
        let status = try decide(set, pods: [F.pod(old, 0), F.pod(old, 1), F.pod(set, 2)], revisions: revisions).status
        #expect(status.currentReplicas == 2 && status.updatedReplicas == 1 && status.currentRevision == F.revision(old))
    }

    @Test("OnDelete deletes nothing; a deleted pod comes back at the new revision")
    func onDelete() throws {
        let old = F.set(strategy: "OnDelete")
        let set = F.set(image: "busybox:2", strategy: "OnDelete", currentRevision: F.revision(old))
        let revisions = F.history([old, set])
        #expect(F.actions(try decide(set, pods: (0...2).map { F.pod(old, $0) }, revisions: revisions)) == [])
        let d = try decide(set, pods: [F.pod(old, 0), F.pod(old, 2)], revisions: revisions)
        #expect(d.createPods.first?.metadata?.labels["controller-revision-hash"] == F.revision(set))
    }

    @Test("status counts replicas, ready, available, current and updated pods")
    func status() throws {
        let set = F.set()
        let d = try decide(set, pods: [F.pod(set, 0), F.pod(set, 1, ready: false)])
        #expect(d.status.replicas == 2)
        #expect(d.status.readyReplicas == 1)
        #expect(d.status.availableReplicas == 1)
        #expect(d.status.updatedReplicas == 2)
        #expect(d.status.observedGeneration == 2)
    }

    @Test("orphans with the set's name and labels are adopted; other pods are left alone")
    func adoption() throws {
        let set = F.set()
        var orphan = F.pod(set, 0)
        orphan.metadata?.ownerReferences = []
        var stranger = F.pod(set, 1)
        stranger.metadata?.ownerReferences = []
        stranger.metadata?.name = "db-1"
        let d = try decide(set, pods: [orphan, stranger])
        #expect(d.adopt.map { $0.metadata?.name } == ["web-0"])
    }

    @Test("a set being deleted creates and deletes nothing")
    func deleting() throws {
        var set = F.set()
        set.metadata?.deletionTimestamp = F.now
        #expect(F.actions(try decide(set, pods: [])) == [])
    }

    @Test("old revisions beyond the history limit are deleted, oldest first; those in use are kept")
    func history() throws {
        var set = F.set()
        set.spec?.revisionHistoryLimit = 1
        let names = ["web-a", "web-b", "web-c", F.revision(set)]
        let d = try decide(set, pods: (0...2).map { F.pod(set, $0) }, revisions: F.revisions(set, names))
        #expect(d.deleteRevisions.map { $0.metadata?.name } == ["web-a", "web-b"])
    }
}
