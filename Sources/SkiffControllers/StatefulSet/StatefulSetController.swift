/// StatefulSetController: gives each StatefulSet its pods NAME-0 .. NAME-(N-1), each with its own
/// claims, in order, as Kubernetes' StatefulSet controller: it decides with
/// `StatefulSetDecision` and applies here, revision first, then claims, then pods.
///
/// No expectations are needed: a pod's name is fixed, so a creation the cache has not shown yet
/// fails with AlreadyExists instead of making a second pod, and deletions carry the pod's uid as
/// a precondition, so a lagging cache cannot delete the pod that replaced it.
///
/// Concurrency: Sendable; reconciles of different keys run at once. Must never: delete a claim
/// the retention policy keeps, or write a status computed from a stale object (updates carry its
/// resourceVersion).
import Logging
import SkiffAPI
import SkiffClient
import SkiffWire

public enum StatefulSetControllers {
    public static let statefulSet = ControllerKind(
        name: "statefulset", summary: "runs StatefulSets' pods with stable names and per-pod claims") { context in
        StatefulSetController(context: context)
    }
}

public final class StatefulSetController: Controller {
    private let context: ControllerContext
    private let sets: Informer<StatefulSet>
    private let pods: Informer<Pod>
    private let claims: Informer<PersistentVolumeClaim>
    private let revisions: Informer<ControllerRevision>

    public init(context: ControllerContext) {
        self.context = context
        sets = context.informers.informer(StatefulSet.self)
        pods = context.informers.informer(Pod.self)
        claims = context.informers.informer(PersistentVolumeClaim.self)
        revisions = context.informers.informer(ControllerRevision.self)
        sets.addEventHandler(onAdd: { context.enqueue($0) },
                             onUpdate: { _, new in context.enqueue(new) },
                             onDelete: { context.enqueue($0) })
        pods.addEventHandler(onAdd: { [weak self] in self?.podChanged($0) },
                             onUpdate: { [weak self] old, new in
                                 if OwnerRefs.controllerOf(old.metadata)?.uid != OwnerRefs.controllerOf(new.metadata)?.uid {
                                     self?.podChanged(old)
                                 }
                                 self?.podChanged(new)
                             },
                             onDelete: { [weak self] in self?.podChanged($0) })
        // A claim deleted by hand is made again when its pod is.
        claims.addEventHandler(onDelete: { [weak self] claim in self?.enqueueSets(in: claim.metadata?.namespace ?? "") })
        revisions.addEventHandler(onDelete: { context.enqueueController(of: $0, kind: StatefulSet.kind) })
    }

    public func allKeys() -> [ObjectKey] { sets.indexer.keys() }

    private func podChanged(_ pod: Pod) {
        if OwnerRefs.controllerOf(pod.metadata) != nil {
            context.enqueueController(of: pod, kind: StatefulSet.kind)
        } else {
            // An orphan may be adopted by the set whose selector matches it.
            let labels = pod.metadata?.labels ?? [:]
            for set in sets.indexer.byIndex(.byNamespace, pod.metadata?.namespace ?? "")
            where (try? LabelQuery(set.spec?.selector).matches(labels)) == true {
                context.enqueue(set)
            }
        }
    }

    private func enqueueSets(in namespace: String) {
        for set in sets.indexer.byIndex(.byNamespace, namespace) { context.enqueue(set) }
    }

    // MARK: reconcile

