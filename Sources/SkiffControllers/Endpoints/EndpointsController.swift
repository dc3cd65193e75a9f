/// EndpointsController: keeps every selecting Service's Endpoints equal to what
/// `EndpointsDecision` derives from its pods, as Kubernetes' endpoints controller. A pod's
/// change queues each Service in its namespace that selects it before or after the change; a
/// Service's deletion removes its Endpoints. Services without a selector are left to their
/// users, who write the Endpoints themselves.
///
/// Concurrency: Sendable; reconciles of different Services run at once. Must never: write
/// Endpoints from a stale read (updates carry the cached resourceVersion; a conflict retries),
/// or touch the Endpoints of a Service without a selector.
import SkiffAPI
import SkiffClient
import SkiffWire

public enum EndpointsControllers {
    public static let endpoints = ControllerKind(
        name: "endpoints", summary: "keeps each Service's Endpoints on its ready and not-ready pods") { context in
        EndpointsController(context: context)
    }
}

public final class EndpointsController: Controller {
    private let context: ControllerContext
    private let services: Informer<Service>
    private let pods: Informer<Pod>
    private let endpoints: Informer<Endpoints>

    public init(context: ControllerContext) {
        self.context = context
        services = context.informers.informer(Service.self)
        pods = context.informers.informer(Pod.self)
        endpoints = context.informers.informer(Endpoints.self)
        services.addEventHandler(onAdd: { context.enqueue($0) }, onUpdate: { _, new in context.enqueue(new) },
                                 onDelete: { context.enqueue($0) })
        pods.addEventHandler(onAdd: { [weak self] in self?.enqueueServices(selecting: [$0]) },
                             onUpdate: { [weak self] old, new in self?.enqueueServices(selecting: [old, new]) },
                             onDelete: { [weak self] in self?.enqueueServices(selecting: [$0]) })
        // Someone else changing or deleting managed Endpoints gets them put back.
        endpoints.addEventHandler(onUpdate: { _, new in context.enqueue(new) }, onDelete: { context.enqueue($0) })
    }

    public func allKeys() -> [ObjectKey] { services.indexer.keys() }

    /// Queues every Service in the pods' namespace whose selector matches any of them (a pod
    /// whose labels changed leaves its old Services and joins new ones).
    private func enqueueServices(selecting versions: [Pod]) {
        guard let namespace = versions.first?.metadata?.namespace else { return }
        for service in services.indexer.byIndex(.byNamespace, namespace) where EndpointsDecision.manages(service) {
            let selector = LabelQuery(matching: service.spec?.selector ?? [:])
            if versions.contains(where: { selector.matches($0.metadata?.labels ?? [:]) }) { context.enqueue(service) }
        }
    }

    public func reconcile(_ key: ObjectKey) async throws -> Reconciled {
        let existing = endpoints.indexer.get(key)
        guard let service = services.indexer.get(key) else {
            // The Service is gone: Endpoints this controller wrote go with it.
            if let existing, EndpointsDecision.isManaged(existing) { try await deleteEndpoints(key) }
            return .done
        }
        guard EndpointsDecision.manages(service) else { return .done }
        let desired = EndpointsDecision.desired(for: service, pods: pods.indexer.byIndex(.byNamespace, key.namespace))
        if let existing {
            guard !EndpointsDecision.isCurrent(existing, desired) else { return .done }
            var updated = existing
            updated.subsets = desired.subsets
            updated.metadata?.labels = desired.metadata?.labels ?? [:]
            _ = try await context.client.update(updated)
        } else {
            // An alreadyExists (a cache lagging its own write) is retried once the cache shows it.
            _ = try await context.client.create(desired)
        }
        return .done
    }

    private func deleteEndpoints(_ key: ObjectKey) async throws {
        do {
            _ = try await context.client.delete(Endpoints.self, name: key.name, namespace: key.namespace)
        } catch let error as APIError where error.reason == .notFound {
            // Gone already.
        }
    }
}
