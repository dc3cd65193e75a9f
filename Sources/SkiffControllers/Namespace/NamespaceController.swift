/// NamespaceController: empties a namespace being deleted and then lets it go, as Kubernetes'
/// namespace controller: a deletecollection of every namespaced resource in it, a count of what
/// is left (objects with finalizers, pods still terminating on their nodes), the conditions
/// that say so, and once nothing is left the finalize step that removes the "kubernetes"
/// finalizer, after which the apiserver removes the namespace.
///
/// Concurrency: Sendable; reconciles of different namespaces run at once. Must never: finalize
/// a namespace whose content it has not seen gone.
import Logging
import SkiffAPI
import SkiffClient
import SkiffWire

public final class NamespaceController: Controller {
    private let context: ControllerContext
    private let namespaces: Informer<Namespace>
    /// How soon to look again while content remains (its deletion is under way elsewhere:
    /// kubelets, the garbage collector, other finalizers).
    private let recheck: Duration

    public init(context: ControllerContext) {
        self.context = context
        recheck = .milliseconds(Int64((Double(context.options["namespace-recheck-seconds"] ?? "") ?? 2) * 1000))
        namespaces = context.informers.informer(Namespace.self)
        namespaces.addEventHandler(onAdd: { namespace in
                                       if namespace.metadata?.deletionTimestamp != nil { context.enqueue(namespace) }
                                   },
                                   onUpdate: { _, new in
                                       if new.metadata?.deletionTimestamp != nil { context.enqueue(new) }
                                   })
    }

    public func allKeys() -> [ObjectKey] {
        namespaces.indexer.list().filter { $0.metadata?.deletionTimestamp != nil }.map(ObjectKey.init)
    }

    public func reconcile(_ key: ObjectKey) async throws -> Reconciled {
        guard let namespace = namespaces.indexer.get(key), namespace.metadata?.deletionTimestamp != nil,
              namespace.spec?.finalizers.contains(NamespaceDecision.finalizer) == true else { return .done }
        let content = await deleteContent(of: key.name)
        let decision = NamespaceDecision.decide(namespace, content: content, now: context.wallClock.now())
        if let conditions = decision.conditions {
            var updated = namespace
            updated.status = updated.status ?? NamespaceStatus(phase: "Terminating")
            updated.status!.conditions = conditions
            do {
                _ = try await context.client.updateStatus(updated)
            } catch let error as APIError where error.reason == .notFound {
                return .done
            }
        }
        if decision.finalize {
            var finalized = namespace
            finalized.spec = finalized.spec ?? NamespaceSpec()
            finalized.spec!.finalizers.removeAll { $0 == NamespaceDecision.finalizer }
            finalized.metadata?.resourceVersion = nil
            do {
                _ = try await context.client.finalize(finalized)
                context.logger.info("namespace emptied and finalized", metadata: ["namespace": "\(key.name)"])
            } catch let error as APIError where error.reason == .notFound {
                // Gone already.
            }
            return .done
        }
        if !content.failures.isEmpty {
            throw ReconcileError("deleting the content of namespace \(key.name) failed: \(content.failures)")
        }
        return .after(recheck)
    }

    /// Deletes every namespaced resource's objects in `namespace` and reports what is left.
    private func deleteContent(of namespace: String) async -> NamespaceContent {
        var content = NamespaceContent()
        for info in ResourceCatalog.all where info.namespaced {
            do {
                let left = try await Self.deleteAll(info.objectType, namespace: namespace, client: context.client)
                if !left.isEmpty { content.remaining[info.groupResource.description] = left.count }
                for meta in left {
                    for finalizer in meta.finalizers { content.finalizers[finalizer, default: 0] += 1 }
                }
            } catch {
                content.failures[info.groupResource.description] = "\(error)"
            }
        }
        return content
    }

    /// One deletecollection (when anything is there), then a list of what is still there:
    /// objects being deleted (finalizers, pods stopping on their nodes).
    private static func deleteAll<O: APIObject>(_ type: O.Type, namespace: String, client: APIClient) async throws -> [ObjectMeta] {
        let before = try await client.list(O.self, namespace: namespace, limit: 1)
        guard !before.items.isEmpty else { return [] }
        try await client.deleteCollection(O.self, namespace: namespace)
        return try await client.list(O.self, namespace: namespace).items.map { $0.metadata ?? ObjectMeta() }
    }
}

extension APIClient {
    /// PUT namespaces/NAME/finalize: replaces the namespace's spec.finalizers (the only way to
    /// change them); a namespace being deleted goes with its last finalizer.
    public func finalize(_ namespace: Namespace) async throws -> Namespace {
        var call = Request(verb: "update", version: "v1", resource: "namespaces", subresource: "finalize",
                           name: namespace.metadata?.name ?? "")
        call.body = try namespace.serializedBytes()
        call.bodyType = Namespace.protoName
        let reply = try await send(call)
        guard let bytes = reply.object else { throw APIError.internalError("the apiserver answered without an object") }
        return try Namespace(serializedBytes: bytes)
    }
}
