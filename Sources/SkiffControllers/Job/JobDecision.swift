/// JobDecision: what a Job needs done, from its spec, its status and the pods its selector sees,
/// as Kubernetes' job controller decides it: pure, so every rule is tested without an apiserver.
///
/// - Counting: a pod carries the finalizer `batch.kubernetes.io/job-tracking` from its creation.
///   A finished pod (Succeeded; Failed, or deleted before it succeeded) is first recorded by uid
///   in status.uncountedTerminatedPods, then its finalizer is removed, then (`settle`) it moves
///   into succeeded/failed. A pod deleted at any point is thus counted exactly once.
/// - Pods: NonIndexed keeps min(parallelism, completions - succeeded) running; without
///   completions (a work queue) it runs parallelism pods until one succeeds, then creates no
///   more. Indexed runs one pod per index in [0, completions) not yet succeeded, lowest first.
///   After a failure new pods wait an exponential backoff (10s doubling, capped at 6m).
/// - Finishing: failed > backoffLimit (or, for OnFailure, container restarts reaching it) fails
///   the job with BackoffLimitExceeded; running longer than activeDeadlineSeconds with
///   DeadlineExceeded; both delete the running pods. Enough successes complete it. The interim
///   FailureTarget / SuccessCriteriaMet condition is written first; Failed / Complete follows
///   once every pod is counted and none still runs.
/// - Suspend: running pods are deleted and none created; the Suspended condition says so.
/// - TTL: a finished job with ttlSecondsAfterFinished is deleted that long after it finished.
///
/// Concurrency: pure. Must never: count a pod twice (uids in `expectedRemovals` are already
/// being counted), or create pods for a finished, failing, suspended or deleted job.
import SkiffAPI
import SkiffWire

public struct JobDecision: Sendable {
    public static let trackingFinalizer = "batch.kubernetes.io/job-tracking"
    public static let maxPodChangesPerSync = 500

    public struct Settings: Sendable {
        /// The first delay before replacing a failed pod; it doubles per consecutive failure.
        public var podFailureBackoff: Duration = .seconds(10)
        public var maxPodFailureBackoff: Duration = .seconds(360)
        public init() {}
    }

    public var adopt: [Pod] = []
    public var release: [Pod] = []
    /// Pods to create: one entry per pod, its completion index for an Indexed job.
    public var create: [Int?] = []
    /// Running pods to delete (too many, or the job failed or is suspended).
    public var delete: [Pod] = []
    /// Remove the deleted pods' finalizer first, uncounted (surplus and suspended pods); a
    /// failed job's pods keep it and count as failed.
    public var deleteUntracked = false
    /// Pods whose tracking finalizer goes, after `status` (recording them) is written.
    public var removeFinalizers: [Pod] = []
    /// The status to write before the finalizers are removed.
    public var status = JobStatus()
    /// Complete or Failed, to add once every pod is counted and none runs (see `settle`).
    public var finish: JobCondition?
    /// Pods neither finished nor gone (running, pending or terminating) after this decision.
    public var running = 0
    /// The job is finished and its ttlSecondsAfterFinished passed: delete it.
    public var deleteJob = false
    /// Events to record: (type, reason, message).
    public var events: [JobEvent] = []
    /// When to look again even without news (backoff, deadline, TTL).
    public var recheckAfter: Duration?

    public struct JobEvent: Sendable, Equatable {
        public var type: String
        public var reason: String
        public var message: String
    }

