/// JobController: runs each Job's pods to completion, as Kubernetes' job controller: it decides
/// with `JobDecision` and applies the decision through the API, with expectations so that a
/// cache that has not yet seen its own creations, finalizer removals or status cannot make it
/// create or count again.
///
/// Writes, in order: claims and pod creations/deletions; the status recording newly finished
/// pods (uncountedTerminatedPods, interim conditions); the removal of their tracking finalizer;
/// the status with them counted (and Complete/Failed once all is counted). A crash between any
/// two steps leaves a state the next reconcile finishes without losing or repeating a count.
///
/// Concurrency: Sendable; reconciles of different keys run at once. Must never: decide from a
/// Job older than the status it last wrote, or remove a finalizer before the pod is recorded.
import Logging
import SkiffAPI
import SkiffClient
import SkiffWire
import Synchronization

public enum JobControllers {
    public static let job = ControllerKind(
        name: "job", summary: "runs Jobs' pods to completion (backoff, deadlines, indexes, TTL)") { context in
        JobController(context: context)
    }
}

public final class JobController: Controller {
    private let context: ControllerContext
    private let jobs: Informer<Job>
    private let pods: Informer<Pod>
    private let expectations: Expectations
    private let tracking = TrackingExpectations()
    private let settings: JobDecision.Settings

    public init(context: ControllerContext) {
        self.context = context
        jobs = context.informers.informer(Job.self)
        pods = context.informers.informer(Pod.self)
        expectations = Expectations(clock: context.clock)
        var settings = JobDecision.Settings()
        // `--option pod-failure-backoff=1s` (seconds): tests shorten Kubernetes' 10s.
        if let text = context.options["pod-failure-backoff"], let seconds = Double(text.replacingOccurrences(of: "s", with: "")) {
            settings.podFailureBackoff = .milliseconds(Int64(seconds * 1000))
        }
        self.settings = settings
        jobs.addEventHandler(onAdd: { context.enqueue($0) },
                             onUpdate: { _, new in context.enqueue(new) },
                             onDelete: { [expectations, tracking] in
                                 expectations.forget(ObjectKey($0))
                                 tracking.forget(ObjectKey($0))
                                 context.enqueue($0)
                             })
        pods.addEventHandler(onAdd: { [weak self] in self?.podAdded($0) },
                             onUpdate: { [weak self] in self?.podUpdated($0, $1) },
                             onDelete: { [weak self] in self?.podDeleted($0) })
    }

    public func allKeys() -> [ObjectKey] { jobs.indexer.keys() }

    // MARK: events

    private func jobKey(_ pod: Pod) -> ObjectKey? {
        guard let ref = OwnerRefs.controllerOf(pod.metadata), ref.kind == Job.kind, let name = ref.name else { return nil }
        return ObjectKey(namespace: pod.metadata?.namespace ?? "", name: name)
    }

    private func podAdded(_ pod: Pod) {
        if let key = jobKey(pod) {
            expectations.observeAdd(key)
            context.queue.add(key)
        } else {
            enqueueSelecting(pod)
        }
    }

    private func podUpdated(_ old: Pod, _ new: Pod) {
        let oldKey = jobKey(old), newKey = jobKey(new)
        if let oldKey, oldKey != newKey { context.queue.add(oldKey) }
        if let newKey {
            if !JobDecision.hasFinalizer(new) { tracking.observeRemoved(newKey, uid: new.metadata?.uid ?? "") }
            // A deletion is seen when it is marked: the pod may take its grace period to go.
            if old.metadata?.deletionTimestamp == nil, new.metadata?.deletionTimestamp != nil {
                expectations.observeDelete(newKey, uid: new.metadata?.uid ?? "")
            }
            context.queue.add(newKey)
        } else if OwnerRefs.controllerOf(new.metadata) == nil {
            enqueueSelecting(new)
        }
    }

