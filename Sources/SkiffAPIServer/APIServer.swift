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
        publisher = try Publisher(component: configuration.component, options: Publisher.Options(directory: directory))
        server = try RequestServer(component: configuration.component, options: RequestServer.Options(directory: directory), logger: logger)
        let namespaces = NamespaceCache()
        let encryption = try configuration.encryptionKeyFile.map { try SecretEncryption(keyFile: $0) } ?? .none
        fanout = WatchFanout(store: store, storeEvents: configuration.storeEventsURL, publisher: publisher,
                             bookmarkInterval: configuration.bookmarkInterval, namespaces: namespaces,
                             encryption: encryption, logger: logger)
        let registry = ObjectRegistry(store: store, now: configuration.now, encryption: encryption)
        handler = APIHandler(registry: registry, access: AccessControl(namespaces: namespaces),
                             watches: WatchBacklog(store: store, announce: { [fanout] in fanout.announce($0) }, pageSize: 5000,
                                                   encryption: encryption),
                             allocator: ServiceAllocator(network: configuration.serviceNetwork, store: store))
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
                let reply = await handler.handle(request, token: nil)
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
}
