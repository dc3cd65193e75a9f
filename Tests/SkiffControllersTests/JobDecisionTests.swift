/// JobDecision as tables: pods created and deleted, finished pods recorded then counted,
/// backoff limits, deadlines, work queues, Indexed jobs, TTL.
import SkiffControllers
import SkiffWire
import Testing

enum JobFixtures {
    static let now = Time(seconds: 1_800_000_000)
    static let uid = "job-uid"
    static let tracking = JobDecision.trackingFinalizer

    static func job(completions: Int32? = 1, parallelism: Int32 = 1, backoffLimit: Int32 = 6, indexed: Bool = false,
                    restartPolicy: String = "Never", deadline: Int64? = nil, ttl: Int32? = nil, suspend: Bool = false,
                    status: JobStatus = JobStatus(startTime: Time(seconds: 1_799_999_900))) -> Job {
        let labels = ["batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": "pi"]
        return Job(metadata: ObjectMeta(name: "pi", namespace: "default", uid: uid, generation: 1),
                   spec: JobSpec(parallelism: parallelism, completions: completions, activeDeadlineSeconds: deadline,
                                 backoffLimit: backoffLimit, selector: LabelSelector(matchLabels: labels),
                                 template: PodTemplateSpec(metadata: ObjectMeta(labels: labels),
                                                           spec: PodSpec(containers: [Container(name: "c", image: "busybox")],
                                                                         restartPolicy: restartPolicy)),
                                 ttlSecondsAfterFinished: ttl, completionMode: indexed ? "Indexed" : "NonIndexed",
                                 suspend: suspend),
                   status: status)
    }

    /// A pod of the job; `finishedAt` is when its container ended.
    static func pod(_ name: String, phase: String = "Running", index: Int? = nil, finalizer: Bool = true,
                    deleting: Bool = false, restarts: Int32 = 0, finishedAt: Int64? = nil, node: String? = "node-1") -> Pod {
        var meta = ObjectMeta(name: name, namespace: "default", uid: "uid-\(name)",
                              labels: ["batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": "pi"])
        meta.creationTimestamp = Time(seconds: 1_799_999_000)
        meta.ownerReferences = [OwnerReference(apiVersion: "batch/v1", kind: "Job", name: "pi", uid: uid, controller: true,
                                               blockOwnerDeletion: true)]
        if finalizer { meta.finalizers = [tracking] }
        if let index { meta.annotations[CompletionIndexes.annotation] = String(index) }
        if deleting { meta.deletionTimestamp = now }
        var container = ContainerStatus(name: "c", restartCount: restarts)
        if let finishedAt {
            container.state = ContainerState(terminated: ContainerStateTerminated(exitCode: phase == "Succeeded" ? 0 : 1,
                                                                                  finishedAt: Time(seconds: finishedAt)))
        }
        var status = PodStatus(phase: phase)
        status.conditions = [PodCondition(type: "Ready", status: phase == "Running" ? "True" : "False")]
        status.containerStatuses = [container]
        return Pod(metadata: meta, spec: PodSpec(nodeName: node), status: status)
    }

    static func decide(_ job: Job, _ pods: [Pod], manage: Bool = true, removing: Set<String> = []) throws -> JobDecision {
        try JobDecision.decide(job, pods: pods, now: now, manage: manage, expectedRemovals: removing)
    }
}

@Suite("Job decisions")
struct JobDecisionTests {
    typealias F = JobFixtures

    @Test("a new job creates min(parallelism, completions) pods and starts its clock",
          arguments: [(Int32(1), Int32(1), 1), (5, 2, 2), (2, 5, 2), (3, 3, 3)])
    func createsUpToParallelism(completions: Int32, parallelism: Int32, expected: Int) throws {
        let decision = try F.decide(F.job(completions: completions, parallelism: parallelism, status: JobStatus()), [])
        #expect(decision.create.count == expected)
        #expect(decision.status.active == Int32(expected))
        #expect(decision.status.startTime == F.now)
    }

