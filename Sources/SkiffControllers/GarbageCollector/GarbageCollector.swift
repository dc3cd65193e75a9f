/// GarbageCollector: deletes objects whose owners are gone, and carries out foreground and
/// orphan deletion, as Kubernetes' garbage collector. It watches every resource the apiserver
/// serves (but Events) through shared informers, keeps an `ObjectGraph` of owners and
/// dependents by uid, decides with `GarbageDecision` and applies through the API.
///
/// Keys are objects (see `ObjectIdentity.key`), so several instances split the work by object.
/// Every instance keeps the whole graph and queues the keys an event concerns (an object, its
/// dependents when it goes, its owners when they wait for it); each reconciles the ones it owns.
///
/// An owner the cache does not hold is read from the apiserver before anything is deleted (the
/// cache may lag); every delete carries the item's uid as a precondition, and every update the
/// resourceVersion just read.
///
/// Concurrency: Sendable; reconciles of different keys run at once. Must never: delete an
/// object that still has an owner it could not prove gone.
import Logging
import SkiffAPI
import SkiffClient
import SkiffWire

public enum LifecycleControllers {
    public static let garbageCollector = ControllerKind(
        name: "garbage-collector", summary: "deletes dependents of deleted owners (background, foreground, orphan)") { context in
        GarbageCollector(context: context)
    }

    public static let namespace = ControllerKind(
        name: "namespace", summary: "empties deleted namespaces, then lets them go") { context in
        NamespaceController(context: context)
    }

    public static let nodeLifecycle = ControllerKind(
        name: "node-lifecycle", summary: "marks silent nodes unreachable, taints them, evicts their pods") { context in
        NodeLifecycleController(context: context)
    }

}

public final class GarbageCollector: Controller {
    private let context: ControllerContext
    public let graph = ObjectGraph()
    private let resources: [GroupResource: ResourceAccess]

    /// Resources never collected: events (as Kubernetes ignores them) churn and own nothing.
    static let ignored: Set<GroupResource> = [GroupResource(group: "", resource: "events")]

    public init(context: ControllerContext) {
        self.context = context
        var resources: [GroupResource: ResourceAccess] = [:]
        let graph = self.graph
        let events = GraphEvents(graph: graph, queue: context.queue)
        for info in ResourceCatalog.all where !Self.ignored.contains(info.groupResource) {
            resources[info.groupResource] = ResourceAccess.make(info.objectType, info: info, context: context, events: events)
        }
        self.resources = resources
    }

    public func allKeys() -> [ObjectKey] { graph.candidateKeys() }

    public func reconcile(_ key: ObjectKey) async throws -> Reconciled {
        guard let item = graph.node(key: key) else { return .done }
        let dependents = graph.dependents(of: item.identity.uid)
        var owners: [String: OwnerState] = [:]
        if !item.deleting {
            for ref in item.owners { owners[ref.uid ?? ""] = try await ownerState(ref, of: item) }
        }
        let action = GarbageDecision.decide(item, owners: owners, dependents: dependents)
        switch action {
        case .nothing:
            return .done
        case .removeOwnerReferences(let uids):
            context.logger.info("removing references to gone owners", metadata: ["object": "\(item.identity)", "owners": "\(uids)"])
            try await modify(item.identity) { meta in meta.ownerReferences.removeAll { uids.contains($0.uid ?? "") } }
            return .done
        case .delete(let propagation):
            context.logger.info("deleting dependent", metadata: ["object": "\(item.identity)", "propagation": "\(propagation)"])
            try await delete(item.identity, propagation: propagation)
            return .done
        case .orphanDependents(let orphans):
            for orphan in orphans {
                try await modify(orphan) { meta in meta.ownerReferences.removeAll { $0.uid == item.identity.uid } }
            }
            try await modify(item.identity) { meta in meta.finalizers.removeAll { $0 == GarbageFinalizers.orphan } }
            return .done
        case .removeFinalizer(let finalizer):
            try await modify(item.identity) { meta in meta.finalizers.removeAll { $0 == finalizer } }
            return .done
        case .awaitDependents(_, let wake):
            for dependent in wake { context.queue.add(dependent.key) }
            // Their deletions queue this key again; the delay is only a safety net.
            return .after(.seconds(30))
        }
    }

    // MARK: owners

    /// The state of the owner `ref` names: from the graph when it holds that uid, otherwise
    /// from a live read (absent when not found or when the name now holds another uid).
    private func ownerState(_ ref: OwnerReference, of item: GraphNode) async throws -> OwnerState {
        let uid = ref.uid ?? ""
        if let owner = graph.node(uid: uid) { return owner.deletingDependents ? .deletingDependents : .present }
        guard let info = ResourceCatalog.resource(apiVersion: ref.apiVersion ?? "", kind: ref.kind ?? ""),
              let access = resources[info.groupResource] else {
            context.logger.debug("owner of an unknown kind", metadata: ["object": "\(item.identity)", "kind": "\(ref.kind ?? "")"])
            return .unknown
        }
        // A cluster-scoped object cannot be owned by a namespaced one, as Kubernetes rules.
        if info.namespaced && item.identity.namespace.isEmpty { return .absent }
        do {
            let meta = try await access.get(ref.name ?? "", info.namespaced ? item.identity.namespace : "")
            guard meta.uid == uid else { return .absent }
            let node = GraphNode(info.groupResource, meta)
            return node.deletingDependents ? .deletingDependents : .present
        } catch let error as APIError where error.reason == .notFound {
            return .absent
        }
    }