    /// - Parameters:
    ///   - manage: false while earlier creations or deletions are unseen (expectations).
    ///   - expectedRemovals: uids of pods whose finalizer removal was sent but not yet seen.
    public static func decide(_ job: Job, pods candidates: [Pod], now: Time, manage: Bool,
                              expectedRemovals: Set<String> = [], settings: Settings = Settings()) throws -> JobDecision {
        var decision = JobDecision()
        let spec = job.spec ?? JobSpec()
        var status = job.status ?? JobStatus()
        decision.status = status
        let deleting = job.metadata?.deletionTimestamp != nil
        let selector = try LabelQuery(spec.selector, at: FieldPath("spec.selector"))
        let claim = OwnerRefs.claim(candidates, ownerUID: job.metadata?.uid, ownerDeleting: deleting, selector: selector)
        decision.adopt = claim.adopt
        decision.release = claim.release
        // Adopted pods get the finalizer with their ControllerRef.
        let pods = claim.owned + claim.adopt.map(withFinalizer)
        let tracked = pods.filter { hasFinalizer($0) && !expectedRemovals.contains(uid($0)) }

        if let finished = finishedCondition(status) {
            // Done: only leftovers (pods still carrying the finalizer) and the TTL remain.
            decision.removeFinalizers = tracked
            decision.running = pods.filter { !isFinished($0) }.count
            if let ttl = spec.ttlSecondsAfterFinished, let at = finished.lastTransitionTime {
                let expires = at.seconds + Int64(ttl)
                if now.seconds >= expires { decision.deleteJob = true } else { decision.recheckAfter = .seconds(expires - now.seconds) }
            }
            return decision
        }

        // Pods whose finalizer is gone (or who are gone) were counted: move them to the counters.
        status = settle(status, stillTracked: Set(tracked.map(uid)))
        let uncounted = status.uncountedTerminatedPods ?? UncountedTerminatedPods()
        let uncountedSucceeded = Set(uncounted.succeeded), uncountedFailed = Set(uncounted.failed)
        let indexed = spec.completionMode == "Indexed"
        let completions = Int(spec.completions ?? 0)
        func validIndex(_ pod: Pod) -> Bool {
            guard indexed else { return true }
            guard let index = CompletionIndexes.of(pod) else { return false }
            return index < completions
        }
        let onlyFailed = spec.podReplacementPolicy == "Failed"
        func failed(_ pod: Pod) -> Bool { isFailed(pod, onlyReplaceFailed: onlyFailed) }

        var active = pods.filter(PodState.isActive)
        let newSucceeded = tracked.filter { $0.status?.phase == "Succeeded" && !uncountedSucceeded.contains(uid($0)) && validIndex($0) }
        let newFailed = tracked.filter { failed($0) && !uncountedFailed.contains(uid($0)) && validIndex($0) }
        var succeeded = Int(status.succeeded ?? 0) + newSucceeded.count + uncountedSucceeded.count
        let failures = Int(status.failed ?? 0) + newFailed.count + uncountedFailed.count
        var completed = CompletionIndexes()
        if indexed {
            completed = CompletionIndexes(parsing: status.completedIndexes, completions: completions)
            for pod in pods where pod.status?.phase == "Succeeded" {
                if let index = CompletionIndexes.of(pod), index < completions { completed.insert(index) }
            }
            succeeded = completed.count
        }

        let suspended = spec.suspend == true
        if status.startTime == nil && !suspended { status.startTime = now }

        // Is the job finishing, and how?
        var finishing = interimCondition(status)
        if finishing == nil {
            let backoffLimit = Int(spec.backoffLimit ?? 6)
            if failures > backoffLimit || pastBackoffLimitOnFailure(spec, pods: pods) {
                finishing = condition("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit", now)
            } else if let deadline = spec.activeDeadlineSeconds, let start = status.startTime, !suspended {
                let end = start.seconds + deadline
                if now.seconds >= end {
                    finishing = condition("FailureTarget", "DeadlineExceeded", "Job was active longer than specified deadline", now)
                } else {
                    decision.recheckAfter = .seconds(end - now.seconds)
                }
            }
        }

        if finishing?.type == "FailureTarget" {
            decision.delete = active
            active = []
        } else if manage && !deleting {
            if suspended {
                decision.delete = active
                active = []
            } else {
                let parallelism = Int(spec.parallelism ?? 1)
                let wantActive: Int
                if spec.completions == nil {
                    wantActive = succeeded > 0 ? active.count : parallelism
                } else {
                    wantActive = max(0, min(Int(spec.completions!) - succeeded, parallelism))
                }
                var surplus = indexed ? misplacedIndexPods(active, completed: completed, completions: completions) : []
                let excess = active.count - surplus.count - wantActive
                if excess > 0 {
                    let left = active.filter { pod in !surplus.contains { uid($0) == uid(pod) } }
                    surplus += PodRanking.deletionOrder(left).prefix(excess)
                }
                if !surplus.isEmpty {
                    decision.delete = Array(surplus.prefix(maxPodChangesPerSync))
                    let gone = Set(decision.delete.map(uid))
                    active.removeAll { gone.contains(uid($0)) }
                } else if wantActive > active.count {
                    let terminating = onlyFailed ? pods.filter(PodState.isTerminating).count : 0
                    let missing = min(wantActive - active.count - terminating, maxPodChangesPerSync)
                    if missing > 0 {
                        if let wait = backoffRemaining(pods, now: now, settings: settings) {
                            decision.recheckAfter = min(decision.recheckAfter ?? wait, wait)
                        } else if indexed {
                            let taken = Set(active.compactMap(CompletionIndexes.of))
                            decision.create = (0..<completions).lazy
                                .filter { !completed.contains($0) && !taken.contains($0) }.prefix(missing).map { $0 }
                        } else {
                            decision.create = Array(repeating: nil, count: missing)
                        }
                    }
                }
            }
            // Pods deleted for being too many (or suspended) are not failures: they leave
            // tracking before they go, as Kubernetes' deleteJobPods.
            decision.deleteUntracked = true
        }
        if finishing == nil {
            let activeAfter = active.count + decision.create.count
            let complete = spec.completions == nil ? succeeded > 0 && activeAfter == 0
                : succeeded >= Int(spec.completions!) && activeAfter == 0
            if complete {
                finishing = condition("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods", now)
            } else if manage && !deleting {
                status.conditions = suspendedCondition(status.conditions, suspended: suspended, now: now,
                                                       startTime: &status.startTime, events: &decision.events)
            }
        }

        // Record what finished (and, once the job fails, everything still running) before
        // the finalizers go.
        let failing = finishing?.type == "FailureTarget"
        var newUncounted = uncounted
        let untracked = decision.deleteUntracked ? Set(decision.delete.map(uid)) : []
        for pod in tracked where !untracked.contains(uid(pod)) {
            let podFailed = failed(pod)
            let succeededPod = pod.status?.phase == "Succeeded"
            guard deleting || finishing != nil || succeededPod || podFailed else { continue }
            decision.removeFinalizers.append(pod)
            if succeededPod && !uncountedFailed.contains(uid(pod)) {
                if !indexed && !uncountedSucceeded.contains(uid(pod)) { newUncounted.succeeded.append(uid(pod)) }
            } else if (podFailed || failing) && !uncountedFailed.contains(uid(pod)) && validIndex(pod) {
                newUncounted.failed.append(uid(pod))
            }
        }
        status.uncountedTerminatedPods = newUncounted
        if indexed { status.completedIndexes = completed.description }
        if indexed { status.succeeded = Int32(succeeded) }

        if let finishing {
            if !status.conditions.contains(where: { $0.type == finishing.type && $0.status == "True" }) {
                status.conditions.append(finishing)
            }
            let final = finishing.type == "FailureTarget" ? "Failed" : "Complete"
            decision.finish = condition(final, finishing.reason ?? "", finishing.message ?? "", now)
        }

        status.active = Int32(active.count + decision.create.count)
        status.ready = Int32(active.filter(PodState.isReady).count)
        let deleted = Set(decision.delete.map(uid))
        decision.running = pods.filter { !isFinished($0) && !deleted.contains(uid($0)) }.count + decision.create.count
            + decision.delete.filter(isScheduled).count
        status.terminating = Int32(pods.filter(PodState.isTerminating).count + decision.delete.filter(isScheduled).count)
        decision.status = status
        return decision
    }