    @Test("nothing is created while earlier creations are unseen")
    func expectationsHold() throws {
        let decision = try F.decide(F.job(completions: 3, parallelism: 3), [], manage: false)
        #expect(decision.create.isEmpty)
    }

    @Test("a finished pod is recorded as uncounted and its finalizer removed; settle counts it")
    func recordThenCount() throws {
        let done = F.pod("a", phase: "Succeeded", finishedAt: 1_799_999_990)
        let decision = try F.decide(F.job(completions: 2), [done])
        #expect(decision.status.uncountedTerminatedPods?.succeeded == ["uid-a"])
        #expect(decision.removeFinalizers.map(\.metadata?.name) == ["a"])
        #expect(decision.status.succeeded ?? 0 == 0)
        let settled = JobDecision.settle(decision.status, stillTracked: [])
        #expect(settled.succeeded == 1)
        #expect(settled.uncountedTerminatedPods?.succeeded.isEmpty == true)
    }

    @Test("a pod whose finalizer removal is in flight, or that is already counted, is not counted again")
    func noDoubleCount() throws {
        let done = F.pod("a", phase: "Succeeded")
        var status = JobStatus(startTime: Time(seconds: 1_799_999_900))
        status.succeeded = 1
        let inFlight = try F.decide(F.job(completions: 3, status: status), [done], removing: ["uid-a"])
        #expect(inFlight.status.uncountedTerminatedPods?.succeeded.isEmpty == true)
        #expect(inFlight.removeFinalizers.isEmpty)
        let counted = try F.decide(F.job(completions: 3, status: status), [F.pod("a", phase: "Succeeded", finalizer: false)])
        #expect(counted.status.succeeded == 1)
        #expect(counted.removeFinalizers.isEmpty)
    }

    @Test("uncounted uids whose pods are gone are counted at the next decision")
    func goneUncountedAreCounted() throws {
        var status = JobStatus(startTime: Time(seconds: 1_799_999_900))
        status.uncountedTerminatedPods = UncountedTerminatedPods(succeeded: ["uid-x"], failed: ["uid-y"])
        let decision = try F.decide(F.job(completions: 3, parallelism: 1, status: status), [])
        #expect(decision.status.succeeded == 1)
        #expect(decision.status.failed == 1)
    }

    @Test("a failed pod is replaced only after the backoff: 10s, then 20s after the second failure")
    func failureBackoff() throws {
        let first = F.pod("a", phase: "Failed", finalizer: false, finishedAt: F.now.seconds - 5)
        var status = JobStatus(startTime: Time(seconds: 1_799_999_900))
        status.failed = 1
        let waiting = try F.decide(F.job(status: status), [first])
        #expect(waiting.create.isEmpty)
        #expect(waiting.recheckAfter == .seconds(5))
        let later = F.pod("a", phase: "Failed", finalizer: false, finishedAt: F.now.seconds - 11)
        #expect(try F.decide(F.job(status: status), [later]).create.count == 1)
        let second = F.pod("b", phase: "Failed", finalizer: false, finishedAt: F.now.seconds - 11)
        status.failed = 2
        #expect(try F.decide(F.job(status: status), [later, second]).create.isEmpty)
    }

