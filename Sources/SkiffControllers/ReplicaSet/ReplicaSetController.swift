/// ReplicaSetController: keeps each ReplicaSet's (or ReplicationController's) pods at
/// spec.replicas, as Kubernetes' replica set controller: it decides with `ReplicaSetDecision`
/// and applies the decision through the API, with expectations so that a cache that has not yet
/// seen its own creations cannot make it create again.
///
/// Concurrency: Sendable; reconciles of different keys run at once. Must never: create or
/// delete pods while its earlier creations and deletions are still unseen (until they expire),
/// or write a status computed from a stale object (updates carry its resourceVersion).
import Logging
import SkiffAPI
import SkiffClient
import SkiffWire

public enum ReplicaControllers {
    public static let replicaSet = ControllerKind(
        name: "replicaset", summary: "keeps ReplicaSets' pods at spec.replicas") { context in
        ReplicaSetController<ReplicaSet>(context: context)
    }

    public static let replicationController = ControllerKind(
        name: "replicationcontroller", summary: "keeps ReplicationControllers' pods at spec.replicas") { context in
        ReplicaSetController<ReplicationController>(context: context)
    }
}

public final class ReplicaSetController<Owner: ReplicatedObject>: Controller {
    private let context: ControllerContext
    private let owners: Informer<Owner>
    private let pods: Informer<Pod>
    private let expectations: Expectations

    public init(context: ControllerContext) {
        self.context = context
        owners = context.informers.informer(Owner.self)
        pods = context.informers.informer(Pod.self)
        expectations = Expectations(clock: context.clock)
        owners.addEventHandler(onAdd: { context.enqueue($0) },
                               onUpdate: { _, new in context.enqueue(new) },
                               onDelete: { [expectations] in
                                   expectations.forget(ObjectKey($0))
                                   context.enqueue($0)
                               })
        pods.addEventHandler(onAdd: { [weak self] in self?.podAdded($0) },
                             onUpdate: { [weak self] in self?.podUpdated($0, $1) },
                             onDelete: { [weak self] in self?.podDeleted($0) })
    }

    public func allKeys() -> [ObjectKey] { owners.indexer.keys() }

    // MARK: events

    private func ownerKey(_ pod: Pod) -> ObjectKey? {
        guard let ref = OwnerRefs.controllerOf(pod.metadata), ref.kind == Owner.kind, let name = ref.name else { return nil }
        return ObjectKey(namespace: pod.metadata?.namespace ?? "", name: name)
    }

    private func podAdded(_ pod: Pod) {
        if let key = ownerKey(pod) {
            expectations.observeAdd(key)
            context.queue.add(key)
        } else if OwnerRefs.controllerOf(pod.metadata) == nil {
            enqueueSelecting(pod)
        }
    }

    private func podUpdated(_ old: Pod, _ new: Pod) {
        let oldKey = ownerKey(old), newKey = ownerKey(new)
        // A pod marked for deletion is as good as gone for counting (it may take its grace
        // period to disappear), as Kubernetes' updatePod treats it.
        if new.metadata?.deletionTimestamp != nil, old.metadata?.deletionTimestamp == nil, let newKey {
            expectations.observeDelete(newKey, uid: new.metadata?.uid ?? "")
        }
        if let oldKey, oldKey != newKey { context.queue.add(oldKey) }
        if let newKey {
            context.queue.add(newKey)
        } else if OwnerRefs.controllerOf(new.metadata) == nil,
                  old.metadata?.labels != new.metadata?.labels || OwnerRefs.controllerOf(old.metadata) != nil {
            enqueueSelecting(new)
        }
    }

    private func podDeleted(_ pod: Pod) {
        guard let key = ownerKey(pod) else { return }
        expectations.observeDelete(key, uid: pod.metadata?.uid ?? "")
        context.queue.add(key)
    }

    /// An orphan may be adopted by any owner in its namespace whose selector matches it.
    private func enqueueSelecting(_ pod: Pod) {
        let labels = pod.metadata?.labels ?? [:]
        for owner in owners.indexer.byIndex(.byNamespace, pod.metadata?.namespace ?? "")
        where (try? owner.podSelector().matches(labels)) == true {
            context.enqueue(owner)
        }
    }

    // MARK: reconcile