    // MARK: writes

    private func access(_ identity: ObjectIdentity) throws -> ResourceAccess {
        guard let access = resources[identity.resource] else { throw ReconcileError("no access to \(identity.resource)") }
        return access
    }

    /// Reads the object, changes its metadata and writes it back at the version read; nothing
    /// when it is gone or is now another object of the same name.
    private func modify(_ identity: ObjectIdentity, _ change: @Sendable (inout ObjectMeta) -> Void) async throws {
        let access = try access(identity)
        do {
            try await access.modify(identity.name, identity.namespace, identity.uid, change)
        } catch let error as APIError where error.reason == .notFound {
            // Gone already.
        }
    }

    private func delete(_ identity: ObjectIdentity, propagation: String) async throws {
        let access = try access(identity)
        let options = DeleteOptions(preconditions: Preconditions(uid: identity.uid), propagationPolicy: propagation)
        do {
            try await access.delete(identity.name, identity.namespace, options)
        } catch let error as APIError where error.reason == .notFound {
            // Gone already.
        } catch let error as APIError where error.reason == .conflict && error.message.contains("UID") {
            // The name now holds another object: this one is gone.
        }
    }
}

/// The informer events of every kind, turned into graph changes and queued keys.
struct GraphEvents: Sendable {
    let graph: ObjectGraph
    let queue: WorkQueue<ObjectKey>

    func added(_ node: GraphNode) {
        graph.upsert(node)
        if node.isCandidate { queue.add(node.identity.key) }
    }

    func updated(_ node: GraphNode) {
        let old = graph.upsert(node)
        guard old != node else { return }
        if node.isCandidate || (old?.isCandidate ?? false) { queue.add(node.identity.key) }
        // Foreground or orphan deletion began: its dependents have something to do.
        if (node.deletingDependents && old?.deletingDependents != true)
            || (node.orphaningDependents && old?.orphaningDependents != true) {
            for dependent in graph.dependents(of: node.identity.uid) { queue.add(dependent.identity.key) }
        }
        // An owner waiting for this object looks again when it drops or unblocks the reference.
        for ref in old?.owners ?? [] where !node.owners.contains(ref) { wakeIfWaiting(ref.uid ?? "") }
    }

    func deleted(_ uid: String) {
        guard let old = graph.remove(uid: uid) else { return }
        for dependent in graph.dependents(of: uid) { queue.add(dependent.identity.key) }
        for ref in old.owners { wakeIfWaiting(ref.uid ?? "") }
    }

    private func wakeIfWaiting(_ uid: String) {
        if let owner = graph.node(uid: uid), owner.deleting { queue.add(owner.identity.key) }
    }
}

/// One resource's informer and API calls, without its Swift type, so the collector treats every
/// kind alike.
struct ResourceAccess: Sendable {
    let info: ResourceInfo
    let get: @Sendable (_ name: String, _ namespace: String) async throws -> ObjectMeta
    let modify: @Sendable (_ name: String, _ namespace: String, _ uid: String,
                           _ change: @Sendable (inout ObjectMeta) -> Void) async throws -> Void
    let delete: @Sendable (_ name: String, _ namespace: String, DeleteOptions) async throws -> Void

    static func make<O: APIObject>(_ type: O.Type, info: ResourceInfo, context: ControllerContext,
                                   events: GraphEvents) -> ResourceAccess {
        let resource = info.groupResource
        let informer = context.informers.informer(O.self)
        informer.addEventHandler(onAdd: { events.added(GraphNode(resource, $0.metadata)) },
                                 onUpdate: { _, new in events.updated(GraphNode(resource, new.metadata)) },
                                 onDelete: { events.deleted($0.metadata?.uid ?? "") })
        let client = context.client
        return ResourceAccess(
            info: info,
            get: { name, namespace in
                try await client.get(O.self, name: name, namespace: namespace).metadata ?? ObjectMeta()
            },
            modify: { name, namespace, uid, change in
                var object = try await client.get(O.self, name: name, namespace: namespace)
                guard var meta = object.metadata, meta.uid == uid else { return }
                let before = meta
                change(&meta)
                guard meta != before else { return }
                object.metadata = meta
                _ = try await client.update(object)
            },
            delete: { name, namespace, options in
                _ = try await client.delete(O.self, name: name, namespace: namespace, options: options)
            })
    }
}