    /// The status once the finalizers of pods not in `stillTracked` are gone: their uids move
    /// from uncountedTerminatedPods into succeeded / failed. With `finish`, when nothing is left
    /// uncounted and no pod runs, the job's final condition (and completionTime) is added.
    public static func settle(_ status: JobStatus, stillTracked: Set<String>, finish: JobCondition? = nil,
                              running: Int = 0) -> JobStatus {
        var status = status
        var uncounted = status.uncountedTerminatedPods ?? UncountedTerminatedPods()
        let succeeded = uncounted.succeeded.filter { !stillTracked.contains($0) }
        let failed = uncounted.failed.filter { !stillTracked.contains($0) }
        uncounted.succeeded.removeAll { !stillTracked.contains($0) }
        uncounted.failed.removeAll { !stillTracked.contains($0) }
        if !succeeded.isEmpty || status.succeeded == nil { status.succeeded = (status.succeeded ?? 0) + Int32(succeeded.count) }
        if !failed.isEmpty || status.failed == nil { status.failed = (status.failed ?? 0) + Int32(failed.count) }
        status.uncountedTerminatedPods = uncounted
        if let finish, uncounted.succeeded.isEmpty, uncounted.failed.isEmpty, running == 0,
           !status.conditions.contains(where: { $0.type == finish.type }) {
            status.conditions.append(finish)
            if finish.type == "Complete" { status.completionTime = finish.lastTransitionTime }
            status.active = 0
            status.ready = 0
            status.terminating = 0
        }
        return status
    }