    private func podDeleted(_ pod: Pod) {
        guard let key = jobKey(pod) else { return }
        expectations.observeDelete(key, uid: pod.metadata?.uid ?? "")
        tracking.observeRemoved(key, uid: pod.metadata?.uid ?? "")
        context.queue.add(key)
    }

    /// An orphan may be adopted by a Job with a manual selector that matches it.
    private func enqueueSelecting(_ pod: Pod) {
        let labels = pod.metadata?.labels ?? [:]
        for job in jobs.indexer.byIndex(.byNamespace, pod.metadata?.namespace ?? "")
        where (try? LabelQuery(job.spec?.selector).matches(labels)) == true {
            context.enqueue(job)
        }
    }

    // MARK: reconcile

    public func reconcile(_ key: ObjectKey) async throws -> Reconciled {
        guard let job = jobs.indexer.get(key) else {
            expectations.forget(key)
            tracking.forget(key)
            try await releaseOrphans(of: key)
            return .done
        }
        // Our own last status write not yet in the cache: its update event brings us back.
        if tracking.isStale(key, job) { return .done }
        let now = context.wallClock.now()
        let decision: JobDecision
        do {
            decision = try JobDecision.decide(job, pods: pods.indexer.byIndex(.byNamespace, key.namespace), now: now,
                                              manage: expectations.satisfied(key), expectedRemovals: tracking.expected(key),
                                              settings: settings)
        } catch {
            context.events.warning(job, "InvalidSelector", "\(error)")
            return .done
        }
        if decision.deleteJob {
            context.logger.info("deleting finished job after its TTL", metadata: ["job": "\(key)"])
            do {
                _ = try await context.client.delete(Job.self, name: key.name, namespace: key.namespace,
                                                    options: DeleteOptions(propagationPolicy: "Background"))
            } catch let error as APIError where error.reason == .notFound {}
            return .done
        }

        let ref = OwnerRefs.controllerRef(to: job)
        for pod in decision.adopt { try await adopt(pod, ref: ref) }
        for pod in decision.release { try await release(pod, from: ref.uid) }
        var failure: String?
        if !decision.delete.isEmpty {
            failure = await deletePods(decision.delete, untracked: decision.deleteUntracked, job: job, key: key)
        }
        if !decision.create.isEmpty {
            failure = await createPods(decision.create, job: job, key: key, ref: ref) ?? failure
        }

        // Record, then release, then count.
        var written = job
        if decision.status != job.status {
            guard let updated = try await writeStatus(job, decision.status, key: key) else { return .done }
            written = updated
        }
        var stillTracked = Set(decision.removeFinalizers.map(JobDecision.uid))
        if !decision.removeFinalizers.isEmpty {
            let removed = await removeFinalizers(decision.removeFinalizers, key: key)
            stillTracked.subtract(removed)
            if removed.count < decision.removeFinalizers.count { failure = failure ?? "removing finalizers failed" }
        }
        let settled = JobDecision.settle(decision.status, stillTracked: stillTracked, finish: decision.finish,
                                         running: decision.running)
        if settled != written.status {
            guard let updated = try await writeStatus(written, settled, key: key) else { return .done }
            if let finished = JobDecision.finishedCondition(settled), JobDecision.finishedCondition(job.status ?? JobStatus()) == nil {
                if finished.type == "Complete" {
                    context.events.normal(updated, "Completed", "Job completed")
                } else {
                    context.events.warning(updated, finished.reason ?? "Failed", finished.message ?? "Job failed")
                }
            }
        }
        for event in decision.events {
            if event.type == "Warning" { context.events.warning(job, event.reason, event.message) } else {
                context.events.normal(job, event.reason, event.message)
            }
        }
        if let failure { throw ReconcileError(failure) }
        return decision.recheckAfter.map { .after($0 + .milliseconds(100)) } ?? .done
    }

    // MARK: writes