    @Test("failures beyond backoffLimit fail the job: running pods deleted, FailureTarget first, Failed once settled")
    func backoffLimitExceeded() throws {
        var status = JobStatus(startTime: Time(seconds: 1_799_999_900))
        status.failed = 2
        let running = F.pod("r")
        let failed = F.pod("f", phase: "Failed", finishedAt: F.now.seconds - 1)
        let decision = try F.decide(F.job(completions: 5, parallelism: 2, backoffLimit: 2, status: status), [running, failed])
        #expect(decision.delete.map(\.metadata?.name) == ["r"])
        #expect(!decision.deleteUntracked)
        #expect(decision.create.isEmpty)
        #expect(decision.status.conditions.map(\.type) == ["FailureTarget"])
        #expect(decision.status.conditions.first?.reason == "BackoffLimitExceeded")
        #expect(Set(decision.status.uncountedTerminatedPods?.failed ?? []) == ["uid-f", "uid-r"])
        #expect(decision.finish?.type == "Failed")
        // The deleted pod still runs on its node: no Failed yet.
        let settled = JobDecision.settle(decision.status, stillTracked: [], finish: decision.finish, running: decision.running)
        #expect(settled.failed == 4)
        #expect(!settled.conditions.contains { $0.type == "Failed" })
        // Once it is gone, the next decision ends the job.
        var after = settled
        after.active = 0
        let final = try F.decide(F.job(completions: 5, parallelism: 2, backoffLimit: 2, status: after), [])
        let ended = JobDecision.settle(final.status, stillTracked: [], finish: final.finish, running: final.running)
        #expect(ended.conditions.contains { $0.type == "Failed" && $0.reason == "BackoffLimitExceeded" })
        #expect(ended.completionTime == nil)
    }

    @Test("OnFailure: container restarts reaching backoffLimit fail the job",
          arguments: [(Int32(2), Int32(2), true), (2, 1, false), (0, 1, true), (0, 0, false)])
    func onFailureRestarts(limit: Int32, restarts: Int32, fails: Bool) throws {
        let job = F.job(backoffLimit: limit, restartPolicy: "OnFailure")
        let decision = try F.decide(job, [F.pod("a", restarts: restarts)])
        #expect((decision.status.conditions.first { $0.type == "FailureTarget" }?.reason == "BackoffLimitExceeded") == fails)
    }

    @Test("activeDeadlineSeconds: looked at again when it passes, DeadlineExceeded after")
    func deadline() throws {
        let start = JobStatus(startTime: Time(seconds: F.now.seconds - 30))
        let before = try F.decide(F.job(deadline: 60, status: start), [F.pod("a")])
        #expect(before.recheckAfter == .seconds(30))
        #expect(before.delete.isEmpty)
        let after = try F.decide(F.job(deadline: 20, status: start), [F.pod("a")])
        #expect(after.status.conditions.first?.reason == "DeadlineExceeded")
        #expect(after.delete.count == 1)
    }

    @Test("enough successes complete the job: SuccessCriteriaMet, then Complete with completionTime")
    func completes() throws {
        var status = JobStatus(startTime: Time(seconds: 1_799_999_900))
        status.succeeded = 1
        let decision = try F.decide(F.job(completions: 2, status: status), [F.pod("b", phase: "Succeeded")])
        #expect(decision.create.isEmpty)
        #expect(decision.status.conditions.map(\.type) == ["SuccessCriteriaMet"])
        let settled = JobDecision.settle(decision.status, stillTracked: [], finish: decision.finish, running: decision.running)
        #expect(settled.succeeded == 2)
        #expect(settled.conditions.map(\.type) == ["SuccessCriteriaMet", "Complete"])
        #expect(settled.completionTime == F.now)
    }

    @Test("work queue (no completions): one success stops creations; complete when the rest finish")
    func workQueue() throws {
        let job = F.job(completions: nil, parallelism: 3)
        let fresh = try F.decide(job, [])
        #expect(fresh.create.count == 3)
        let oneDone = try F.decide(job, [F.pod("a", phase: "Succeeded"), F.pod("b")])
        #expect(oneDone.create.isEmpty)
        #expect(oneDone.finish == nil)
        let allDone = try F.decide(job, [F.pod("a", phase: "Succeeded"), F.pod("b", phase: "Succeeded")])
        #expect(allDone.finish?.type == "Complete")
    }

    @Test("too many running pods: the surplus is deleted untracked (not a failure)")
    func surplus() throws {
        let decision = try F.decide(F.job(completions: 5, parallelism: 1), [F.pod("a"), F.pod("b")])
        #expect(decision.delete.count == 1)
        #expect(decision.deleteUntracked)
        #expect(decision.status.uncountedTerminatedPods?.failed.isEmpty == true)
    }