    // MARK: rules

    /// Complete or Failed True: nothing more to do but the TTL.
    public static func finishedCondition(_ status: JobStatus) -> JobCondition? {
        status.conditions.first { ($0.type == "Complete" || $0.type == "Failed") && $0.status == "True" }
    }

    static func interimCondition(_ status: JobStatus) -> JobCondition? {
        status.conditions.first { ($0.type == "FailureTarget" || $0.type == "SuccessCriteriaMet") && $0.status == "True" }
    }

    /// For OnFailure pods, restarts of pods still running count against backoffLimit.
    static func pastBackoffLimitOnFailure(_ spec: JobSpec, pods: [Pod]) -> Bool {
        guard spec.template?.spec?.restartPolicy == "OnFailure" else { return false }
        var restarts: Int32 = 0
        for pod in pods where pod.status?.phase == "Running" || pod.status?.phase == "Pending" {
            for status in (pod.status?.initContainerStatuses ?? []) + (pod.status?.containerStatuses ?? []) {
                restarts += status.restartCount ?? 0
            }
        }
        let limit = spec.backoffLimit ?? 6
        return limit == 0 ? restarts > 0 : restarts >= limit
    }

    /// Active pods of an Indexed job that must go: no valid index, an index already succeeded,
    /// or a second pod for one index (the one deleted first by PodRanking goes).
    static func misplacedIndexPods(_ active: [Pod], completed: CompletionIndexes, completions: Int) -> [Pod] {
        var misplaced: [Pod] = []
        var byIndex: [Int: [Pod]] = [:]
        for pod in active {
            guard let index = CompletionIndexes.of(pod), index < completions, !completed.contains(index) else {
                misplaced.append(pod)
                continue
            }
            byIndex[index, default: []].append(pod)
        }
        for index in byIndex.keys.sorted() {
            let pods = PodRanking.deletionOrder(byIndex[index]!)
            misplaced += pods.dropLast()
        }
        return misplaced
    }