    /// Writes `status` onto `job`; nil when the job is gone. A conflict throws (retry on a
    /// fresher cache).
    private func writeStatus(_ job: Job, _ status: JobStatus, key: ObjectKey) async throws -> Job? {
        var updated = job
        updated.status = status
        do {
            let written = try await context.client.updateStatus(updated)
            tracking.wrote(key, resourceVersion: written.metadata?.resourceVersion)
            return written
        } catch let error as APIError where error.reason == .notFound {
            return nil
        }
    }

    private func adopt(_ pod: Pod, ref: OwnerReference) async throws {
        try await updatePod(pod) { pod in
            pod.metadata = OwnerRefs.adopting(pod.metadata, by: ref)
            if !JobDecision.hasFinalizer(pod) { pod.metadata?.finalizers.append(JobDecision.trackingFinalizer) }
        }
    }

    private func release(_ pod: Pod, from uid: String?) async throws {
        try await updatePod(pod) { pod in
            pod.metadata = OwnerRefs.releasing(pod.metadata, from: uid)
            pod.metadata?.finalizers.removeAll { $0 == JobDecision.trackingFinalizer }
        }
    }

    /// Read-modify-write of a pod, retried on conflicts (the kubelet writes pods too). A pod
    /// that is gone needs nothing.
    private func updatePod(_ pod: Pod, _ change: (inout Pod) -> Void) async throws {
        var current = pod
        for attempt in 0..<5 {
            var updated = current
            change(&updated)
            if updated == current { return }
            do {
                _ = try await context.client.update(updated)
                return
            } catch let error as APIError where error.reason == .notFound {
                return
            } catch let error as APIError where error.reason == .conflict && attempt < 4 {
                do {
                    current = try await context.client.get(Pod.self, name: pod.metadata?.name ?? "",
                                                           namespace: pod.metadata?.namespace)
                } catch let error as APIError where error.reason == .notFound {
                    return
                }
            }
        }
    }

    /// Removes the tracking finalizer; the uids whose finalizer is gone (or whose pod is).
    private func removeFinalizers(_ victims: [Pod], key: ObjectKey) async -> Set<String> {
        tracking.expect(key, uids: victims.map(JobDecision.uid))
        return await withTaskGroup(of: String?.self) { group in
            for pod in victims {
                group.addTask { [self] in
                    do {
                        try await updatePod(pod) { $0.metadata?.finalizers.removeAll { $0 == JobDecision.trackingFinalizer } }
                        return JobDecision.uid(pod)
                    } catch {
                        tracking.observeRemoved(key, uid: JobDecision.uid(pod))
                        context.logger.info("removing the job-tracking finalizer failed",
                                            metadata: ["pod": "\(pod.metadata?.name ?? "")", "error": "\(error)"])
                        return nil
                    }
                }
            }
            return await group.reduce(into: Set<String>()) { if let uid = $1 { $0.insert(uid) } }
        }
    }

    /// Pods from the template, in slow-start batches (1, 2, 4, ...) as Kubernetes does.
    private func createPods(_ indexes: [Int?], job: Job, key: ObjectKey, ref: OwnerReference) async -> String? {
        expectations.expect(key, adds: indexes.count)
        var remaining = indexes[...], batch = 1
        while !remaining.isEmpty {
            let now = remaining.prefix(batch)
            remaining = remaining.dropFirst(now.count)
            let errors = await withTaskGroup(of: String?.self) { group in
                for index in now {
                    let pod = JobPods.pod(for: job, index: index, ref: ref)
                    group.addTask { [context] in
                        do {
                            let created = try await context.client.create(pod, namespace: key.namespace)
                            context.events.normal(job, "SuccessfulCreate", "Created pod: \(created.metadata?.name ?? "")")
                            return nil
                        } catch {
                            return "\(error)"
                        }
                    }
                }
                return await group.reduce(into: [String]()) { if let error = $1 { $0.append(error) } }
            }
            for _ in errors { expectations.creationFailed(key) }
            if let error = errors.first {
                for _ in remaining { expectations.creationFailed(key) }
                context.events.warning(job, "FailedCreate", "Error creating: \(error)")
                return error
            }
            batch *= 2
        }
        return nil
    }