    public func reconcile(_ key: ObjectKey) async throws -> Reconciled {
        guard let set = sets.indexer.get(key) else { return .done }
        let now = context.wallClock.now()
        let decision: StatefulSetDecision
        do {
            decision = try StatefulSetDecision.decide(
                set, pods: pods.indexer.byIndex(.byNamespace, key.namespace),
                claims: claims.indexer.byIndex(.byNamespace, key.namespace),
                revisions: revisions.indexer.byIndex(.byNamespace, key.namespace), now: now)
        } catch {
            context.events.warning(set, "InvalidSelector", "\(error)")
            return .done
        }
        if let waiting = decision.waiting {
            context.logger.debug("waiting", metadata: ["statefulset": "\(key)", "reason": "\(waiting)"])
        }
        let ref = OwnerRefs.controllerRef(to: set)
        for pod in decision.adopt { try await setOwner(pod) { OwnerRefs.adopting($0, by: ref) } }
        for pod in decision.release { try await setOwner(pod) { OwnerRefs.releasing($0, from: ref.uid) } }
        if let revision = decision.createRevision { try await create(revision, ignoringExisting: true) }

        var failure: String?
        for claim in decision.createClaims {
            do {
                try await create(claim, ignoringExisting: true)
                let pod = StatefulSetIdentity.podName(ofClaim: claim, in: set) ?? ""
                context.events.normal(set, "SuccessfulCreate",
                                      "create Claim \(claim.metadata?.name ?? "") Pod \(pod) in StatefulSet \(key.name) success")
            } catch {
                context.events.warning(set, "FailedCreate",
                                       "create Claim \(claim.metadata?.name ?? "") for StatefulSet \(key.name) failed error: \(error)")
                failure = failure ?? "\(error)"
            }
        }
        // A pod is never made without its claims.
        if failure == nil {
            for pod in decision.createPods {
                let name = pod.metadata?.name ?? ""
                do {
                    try await create(pod, ignoringExisting: true)
                    context.events.normal(set, "SuccessfulCreate", "create Pod \(name) in StatefulSet \(key.name) successful")
                } catch {
                    context.events.warning(set, "FailedCreate", "create Pod \(name) in StatefulSet \(key.name) failed error: \(error)")
                    failure = failure ?? "\(error)"
                }
            }
        }
        for pod in decision.deletePods {
            let name = pod.metadata?.name ?? ""
            do {
                try await delete(Pod.self, name: name, namespace: key.namespace, uid: pod.metadata?.uid)
                context.events.normal(set, "SuccessfulDelete", "delete Pod \(name) in StatefulSet \(key.name) successful")
            } catch {
                context.events.warning(set, "FailedDelete", "delete Pod \(name) in StatefulSet \(key.name) failed error: \(error)")
                failure = failure ?? "\(error)"
            }
        }
        for claim in decision.deleteClaims {
            let name = claim.metadata?.name ?? ""
            do {
                try await delete(PersistentVolumeClaim.self, name: name, namespace: key.namespace, uid: claim.metadata?.uid)
                context.events.normal(set, "SuccessfulDelete", "delete Claim \(name) in StatefulSet \(key.name) successful")
            } catch {
                failure = failure ?? "\(error)"
            }
        }
        for revision in decision.deleteRevisions {
            try? await delete(ControllerRevision.self, name: revision.metadata?.name ?? "", namespace: key.namespace,
                              uid: revision.metadata?.uid)
        }
        try await writeStatus(set, decision.status)
        if let failure { throw ReconcileError(failure) }
        return decision.recheckAfter.map(Reconciled.after) ?? .done
    }

    private func create<O: APIObject>(_ object: O, ignoringExisting: Bool) async throws {
        do {
            _ = try await context.client.create(object)
        } catch let error as APIError where ignoringExisting && error.reason == .alreadyExists {
            // Made by an earlier reconcile the cache has not shown yet.
        }
    }

    private func delete<O: APIObject>(_ type: O.Type, name: String, namespace: String, uid: String?) async throws {
        var options = DeleteOptions()
        options.preconditions = Preconditions(uid: uid)
        do {
            _ = try await context.client.delete(type, name: name, namespace: namespace, options: options)
        } catch let error as APIError where error.reason == .notFound || error.reason == .conflict {
            // Gone already, or already replaced by a newer object of that name.
        }
    }

    private func setOwner(_ pod: Pod, _ change: (ObjectMeta?) -> ObjectMeta) async throws {
        var updated = pod
        updated.metadata = change(pod.metadata)
        do {
            _ = try await context.client.update(updated)
        } catch let error as APIError where error.reason == .notFound {
        }
    }

    private func writeStatus(_ set: StatefulSet, _ status: StatefulSetStatus) async throws {
        guard status != set.status else { return }
        var updated = set
        updated.status = status
        do {
            _ = try await context.client.updateStatus(updated)
        } catch let error as APIError where error.reason == .notFound {
        }
    }
}