    @Test("Indexed: pending indexes lowest first, succeeded indexes counted as completedIndexes")
    func indexed() throws {
        var status = JobStatus(startTime: Time(seconds: 1_799_999_900))
        status.completedIndexes = "0"
        status.succeeded = 1
        let pods = [F.pod("i1", index: 1), F.pod("i3", phase: "Succeeded", index: 3)]
        let decision = try F.decide(F.job(completions: 6, parallelism: 3, indexed: true, status: status), pods)
        #expect(decision.create == [2, 4])
        #expect(decision.status.completedIndexes == "0,3")
        #expect(decision.status.succeeded == 2)
        // A succeeded indexed pod is known by its index, not its uid.
        #expect(decision.status.uncountedTerminatedPods?.succeeded.isEmpty == true)
        #expect(decision.removeFinalizers.map(\.metadata?.name) == ["i3"])
    }

    @Test("Indexed: a duplicate index, or one already completed, is deleted")
    func indexedDuplicates() throws {
        var status = JobStatus(startTime: Time(seconds: 1_799_999_900))
        status.completedIndexes = "1"
        let pods = [F.pod("a", index: 0), F.pod("b", index: 0), F.pod("c", index: 1)]
        let decision = try F.decide(F.job(completions: 3, parallelism: 3, indexed: true, status: status), pods)
        #expect(decision.delete.count == 2)
        #expect(decision.delete.contains { $0.metadata?.name == "c" })
    }

    @Test("the pod of index 2: annotation, label, hostname, JOB_COMPLETION_INDEX from the annotation, finalizer")
    func indexedPod() {
        let job = F.job(completions: 3, indexed: true)
        let pod = JobPods.pod(for: job, index: 2, ref: OwnerReference(kind: "Job", name: "pi", uid: F.uid, controller: true))
        #expect(pod.metadata?.annotations[CompletionIndexes.annotation] == "2")
        #expect(pod.metadata?.labels[CompletionIndexes.annotation] == "2")
        #expect(pod.metadata?.generateName == "pi-2-")
        #expect(pod.spec?.hostname == "pi-2")
        #expect(pod.metadata?.finalizers == [JobDecision.trackingFinalizer])
        let env = pod.spec?.containers.first?.env.first { $0.name == "JOB_COMPLETION_INDEX" }
        #expect(env?.valueFrom?.fieldRef?.fieldPath == "metadata.annotations['batch.kubernetes.io/job-completion-index']")
    }

    @Test("suspend deletes running pods, creates none, and says Suspended")
    func suspend() throws {
        let decision = try F.decide(F.job(completions: 3, parallelism: 2, suspend: true), [F.pod("a")])
        #expect(decision.delete.count == 1)
        #expect(decision.create.isEmpty)
        #expect(decision.status.conditions.first { $0.type == "Suspended" }?.status == "True")
    }

    @Test("a finished job with a TTL is deleted once it has passed, and looked at again until then",
          arguments: [(Int64(100), false, Duration.seconds(20)), (130, true, nil)])
    func ttl(finishedAgo: Int64, deletes: Bool, recheck: Duration?) throws {
        var status = JobStatus(startTime: Time(seconds: 1_799_999_000))
        status.conditions = [JobCondition(type: "Complete", status: "True",
                                          lastTransitionTime: Time(seconds: F.now.seconds - finishedAgo))]
        let decision = try F.decide(F.job(ttl: 120, status: status), [])
        #expect(decision.deleteJob == deletes)
        #expect(decision.recheckAfter == recheck)
    }

    @Test("completedIndexes text", arguments: [
        ([Int](), ""), ([0], "0"), ([0, 1], "0-1"), ([1, 3, 4, 5], "1,3-5"), ([0, 2, 3, 4, 7, 9, 10], "0,2-4,7,9-10"),
    ])
    func indexesText(indexes: [Int], text: String) {
        #expect(CompletionIndexes(indexes).description == text)
        #expect(CompletionIndexes(parsing: text, completions: 100) == CompletionIndexes(indexes))
    }
}
