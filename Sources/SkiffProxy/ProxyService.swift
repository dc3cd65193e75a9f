/// ProxyService: the proxy's loop. Informers keep Services and Endpoints cached; every change
/// notes its object's key (namespace/name: a Service and its Endpoints share it) and marks the
/// node's rules dirty (one key on a WorkQueue, so a burst of changes while a sync runs becomes
/// one more sync, never a backlog). A sync derives again the rules of the noted services only
/// (`ServiceRules`, pure, one service at a time, kept in a `ServiceRuleCache`) and hands the
/// whole rule list to the data path, which applies only what changed. The first sync and the
/// periodic resync go over every service (re-deriving those whose objects' resourceVersions
/// moved) and check the data path; a failed sync is retried with the queue's back-off.
///
/// Concurrency: `run()` once, until the task is cancelled; syncs run one at a time on the loop.
/// Must never: sync before both caches have synced (a partial view would drop live services).
import Foundation
import Logging
import SkiffClient
import SkiffWire
import Synchronization

public final class ProxyService: Sendable {
    private let configuration: ProxyConfiguration
    private let dataPath: any ServiceDataPath
    private let services: Informer<Service>
    private let endpoints: Informer<Endpoints>
    private let queue = WorkQueue<String>()
    private let logger: Logger
    /// Keys changed since the last sync took them, and when the first of them came.
    private let changes = Changes()
    private static let key = "rules"

    public init(client: APIClient, configuration: ProxyConfiguration, dataPath: any ServiceDataPath, logger: Logger) {
        self.configuration = configuration
        self.dataPath = dataPath
        self.logger = logger
        services = Informer(client.listerWatcher(Service.self), logger: logger)
        endpoints = Informer(client.listerWatcher(Endpoints.self), logger: logger)
        let queue = self.queue
        let changes = self.changes
        let dirty: @Sendable (ObjectKey) -> Void = { key in
            changes.note(key)
            queue.add(Self.key)
        }
        services.addEventHandler(onAdd: { dirty(ObjectKey($0)) }, onUpdate: { _, new in dirty(ObjectKey(new)) },
                                 onDelete: { dirty(ObjectKey($0)) })
        endpoints.addEventHandler(onAdd: { dirty(ObjectKey($0)) }, onUpdate: { _, new in dirty(ObjectKey(new)) },
                                  onDelete: { dirty(ObjectKey($0)) })
    }

    /// The rules the caches call for right now, derived from scratch (the sync loop derives
    /// only what changed, to the same result).
    public func currentRules() -> [ServicePortRule] {
        ServiceRules.build(services: services.indexer.list(), endpoints: endpoints.indexer.list(),
                           serviceCIDR: configuration.serviceCIDR)
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await self.services.run() }
            group.addTask { try? await self.endpoints.run() }
            do {
                try await services.waitForSync()
                try await endpoints.waitForSync()
            } catch {
                group.cancelAll()
                queue.shutDown()
                return
            }
            logger.info("caches synced; proxying", metadata: [
                "services": "\(services.indexer.count)", "endpoints": "\(endpoints.indexer.count)",
                "mode": "\(configuration.mode.rawValue)",
            ])
            group.addTask { await self.resyncLoop() }
            queue.add(Self.key)
            await syncLoop()
            group.cancelAll()
        }
        queue.shutDown()
    }

    private func syncLoop() async {
        var cache = ServiceRuleCache(serviceCIDR: configuration.serviceCIDR)
        let cancelled = { Task.isCancelled }
        while !cancelled() {
            let next = await withTaskCancellationHandler {
                await queue.get()
            } onCancel: {
                queue.shutDown()
            }
            guard let key = next else { return }
            let start = ContinuousClock.now
            let change = changes.take()
            if change.everything {
                cache.refreshAll(services: services.indexer, endpoints: endpoints.indexer)
            } else {
                for key in change.keys {
                    cache.refresh(key, service: services.indexer.get(key), endpoints: endpoints.indexer.get(key))
                }
            }
            let rules = cache.rules
            let built = ContinuousClock.now
            do {
                let report = try await dataPath.sync(rules)
                logSync(report, change: change, start: start, built: built, rules: rules.count)
                queue.forget(key)
            } catch {
                logger.error("sync failed; retrying", metadata: ["error": "\(error)", "services": "\(rules.count)"])
                queue.addRateLimited(key)
            }
            queue.done(key)
            // Changes that arrive in this gap join the next sync rather than each making one.
            if configuration.minSyncInterval > .zero {
                try? await Task.sleep(for: configuration.minSyncInterval)
            }
        }
    }

    /// One debug line per sync (milliseconds): `rules` (deriving the changed services' rules),
    /// the data path's steps (`render`: the script; `nft`: nft run to its exit), `total`; and
    /// for a sync caused by changes, `queued` (first change to sync start) and `since-change`
    /// (first change to done), with the change's wall-clock time (`change-unix-us`) for
    /// matching against an API write made by another process.
    private func logSync(_ report: SyncReport, change: Changes.Taken, start: ContinuousClock.Instant,
                         built: ContinuousClock.Instant, rules: Int) {
        guard logger.logLevel <= .debug else { return }
        let end = ContinuousClock.now
        var metadata: Logger.Metadata = [
            "outcome": "\(report.outcome)", "rule-count": "\(rules)", "changed": "\(change.everything ? "all" : "\(change.keys.count)")",
            "rules": "\(Self.milliseconds(built - start))", "total": "\(Self.milliseconds(end - start))",
        ]
        for step in report.steps { metadata[step.name] = "\(Self.milliseconds(step.duration))" }
        for (key, value) in report.detail { metadata[key] = "\(value)" }
        if let first = change.first {
            metadata["queued"] = "\(Self.milliseconds(start - first.at))"
            metadata["since-change"] = "\(Self.milliseconds(end - first.at))"
            metadata["change-unix-us"] = "\(Int64(first.wall.timeIntervalSince1970 * 1_000_000))"
        }
        logger.debug("synced", metadata: metadata)
    }

    /// What happened since the last sync: the keys of changed Services and Endpoints, whether
    /// every service must be looked at (start, periodic resync), and when the first change came.
    final class Changes: Sendable {
        struct Taken {
            var keys: Set<ObjectKey> = []
            var everything = false
            var first: (at: ContinuousClock.Instant, wall: Date)?
        }

        private let pending = Mutex(Taken(everything: true))

        func note(_ key: ObjectKey) {
            pending.withLock { pending in
                pending.keys.insert(key)
                if pending.first == nil { pending.first = (ContinuousClock.now, Date()) }
            }
        }

        func noteEverything() { pending.withLock { $0.everything = true } }

        func take() -> Taken {
            pending.withLock { pending in
                defer { pending = Taken() }
                return pending
            }
        }
    }

    static func milliseconds(_ duration: Duration) -> String {
        let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return String(format: "%.2f", ms)
    }

    private func resyncLoop() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: configuration.syncPeriod) } catch { return }
            await dataPath.verify()
            changes.noteEverything()
            queue.add(Self.key)
        }
    }
}
