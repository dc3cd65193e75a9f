/// The apiserver: Kubernetes API semantics over the bus. Requests (`skiff.api.v1.Request`)
/// arrive on a req/rep endpoint and are answered with a `Response`; watch events go out on a
/// publisher under WatchTopic's topics. Several apiservers may run against one store: each
/// follows the store's change stream and publishes it on its own publisher.
///
///     clients --Request/Response--> APIHandler --> ObjectRegistry --Range/Txn--> store
///     watchers <--WatchEvent-- WatchFanout <--EventBatch-- store
///
/// Concurrency: requests are handled concurrently; the fanout runs as one task. `run()` serves
/// until the task is cancelled or `close()` is called. Must never: answer a write before the
/// store has acknowledged it.
import Foundation
import Logging
import SkiffAPI
import SkiffBus
import SkiffStoreClient
import SkiffWire

public final class APIServer: Sendable {
    public struct Configuration: Sendable {
        /// The store's request endpoint and its change stream.
        public var storeURL: String
        public var storeEventsURL: String
        /// Where this apiserver serves requests, and publishes watch events.
        public var listenURL: String
        public var eventsURL: String
        /// Registers both endpoints in RUN/endpoints when set.
        public var runDirectory: String?
        public var component: String
        /// How often every resource gets a BOOKMARK, and the store is checked for missed events.
        public var bookmarkInterval: Duration
        public var storeTimeout: Duration
        public var now: @Sendable () -> Time
        /// Where Services get their virtual IPs and node ports.
        public var serviceNetwork: ServiceNetwork
        /// The key file that Secrets are encrypted at rest with (nil: stored as they are).
        public var encryptionKeyFile: String?
        /// The static token file of users and components (`token,user,uid,"groups"` lines).
        public var tokenAuthFile: String?
        /// The P-256 key (PEM) ServiceAccount tokens are signed and verified with (nil: no
        /// ServiceAccount tokens are issued or accepted).
        public var serviceAccountKeyFile: String?
        /// The credential the store requires in every request (its --client-token-file).
        public var storeToken: SharedToken?

        public init(storeURL: String, storeEventsURL: String, listenURL: String, eventsURL: String,
                    runDirectory: String? = nil, component: String = "apiserver",
                    bookmarkInterval: Duration = .seconds(5), storeTimeout: Duration = .seconds(10),
                    now: @escaping @Sendable () -> Time = { Time(Date()) }, serviceNetwork: ServiceNetwork = ServiceNetwork()) {
            self.storeURL = storeURL
            self.storeEventsURL = storeEventsURL
            self.listenURL = listenURL
            self.eventsURL = eventsURL
            self.runDirectory = runDirectory
            self.component = component
            self.bookmarkInterval = bookmarkInterval
            self.storeTimeout = storeTimeout
            self.now = now
            self.serviceNetwork = serviceNetwork
        }
    }

    public let configuration: Configuration
    private let storeClient: StoreClient
    private let server: RequestServer
    private let publisher: Publisher
    private let fanout: WatchFanout
    private let handler: APIHandler
    private let logger: Logger

    public init(_ configuration: Configuration, logger: Logger = Logger(label: "skiff.apiserver")) throws {
        self.configuration = configuration
        self.logger = logger
        let directory = configuration.runDirectory.map { EndpointDirectory(runDirectory: $0) }
        storeClient = try StoreClient(connectingTo: configuration.storeURL, component: configuration.component,
                                      options: RequestClient.Options(token: configuration.storeToken?.value),
                                      timeout: configuration.storeTimeout)
        let store = storeClient
        publisher = try Publisher(component: configuration.component, options: Publisher.Options(
            directory: directory, confidential: try ConfidentialTopics.fromEnvironment(prefixes: WatchTopic.confidentialPrefixes)))
        server = try RequestServer(component: configuration.component, options: RequestServer.Options(directory: directory), logger: logger)
        let namespaces = NamespaceCache()
        let policy = PolicyCache()
        let encryption = try configuration.encryptionKeyFile.map { try SecretEncryption(keyFile: $0) } ?? .none
        fanout = WatchFanout(store: store, storeEvents: configuration.storeEventsURL, publisher: publisher,
                             bookmarkInterval: configuration.bookmarkInterval, namespaces: namespaces, policy: policy,
                             encryption: encryption, logger: logger)
        let registry = ObjectRegistry(store: store, now: configuration.now, encryption: encryption)
        let signer = try configuration.serviceAccountKeyFile.map { try ServiceAccountTokens(keyFile: $0) }
        let authentication = Authentication(
            tokens: try configuration.tokenAuthFile.map { try StaticTokens.load(path: $0) } ?? StaticTokens(),
            serviceAccounts: signer, now: { Int64(Date().timeIntervalSince1970) },
            uidAt: { key in try await registry.read(key)?.object.metadata?.uid }, logger: logger)
        let access = AccessControl(namespaces: namespaces, authentication: authentication, policy: policy,
                                   nodes: NodeAccess(registry: registry))
        handler = APIHandler(registry: registry, access: access,
                             watches: WatchBacklog(store: store, announce: { [fanout] in fanout.announce($0) }, pageSize: 5000,
                                                   encryption: encryption),
                             allocator: ServiceAllocator(network: configuration.serviceNetwork, store: store),
                             serviceAccountTokens: signer)
        server.handle(Request.self) { [handler] request, context in
            await handler.handle(request, token: context.token)
        }
    }

