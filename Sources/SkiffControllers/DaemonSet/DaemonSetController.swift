/// DaemonSetController: keeps one pod of each DaemonSet on every node that should run it, as
/// Kubernetes' daemon set controller: it decides with `DaemonSetDecision` and applies the
/// decision through the API, with expectations so that a cache that has not yet seen its own
/// creations cannot make it create twice. A node added, relabelled or (un)tainted queues every
/// DaemonSet.
///
/// Pods are created unscheduled with required node affinity on their node (matchFields
/// metadata.name), and the scheduler binds them, as in Kubernetes.
///
/// Concurrency: Sendable; reconciles of different keys run at once. Must never: create or
/// delete pods while its earlier creations and deletions are still unseen (until they expire).
import Logging
import SkiffAPI
import SkiffClient
import SkiffWire

public enum DaemonSetControllers {
    public static let daemonSet = ControllerKind(
        name: "daemonset", summary: "runs a DaemonSet's pod on every eligible node") { context in
        DaemonSetController(context: context)
    }
}

public final class DaemonSetController: Controller {
    private let context: ControllerContext
    private let daemonSets: Informer<DaemonSet>
    private let pods: Informer<Pod>
    private let nodes: Informer<Node>
    private let expectations: Expectations

    public init(context: ControllerContext) {
        self.context = context
        daemonSets = context.informers.informer(DaemonSet.self)
        pods = context.informers.informer(Pod.self)
        nodes = context.informers.informer(Node.self)
        expectations = Expectations(clock: context.clock)
        daemonSets.addEventHandler(onAdd: { context.enqueue($0) },
                                   onUpdate: { _, new in context.enqueue(new) },
                                   onDelete: { [expectations] in
                                       expectations.forget(ObjectKey($0))
                                       context.enqueue($0)
                                   })
        pods.addEventHandler(onAdd: { [weak self] in self?.podAdded($0) },
                             onUpdate: { [weak self] in self?.podUpdated($0, $1) },
                             onDelete: { [weak self] in self?.podDeleted($0) })
        nodes.addEventHandler(onAdd: { [weak self] _ in self?.enqueueAll() },
                              onUpdate: { [weak self] old, new in
                                  if Self.placementMayDiffer(old, new) { self?.enqueueAll() }
                              },
                              onDelete: { [weak self] _ in self?.enqueueAll() })
    }

    public func allKeys() -> [ObjectKey] { daemonSets.indexer.keys() }

    // MARK: events

    private func enqueueAll() { for key in daemonSets.indexer.keys() { context.queue.add(key) } }

    /// Only what placement reads: labels, taints, unschedulable (heartbeats change nothing).
    static func placementMayDiffer(_ old: Node, _ new: Node) -> Bool {
        old.metadata?.labels != new.metadata?.labels || old.spec?.taints != new.spec?.taints
            || old.spec?.unschedulable != new.spec?.unschedulable
    }