    public func reconcile(_ key: ObjectKey) async throws -> Reconciled {
        guard let owner = owners.indexer.get(key) else {
            expectations.forget(key)
            return .done
        }
        let now = context.wallClock.now()
        let candidates = pods.indexer.byIndex(.byNamespace, key.namespace)
        let manage = expectations.satisfied(key)
        var decision: ReplicaSetDecision<Owner>
        do {
            decision = try ReplicaSetDecision.decide(owner, pods: candidates, now: now, manage: manage)
        } catch {
            context.events.warning(owner, "InvalidSelector", "\(error)")
            return .done
        }
        let ref = OwnerRefs.controllerRef(to: owner)
        for pod in decision.adopt { try await setOwner(pod, adopting: ref) }
        for pod in decision.release { try await setOwner(pod, releasing: ref.uid) }

        var failure: String?
        if decision.create > 0 {
            failure = await createPods(decision.create, for: owner, key: key, ref: ref)
            if failure == nil { decision.counts.failure = nil }
        }
        if !decision.delete.isEmpty {
            failure = await deletePods(decision.delete, for: owner, key: key) ?? failure
        }
        if let failure { decision.counts.failure = failure }
        try await writeStatus(owner, decision.counts, now: now)
        if failure != nil { throw ReconcileError(failure!) }
        return decision.recheckAfter.map(Reconciled.after) ?? .done
    }

    private func setOwner(_ pod: Pod, adopting ref: OwnerReference? = nil, releasing uid: String? = nil) async throws {
        var updated = pod
        if let ref { updated.metadata = OwnerRefs.adopting(pod.metadata, by: ref) }
        if let uid { updated.metadata = OwnerRefs.releasing(pod.metadata, from: uid) }
        do {
            _ = try await context.client.update(updated)
        } catch let error as APIError where error.reason == .notFound {
            // Gone meanwhile: nothing to claim.
        }
    }

    /// Creates `count` pods in slow-start batches (1, 2, 4, ...), as Kubernetes does, so a
    /// template that cannot be created fails once rather than `count` times. Returns the first
    /// failure's message.
    private func createPods(_ count: Int, for owner: Owner, key: ObjectKey, ref: OwnerReference) async -> String? {
        expectations.expect(key, adds: count)
        let pod = PodTemplates.pod(from: owner.podTemplate, namespace: key.namespace, owner: ref,
                                   generateName: PodTemplates.generateNamePrefix(key.name))
        var remaining = count, batch = 1
        while remaining > 0 {
            let size = min(batch, remaining)
            let errors = await withTaskGroup(of: String?.self) { group in
                for _ in 0..<size {
                    group.addTask { [context] in
                        do {
                            let created = try await context.client.create(pod, namespace: key.namespace)
                            context.events.normal(owner, "SuccessfulCreate", "Created pod: \(created.metadata?.name ?? "")")
                            return nil
                        } catch {
                            return "\(error)"
                        }
                    }
                }
                return await group.reduce(into: [String]()) { if let error = $1 { $0.append(error) } }
            }
            for _ in errors { expectations.creationFailed(key) }
            remaining -= size
            if let error = errors.first {
                // The batches not tried will not be seen either.
                for _ in 0..<remaining { expectations.creationFailed(key) }
                context.events.warning(owner, "FailedCreate", "Error creating: \(error)")
                return error
            }
            batch *= 2
        }
        return nil
    }

    private func deletePods(_ victims: [Pod], for owner: Owner, key: ObjectKey) async -> String? {
        expectations.expect(key, adds: 0, deleting: victims.compactMap(\.metadata?.uid))
        let errors = await withTaskGroup(of: String?.self) { group in
            for pod in victims {
                group.addTask { [context, expectations] in
                    let name = pod.metadata?.name ?? ""
                    do {
                        _ = try await context.client.delete(Pod.self, name: name, namespace: key.namespace)
                        context.events.normal(owner, "SuccessfulDelete", "Deleted pod: \(name)")
                        return nil
                    } catch let error as APIError where error.reason == .notFound {
                        expectations.deletionFailed(key, uid: pod.metadata?.uid ?? "")
                        return nil
                    } catch {
                        expectations.deletionFailed(key, uid: pod.metadata?.uid ?? "")
                        context.events.warning(owner, "FailedDelete", "Error deleting: \(error)")
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: [String]()) { if let error = $1 { $0.append(error) } }
        }
        return errors.first
    }

    private func writeStatus(_ owner: Owner, _ counts: ReplicaCounts, now: Time) async throws {
        guard counts != owner.counts else { return }
        let updated = owner.withCounts(counts, at: now)
        do {
            _ = try await context.client.updateStatus(updated)
        } catch let error as APIError where error.reason == .notFound {
            // Deleted meanwhile.
        }
    }
}

/// A reconcile that did part of its work and must be retried with backoff.
public struct ReconcileError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
