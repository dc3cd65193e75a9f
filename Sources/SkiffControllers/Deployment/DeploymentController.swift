/// DeploymentController: rolls each Deployment's pod template out through ReplicaSets, as
/// Kubernetes' deployment controller. It decides with `DeploymentDecision` and applies the
/// decision: ReplicaSet releases, the new ReplicaSet, ReplicaSet updates and deletions, then the
/// Deployment's revision annotation and its status, each guarded by the resourceVersion it was
/// decided from, so a decision made from a stale cache fails with a conflict and is made again.
///
/// Concurrency: Sendable; reconciles of different keys run at once. Must never: write a
/// ReplicaSet or status computed from an object it did not read, or act on pods (the ReplicaSet
/// controller owns them).
import Logging
import SkiffAPI
import SkiffClient
import SkiffWire

public enum DeploymentControllers {
    public static let deployment = ControllerKind(
        name: "deployment", summary: "rolls Deployments out through ReplicaSets") { context in
        DeploymentController(context: context)
    }
}

public final class DeploymentController: Controller {
    private let context: ControllerContext
    private let deployments: Informer<Deployment>
    private let replicaSets: Informer<ReplicaSet>
    private let pods: Informer<Pod>

    public init(context: ControllerContext) {
        self.context = context
        deployments = context.informers.informer(Deployment.self)
        replicaSets = context.informers.informer(ReplicaSet.self)
        pods = context.informers.informer(Pod.self)
        deployments.addEventHandler(onAdd: { context.enqueue($0) },
                                    onUpdate: { _, new in context.enqueue(new) },
                                    onDelete: { context.enqueue($0) })
        replicaSets.addEventHandler(onAdd: { [weak self] in self?.replicaSetChanged(nil, $0) },
                                    onUpdate: { [weak self] in self?.replicaSetChanged($0, $1) },
                                    onDelete: { [weak self] in self?.replicaSetChanged(nil, $0) })
        // Recreate waits for old pods to be gone.
        pods.addEventHandler(onAdd: { _ in },
                             onUpdate: { [weak self] old, new in
                                 if old.status?.phase != new.status?.phase { self?.podChanged(new) }
                             },
                             onDelete: { [weak self] in self?.podChanged($0) })
    }

    public func allKeys() -> [ObjectKey] { deployments.indexer.keys() }

    // MARK: events

    private func replicaSetChanged(_ old: ReplicaSet?, _ new: ReplicaSet) {
        if let old, OwnerRefs.controllerOf(old.metadata)?.uid != OwnerRefs.controllerOf(new.metadata)?.uid {
            context.enqueueController(of: old, kind: Deployment.kind)
        }
        if OwnerRefs.controllerOf(new.metadata) != nil {
            context.enqueueController(of: new, kind: Deployment.kind)
            return
        }
        // An orphan may be adopted by any Deployment of its namespace that selects it.
        let labels = new.metadata?.labels ?? [:]
        for deployment in deployments.indexer.byIndex(.byNamespace, new.metadata?.namespace ?? "")
        where (try? LabelQuery(deployment.spec?.selector).matches(labels)) == true {
            context.enqueue(deployment)
        }
    }

    private func podChanged(_ pod: Pod) {
        guard let ref = OwnerRefs.controllerOf(pod.metadata), ref.kind == ReplicaSet.kind, let name = ref.name,
              let rs = replicaSets.indexer.get(ObjectKey(namespace: pod.metadata?.namespace ?? "", name: name))
        else { return }
        context.enqueueController(of: rs, kind: Deployment.kind)
    }

    // MARK: reconcile

    public func reconcile(_ key: ObjectKey) async throws -> Reconciled {
        guard let deployment = deployments.indexer.get(key) else { return .done }
        let decision: DeploymentDecision
        do {
            decision = try DeploymentDecision.decide(deployment, replicaSets: replicaSets.indexer.byIndex(.byNamespace, key.namespace),
                                                     pods: pods.indexer.byIndex(.byNamespace, key.namespace),
                                                     now: context.wallClock.now())
        } catch {
            // A spec validation should have refused: nothing to retry until the user changes it.
            context.events.warning(deployment, "InvalidSpec", "\(error)")
            return .done
        }
        let client = context.client
        for rs in decision.release {
            var released = rs
            released.metadata = OwnerRefs.releasing(rs.metadata, from: deployment.metadata?.uid)
            try await ignoringNotFound { _ = try await client.update(released) }
        }
        if let rs = decision.create {
            do {
                _ = try await client.create(rs, namespace: key.namespace)
            } catch let error as APIError where error.reason == .alreadyExists {
                // Our cache has not seen it yet (or a collision it will see): decide again.
                throw ReconcileError("replica set \(rs.metadata?.name ?? "") already exists: \(error.message)")
            } catch {
                context.events.warning(deployment, "FailedCreate",
                                       "Failed to create new replica set \"\(rs.metadata?.name ?? "")\": \(error)")
                throw error
            }
        }
        for rs in decision.update {
            try await ignoringNotFound { _ = try await client.update(rs) }
        }
        for rs in decision.delete {
            try await ignoringNotFound { _ = try await client.delete(ReplicaSet.self, name: rs.metadata?.name ?? "", namespace: key.namespace) }
        }
        var current = deployment
        if let annotations = decision.annotations {
            current.metadata?.annotations = annotations
            current.status = deployment.status
            guard let updated = try await orNilIfNotFound({ try await client.update(current) }) else { return .done }
            current = updated
        }
        if let status = decision.status {
            current.status = status
            _ = try await orNilIfNotFound { try await client.updateStatus(current) }
        }
        for event in decision.events {
            if event.type == "Warning" {
                context.events.warning(deployment, event.reason, event.message)
            } else {
                context.events.normal(deployment, event.reason, event.message)
            }
        }
        return decision.recheckAfter.map(Reconciled.after) ?? .done
    }

    private func ignoringNotFound(_ write: () async throws -> Void) async throws {
        do {
            try await write()
        } catch let error as APIError where error.reason == .notFound {
            // Deleted meanwhile: nothing left to change.
        }
    }

    private func orNilIfNotFound<T>(_ write: () async throws -> T) async throws -> T? {
        do {
            return try await write()
        } catch let error as APIError where error.reason == .notFound {
            return nil
        }
    }
}