    /// Binds, creates the system namespaces, and serves until cancelled or closed.
    public func run() async throws {
        try publisher.bind(to: configuration.eventsURL)
        try server.bind(to: configuration.listenURL)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [fanout] in try await fanout.run() }
            group.addTask { [server] in await server.run() }
            try await ensureSystemNamespaces()
            try await ensureBootstrapPolicy()
            try await loadPolicy()
            logger.info("serving", metadata: ["listen": "\(configuration.listenURL)", "events": "\(configuration.eventsURL)"])
            try await group.next()
            group.cancelAll()
        }
    }

    public func close() async {
        await server.close()
        publisher.close()
        await storeClient.close()
    }

    /// default, kube-system, kube-public and kube-node-lease exist from the start, as in Kubernetes.
    private func ensureSystemNamespaces() async throws {
        for name in AccessControl.systemNamespaces {
            var request = Request(verb: "create", version: "v1", resource: "namespaces")
            request.body = try Namespace(metadata: ObjectMeta(name: name)).serializedBytes()
            request.bodyType = Namespace.protoName
            let deadline = ContinuousClock.now + .seconds(60)
            while true {
                let reply = await handler.handle(request, as: Authentication.apiserverUser)
                let code = reply.code ?? 500
                if code < 300 || code == 409 { break }
                // The store may still be starting: retry until it answers.
                guard code == 503, ContinuousClock.now < deadline else {
                    throw APIError(status: reply.status ?? Status(message: "cannot create namespace \(name)"))
                }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// The default ClusterRoles and ClusterRoleBindings: created when missing, and brought back
    /// to their defaults when they carry the autoupdate annotation "true" (as Kubernetes does at
    /// every start); an administrator who sets it to "false" keeps their edits.
    private func ensureBootstrapPolicy() async throws {
        let objects: [any APIObject] = BootstrapPolicy.clusterRoles + BootstrapPolicy.clusterRoleBindings
        for object in objects {
            let info = ResourceCatalog.resource(for: type(of: object))!
            let name = object.metadata?.name ?? ""
            var get = Request(verb: "get", group: info.group, version: info.version, resource: info.plural)
            get.name = name
            let current = await handler.handle(get, as: Authentication.apiserverUser)
            var write = Request(verb: "create", group: info.group, version: info.version, resource: info.plural)
            if current.code == 200, let bytes = current.object {
                let existing = try info.objectType.init(serializedBytes: bytes)
                guard existing.metadata?.annotations[BootstrapPolicy.autoupdateAnnotation] == "true",
                      !BootstrapPolicy.matches(existing, object) else { continue }
                var updated = object
                updated.metadata?.resourceVersion = existing.metadata?.resourceVersion
                write = Request(verb: "update", group: info.group, version: info.version, resource: info.plural)
                write.name = name
                write.body = try updated.serializedBytes()
            } else {
                write.body = try object.serializedBytes()
            }
            write.bodyType = info.objectType.protoName
            let reply = await handler.handle(write, as: Authentication.apiserverUser)
            // 409: another apiserver wrote it first; it has the same defaults.
            guard let code = reply.code, code < 300 || code == 409 else {
                throw APIError(status: reply.status ?? Status(message: "cannot write \(info.plural) \(name)"))
            }
        }
    }

    /// Reads every RBAC object once the fanout follows the store, so that nothing written
    /// between the read and the fanout's start is missed (the cache keeps the newest revision).
    private func loadPolicy() async throws {
        while fanout.publishedRevision == 0 { try await Task.sleep(for: .milliseconds(20)) }
        var loaded: [(StorageKey, any APIObject, Int64)] = []
        for info in PolicyCache.resources {
            var list = Request(verb: "list", group: info.group, version: info.version, resource: info.plural)
            list.limit = 0
            let reply = await handler.handle(list, as: Authentication.apiserverUser)
            guard reply.code == 200 else {
                throw APIError(status: reply.status ?? Status(message: "cannot list \(info.plural)"))
            }
            for bytes in reply.items {
                let object = try info.objectType.init(serializedBytes: bytes)
                let key = StorageKey(resource: info, namespace: object.metadata?.namespace ?? "", name: object.metadata?.name ?? "")
                loaded.append((key, object, Int64(object.metadata?.resourceVersion ?? "") ?? 0))
            }
        }
        handler.access.policy.load(loaded)
    }
}