    private func deletePods(_ victims: [Pod], untracked: Bool, job: Job, key: ObjectKey) async -> String? {
        expectations.expect(key, adds: 0, deleting: victims.compactMap(\.metadata?.uid))
        let errors = await withTaskGroup(of: String?.self) { group in
            for pod in victims {
                group.addTask { [self] in
                    let name = pod.metadata?.name ?? ""
                    do {
                        if untracked {
                            try await updatePod(pod) { $0.metadata?.finalizers.removeAll { $0 == JobDecision.trackingFinalizer } }
                        }
                        _ = try await context.client.delete(Pod.self, name: name, namespace: key.namespace)
                        context.events.normal(job, "SuccessfulDelete", "Deleted pod: \(name)")
                        return nil
                    } catch let error as APIError where error.reason == .notFound {
                        expectations.deletionFailed(key, uid: pod.metadata?.uid ?? "")
                        return nil
                    } catch {
                        expectations.deletionFailed(key, uid: pod.metadata?.uid ?? "")
                        context.events.warning(job, "FailedDelete", "Error deleting: \(error)")
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: [String]()) { if let error = $1 { $0.append(error) } }
        }
        return errors.first
    }

    /// A deleted Job's pods lose their tracking finalizer, so that they can go (Kubernetes'
    /// orphan-pod cleanup); the garbage collector deletes them.
    private func releaseOrphans(of key: ObjectKey) async throws {
        let orphans = pods.indexer.byIndex(.byNamespace, key.namespace).filter { pod in
            guard JobDecision.hasFinalizer(pod), let ref = OwnerRefs.controllerOf(pod.metadata),
                  ref.kind == Job.kind, ref.name == key.name else { return false }
            return true
        }
        var failed = false
        for pod in orphans {
            do {
                try await updatePod(pod) { $0.metadata?.finalizers.removeAll { $0 == JobDecision.trackingFinalizer } }
            } catch {
                failed = true
            }
        }
        if failed { throw ReconcileError("removing finalizers of a deleted job's pods failed") }
    }
}

/// The job-tracking finalizer removals sent but not yet seen in the cache (Kubernetes'
/// finalizerExpectations), and the resourceVersion of each Job's last status write, so that
/// a lagging cache can neither count a pod twice nor hide a count already made.
final class TrackingExpectations: Sendable {
    private struct Entry {
        var removing: Set<String> = []
        var statusVersion: Int64?
    }

    private let entries = Mutex<[ObjectKey: Entry]>([:])

    func expect(_ key: ObjectKey, uids: [String]) {
        entries.withLock { $0[key, default: Entry()].removing.formUnion(uids) }
    }

    func observeRemoved(_ key: ObjectKey, uid: String) {
        entries.withLock { _ = $0[key]?.removing.remove(uid) }
    }

    func expected(_ key: ObjectKey) -> Set<String> { entries.withLock { $0[key]?.removing ?? [] } }

    func wrote(_ key: ObjectKey, resourceVersion: String?) {
        guard let version = resourceVersion.flatMap({ Int64($0) }) else { return }
        entries.withLock { $0[key, default: Entry()].statusVersion = version }
    }

    /// The cached job predates our last status write.
    func isStale(_ key: ObjectKey, _ job: Job) -> Bool {
        guard let cached = job.metadata?.resourceVersion.flatMap({ Int64($0) }) else { return false }
        return entries.withLock { ($0[key]?.statusVersion ?? 0) > cached }
    }

    func forget(_ key: ObjectKey) { entries.withLock { _ = $0.removeValue(forKey: key) } }
}
