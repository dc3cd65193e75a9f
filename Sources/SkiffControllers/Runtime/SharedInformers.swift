/// SharedInformers: one informer per object type for a controller process, as client-go's
/// SharedInformerFactory, so that two handlers on pods share one list, one watch and one cache.
///
/// Concurrency: Sendable. Informers are asked for (and their handlers added) before `run()`.
/// Must never: start an informer twice, or hand out two caches of one type.
import Logging
import SkiffClient
import SkiffWire
import Synchronization

/// Indexes controllers share.
extension IndexName {
    /// Objects by the uid of their controller (the ownerReference with controller: true).
    public static let byControllerUID: IndexName = "controller-uid"
    /// Objects by the uid of every owner.
    public static let byOwnerUID: IndexName = "owner-uid"
    /// Pods by spec.nodeName.
    public static let byNode: IndexName = "node"
}

public final class SharedInformers: Sendable {
    private struct Entry: @unchecked Sendable {
        var informer: any Sendable
        var run: @Sendable () async throws -> Void
        var waitForSync: @Sendable () async throws -> Void
    }

    private let client: APIClient
    private let clock: any Clock<Duration>
    private let resync: Duration?
    private let logger: Logger
    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])
    private let started = Atomic<Bool>(false)

    public init(client: APIClient, clock: any Clock<Duration> = ContinuousClock(), resync: Duration? = nil,
                logger: Logger = Logger(label: "skiff.controllers.informers")) {
        self.client = client
        self.clock = clock
        self.resync = resync
        self.logger = logger
    }

    /// The informer of `type`, made on first use with the standard indexes (namespace, controller
    /// uid, owner uid; node for pods).
    public func informer<O: APIObject>(_ type: O.Type, namespace: String? = nil,
                                       labelSelector: String? = nil) -> Informer<O> {
        precondition(!started.load(ordering: .relaxed), "ask for informers before SharedInformers.run()")
        return entries.withLock { entries in
            if let entry = entries[ObjectIdentifier(type)] { return entry.informer as! Informer<O> }
            var indexes: [IndexName: Informer<O>.IndexFunction] = [
                .byControllerUID: { object in OwnerRefs.controllerOf(object.metadata)?.uid.map { [$0] } ?? [] },
                .byOwnerUID: { object in (object.metadata?.ownerReferences ?? []).compactMap(\.uid) },
            ]
            if O.self == Pod.self {
                indexes[.byNode] = { object in ((object as? Pod)?.spec?.nodeName).map { [$0] } ?? [] }
            }
            let informer = Informer(client.listerWatcher(type, namespace: namespace, labelSelector: labelSelector),
                                    indexes: indexes, clock: clock, resyncPeriod: resync, logger: logger)
            entries[ObjectIdentifier(type)] = Entry(informer: informer, run: { try await informer.run() },
                                                    waitForSync: { try await informer.waitForSync() })
            return informer
        }
    }

    /// Runs every informer until the task is cancelled.
    public func run() async throws {
        started.store(true, ordering: .relaxed)
        let runs = entries.withLock { $0.values.map(\.run) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for run in runs { group.addTask { try await run() } }
            try await group.waitForAll()
        }
    }

    /// Returns once every informer has synced.
    public func waitForSync() async throws {
        let waits = entries.withLock { $0.values.map(\.waitForSync) }
        for wait in waits { try await wait() }
    }
}