    private func ownerKey(_ pod: Pod) -> ObjectKey? {
        guard let ref = OwnerRefs.controllerOf(pod.metadata), ref.kind == DaemonSet.kind, let name = ref.name else { return nil }
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
        if let oldKey, oldKey != newKey { context.queue.add(oldKey) }
        if let newKey {
            // A deletion is seen when it is marked: the pod may take its grace period to go.
            if old.metadata?.deletionTimestamp == nil, new.metadata?.deletionTimestamp != nil {
                expectations.observeDelete(newKey, uid: new.metadata?.uid ?? "")
            }
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

    private func enqueueSelecting(_ pod: Pod) {
        let labels = pod.metadata?.labels ?? [:]
        for daemonSet in daemonSets.indexer.byIndex(.byNamespace, pod.metadata?.namespace ?? "")
        where (try? LabelQuery(daemonSet.spec?.selector).matches(labels)) == true {
            context.enqueue(daemonSet)
        }
    }

    // MARK: reconcile

    public func reconcile(_ key: ObjectKey) async throws -> Reconciled {
        guard let daemonSet = daemonSets.indexer.get(key) else {
            expectations.forget(key)
            return .done
        }
        let now = context.wallClock.now()
        let decision: DaemonSetDecision
        do {
            decision = try DaemonSetDecision.decide(daemonSet, nodes: nodes.indexer.list(),
                                                    pods: pods.indexer.byIndex(.byNamespace, key.namespace), now: now,
                                                    manage: expectations.satisfied(key))
        } catch {
            context.events.warning(daemonSet, "InvalidSelector", "\(error)")
            return .done
        }
        let ref = OwnerRefs.controllerRef(to: daemonSet)
        for pod in decision.adopt { try await setOwner(pod) { $0.metadata = OwnerRefs.adopting($0.metadata, by: ref) } }
        for pod in decision.release { try await setOwner(pod) { $0.metadata = OwnerRefs.releasing($0.metadata, from: ref.uid) } }

        var failure: String?
        if !decision.delete.isEmpty || !decision.create.isEmpty {
            expectations.expect(key, adds: decision.create.count, deleting: decision.delete.compactMap(\.metadata?.uid))
        }
        if !decision.delete.isEmpty { failure = await deletePods(decision.delete, for: daemonSet, key: key) }
        if !decision.create.isEmpty {
            failure = await createPods(decision.create, for: daemonSet, key: key, ref: ref, hash: decision.hash) ?? failure
        }
        if decision.status != daemonSet.status {
            var updated = daemonSet
            updated.status = decision.status
            do {
                _ = try await context.client.updateStatus(updated)
            } catch let error as APIError where error.reason == .notFound {}
        }
        if let failure { throw ReconcileError(failure) }
        return decision.recheckAfter.map(Reconciled.after) ?? .done
    }

    /// The pod for `node`: the template with the revision labels, the daemon tolerations and
    /// required affinity on the node.
    static func pod(for daemonSet: DaemonSet, node: String, ref: OwnerReference, hash: String) -> Pod {
        var template = daemonSet.spec?.template ?? PodTemplateSpec()
        template.spec = DaemonNodes.bound(DaemonNodes.withDaemonTolerations(template.spec ?? PodSpec()), to: node)
        var labels = [DaemonSetDecision.hashLabel: hash]
        if let generation = daemonSet.metadata?.generation { labels[DaemonSetDecision.generationLabel] = String(generation) }
        return PodTemplates.pod(from: template, namespace: daemonSet.metadata?.namespace ?? "", owner: ref,
                                generateName: PodTemplates.generateNamePrefix(daemonSet.metadata?.name ?? ""),
                                extraLabels: labels)
    }

    private func setOwner(_ pod: Pod, _ change: (inout Pod) -> Void) async throws {
        var updated = pod
        change(&updated)
        do {
            _ = try await context.client.update(updated)
        } catch let error as APIError where error.reason == .notFound {}
    }

    /// Slow-start batches (1, 2, 4, ...), as Kubernetes does. Returns the first failure.
    private func createPods(_ nodes: [String], for daemonSet: DaemonSet, key: ObjectKey, ref: OwnerReference,
                            hash: String) async -> String? {
        var remaining = nodes[...], batch = 1
        while !remaining.isEmpty {
            let now = remaining.prefix(batch)
            remaining = remaining.dropFirst(now.count)
            let errors = await withTaskGroup(of: String?.self) { group in
                for node in now {
                    let pod = Self.pod(for: daemonSet, node: node, ref: ref, hash: hash)
                    group.addTask { [context] in
                        do {
                            let created = try await context.client.create(pod, namespace: key.namespace)
                            context.events.normal(daemonSet, "SuccessfulCreate", "Created pod: \(created.metadata?.name ?? "")")
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
                context.events.warning(daemonSet, "FailedCreate", "Error creating: \(error)")
                return error
            }
            batch *= 2
        }
        return nil
    }

    private func deletePods(_ victims: [Pod], for daemonSet: DaemonSet, key: ObjectKey) async -> String? {
        let errors = await withTaskGroup(of: String?.self) { group in
            for pod in victims {
                group.addTask { [context, expectations] in
                    let name = pod.metadata?.name ?? ""
                    do {
                        _ = try await context.client.delete(Pod.self, name: name, namespace: key.namespace)
                        context.events.normal(daemonSet, "SuccessfulDelete", "Deleted pod: \(name)")
                        return nil
                    } catch let error as APIError where error.reason == .notFound {
                        expectations.deletionFailed(key, uid: pod.metadata?.uid ?? "")
                        return nil
                    } catch {
                        expectations.deletionFailed(key, uid: pod.metadata?.uid ?? "")
                        context.events.warning(daemonSet, "FailedDelete", "Error deleting: \(error)")
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: [String]()) { if let error = $1 { $0.append(error) } }
        }
        return errors.first
    }
}
