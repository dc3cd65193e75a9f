/// ServiceAccountController: every active namespace has a ServiceAccount named "default",
/// created when the namespace appears and again if someone deletes it, as Kubernetes'
/// serviceaccount controller.
///
/// Concurrency: Sendable. Must never: create into a namespace that is terminating.
import SkiffAPI
import SkiffClient
import SkiffWire

public enum ServiceAccountControllers {
    public static let serviceAccount = ControllerKind(
        name: "serviceaccount", summary: "gives every namespace its \"default\" ServiceAccount") { context in
        ServiceAccountController(context: context)
    }

    public static let token = ControllerKind(
        name: "serviceaccount-token", summary: "keeps a token Secret for every ServiceAccount") { context in
        ServiceAccountTokenController(context: context, issuer: TokenRequestIssuer(client: context.client))
    }
}

public final class ServiceAccountController: Controller {
    public static let defaultName = "default"
    private let context: ControllerContext
    private let namespaces: Informer<Namespace>
    private let accounts: Informer<ServiceAccount>

    public init(context: ControllerContext) {
        self.context = context
        namespaces = context.informers.informer(Namespace.self)
        accounts = context.informers.informer(ServiceAccount.self)
        namespaces.addEventHandler(onAdd: { context.enqueue($0) }, onUpdate: { _, new in context.enqueue(new) })
        accounts.addEventHandler(onDelete: { account in
            guard account.metadata?.name == Self.defaultName else { return }
            context.queue.add(ObjectKey(namespace: "", name: account.metadata?.namespace ?? ""))
        })
    }

    public func allKeys() -> [ObjectKey] { namespaces.indexer.keys() }

    public func reconcile(_ key: ObjectKey) async throws -> Reconciled {
        guard let namespace = namespaces.indexer.get(key), Self.needsDefault(namespace),
              accounts.indexer.get(ObjectKey(namespace: key.name, name: Self.defaultName)) == nil else { return .done }
        do {
            _ = try await context.client.create(ServiceAccount(metadata: ObjectMeta(name: Self.defaultName, namespace: key.name)))
        } catch let error as APIError where error.reason == .alreadyExists {
            // The cache lagged; it is there.
        } catch let error as APIError where error.code == 403 || error.reason == .notFound {
            // Terminating or gone meanwhile.
        }
        return .done
    }

    /// An active namespace (not being deleted) needs its default account.
    static func needsDefault(_ namespace: Namespace) -> Bool {
        namespace.metadata?.deletionTimestamp == nil && namespace.status?.phase != "Terminating"
    }
}