    /// How long new pods must still wait after the latest failures (none since the last
    /// success: no wait), as Kubernetes' pod failure backoff: base × 2^(failures-1), capped.
    static func backoffRemaining(_ pods: [Pod], now: Time, settings: Settings) -> Duration? {
        let finished = pods.filter { $0.status?.phase == "Succeeded" || $0.status?.phase == "Failed" }
            .map { (pod: $0, at: finishTime($0)) }
            .sorted { $0.at < $1.at }
        var failures = 0
        var last: Time?
        for entry in finished {
            if entry.pod.status?.phase == "Succeeded" { failures = 0; last = nil } else { failures += 1; last = entry.at }
        }
        guard failures > 0, let last else { return nil }
        var delay = settings.podFailureBackoff
        for _ in 1..<failures where delay < settings.maxPodFailureBackoff { delay *= 2 }
        delay = min(delay, settings.maxPodFailureBackoff)
        let elapsed = Duration.seconds(now.seconds - last.seconds) + .nanoseconds(Int64(now.nanos) - Int64(last.nanos))
        return elapsed >= delay ? nil : delay - elapsed
    }

    /// When a pod finished: its last container's finishedAt, else its creation.
    static func finishTime(_ pod: Pod) -> Time {
        let ends = (pod.status?.containerStatuses ?? []).compactMap { $0.state?.terminated?.finishedAt }
        return ends.max() ?? pod.metadata?.creationTimestamp ?? Time()
    }

    /// The Suspended condition kept in step with spec.suspend; resuming restarts the clock of
    /// activeDeadlineSeconds, as Kubernetes does.
    static func suspendedCondition(_ conditions: [JobCondition], suspended: Bool, now: Time, startTime: inout Time?,
                                   events: inout [JobEvent]) -> [JobCondition] {
        var conditions = conditions
        let index = conditions.firstIndex { $0.type == "Suspended" }
        if suspended {
            if let index, conditions[index].status == "True" { return conditions }
            let suspendedNow = condition("Suspended", "JobSuspended", "Job suspended", now)
            if let index { conditions[index] = suspendedNow } else { conditions.append(suspendedNow) }
            events.append(JobEvent(type: "Normal", reason: "Suspended", message: "Job suspended"))
        } else if let index, conditions[index].status == "True" {
            var resumed = condition("Suspended", "JobResumed", "Job resumed", now)
            resumed.status = "False"
            conditions[index] = resumed
            startTime = now
            events.append(JobEvent(type: "Normal", reason: "Resumed", message: "Job resumed"))
        }
        return conditions
    }

    static func condition(_ type: String, _ reason: String, _ message: String, _ now: Time) -> JobCondition {
        JobCondition(type: type, status: "True", lastProbeTime: now, lastTransitionTime: now, reason: reason, message: message)
    }

    // MARK: pods

    static func uid(_ pod: Pod) -> String { pod.metadata?.uid ?? "" }

    static func hasFinalizer(_ pod: Pod) -> Bool { pod.metadata?.finalizers.contains(trackingFinalizer) == true }

    static func withFinalizer(_ pod: Pod) -> Pod {
        var pod = pod
        if !hasFinalizer(pod) { pod.metadata?.finalizers.append(trackingFinalizer) }
        return pod
    }

    static func isFinished(_ pod: Pod) -> Bool {
        pod.status?.phase == "Succeeded" || pod.status?.phase == "Failed"
    }

    static func isScheduled(_ pod: Pod) -> Bool { !(pod.spec?.nodeName ?? "").isEmpty }

    /// Failed, or deleted before it succeeded (unless replacements wait for Failed), as
    /// Kubernetes' isPodFailed: a deleted pod never reaches a phase to count otherwise.
    static func isFailed(_ pod: Pod, onlyReplaceFailed: Bool) -> Bool {
        if pod.status?.phase == "Failed" { return true }
        if onlyReplaceFailed { return false }
        return pod.metadata?.deletionTimestamp != nil && pod.status?.phase != "Succeeded"
    }
}
