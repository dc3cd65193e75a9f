/// Informer: keeps an `Indexer` in step with the API and tells handlers what changed, as client-go's
/// shared informer (reflector, DeltaFIFO and processor in one loop):
/// - list, fill the cache, then watch from the list's resourceVersion, applying changes in order;
///   bookmarks only move the version a restarted watch resumes from;
/// - a watch that ends cleanly is reopened from the last version seen; one that fails (`.expired`
///   or anything else) leads to a relist after a backoff on the injected clock, and the relist is
///   diffed against the cache so handlers see adds, updates and deletes missed while disconnected
///   (a deleted object is reported as last seen);
/// - an update whose resourceVersion did not change is not delivered, except by periodic resync,
///   which re-delivers `onUpdate(object, object)` for every cached object; nor is a delete of an
///   object the cache does not hold.
///
/// Concurrency: Sendable. Handlers are added before `run()` and are called one at a time, in
/// order, after the cache reflects the change; they must be quick (enqueue a key) and must not
/// block. Must never: call handlers concurrently, or report a version it has not applied.
import Logging
import SkiffAPI
import SkiffWire
import Synchronization

public final class Informer<Object: APIObject>: Sendable {
    public typealias IndexFunction = Indexer<Object>.IndexFunction

    private struct EventHandler: Sendable {
        var onAdd: @Sendable (Object) -> Void
        var onUpdate: @Sendable (_ old: Object, _ new: Object) -> Void
        var onDelete: @Sendable (Object) -> Void
    }

    private struct State {
        var handlers: [EventHandler] = []
        var started = false
        var synced = false
        var syncWaiters = Waiters<Bool>()
        var lastSyncResourceVersion = ""
    }

    /// The cache; read it from handlers and sync handlers.
    public let indexer: Indexer<Object>
    private let source: any ListerWatcher<Object>
    private let timeline: Timeline
    private let resyncPeriod: Duration?
    private let relistBackoff: (base: Duration, cap: Duration)
    private let logger: Logger
    private let state = Mutex(State())
    /// Held while a change goes into the cache and out to the handlers: one delivery at a time.
    private let delivery = Mutex(())

    /// - Parameters:
    ///   - resyncPeriod: how often to re-deliver every cached object; nil for never.
    ///   - relistBackoff: the wait before relisting after a failure, doubling with each
    ///     consecutive failure up to the cap (client-go's reflector: 800 ms to 30 s).
    public init(_ source: some ListerWatcher<Object>,
                indexes: [IndexName: IndexFunction] = [:],
                clock: any Clock<Duration> = ContinuousClock(),
                resyncPeriod: Duration? = nil,
                relistBackoff: (base: Duration, cap: Duration) = (.milliseconds(800), .seconds(30)),
                logger: Logger = Logger(label: "skiff.informer")) {
        self.source = source
        indexer = Indexer(indexes: indexes)
        timeline = Timeline(clock)
        self.resyncPeriod = resyncPeriod
        self.relistBackoff = relistBackoff
        var logger = logger
        logger[metadataKey: "kind"] = "\(Object.kind)"
        self.logger = logger
    }

    /// Registers handlers; all must be registered before `run()`.
    public func addEventHandler(onAdd: @escaping @Sendable (Object) -> Void = { _ in },
                                onUpdate: @escaping @Sendable (_ old: Object, _ new: Object) -> Void = { _, _ in },
                                onDelete: @escaping @Sendable (Object) -> Void = { _ in }) {
        state.withLock { state in
            precondition(!state.started, "add an Informer's handlers before it runs")
            state.handlers.append(EventHandler(onAdd: onAdd, onUpdate: onUpdate, onDelete: onDelete))
        }
    }

    /// True once the first list is in the cache and its adds went to the handlers.
    public var hasSynced: Bool { state.withLock { $0.synced } }

    /// The version the cache is at: the last list, change or bookmark applied.
    public var lastSyncResourceVersion: String { state.withLock { $0.lastSyncResourceVersion } }

    /// Returns once `hasSynced`; throws CancellationError if the calling task is cancelled first.
    public func waitForSync() async throws {
        let synced: Bool = await withWaiter { id, continuation in
            state.withLock { state in
                if state.synced {
                    continuation.resume(returning: true)
                } else if Task.isCancelled {
                    continuation.resume(returning: false)
                } else {
                    state.syncWaiters.add(id, continuation)
                }
            }
        } onCancel: { id in
            state.withLock { $0.syncWaiters.remove(id) }?.resume(returning: false)
        }
        if !synced { throw CancellationError() }
    }

    /// Lists, watches and resyncs until the task is cancelled, then returns. Runs once per Informer.
    public func run() async throws {
        let handlers = state.withLock { state in
            precondition(!state.started, "an Informer runs once")
            state.started = true
            return state.handlers
        }
        await withTaskGroup(of: Void.self) { group in
            if let resyncPeriod {
                group.addTask { await self.resyncEvery(resyncPeriod, handlers) }
            }
            await listAndWatch(handlers)
            group.cancelAll()
        }
    }

    // MARK: the loop

    private func listAndWatch(_ handlers: [EventHandler]) async {
        var needsList = true
        var version = ""
        // Consecutive failures; a watch that delivers anything proves the connection healthy.
        var failures = 0
        while !Task.isCancelled {
            do {
                if needsList {
                    let page = try await source.list()
                    replace(with: page.items, handlers)
                    version = page.resourceVersion
                    markSynced(at: version)
                    needsList = false
                }
                for try await change in source.watch(after: version) {
                    apply(change, handlers)
                    if let changed = change.resourceVersion, !changed.isEmpty {
                        version = changed
                        state.withLock { $0.lastSyncResourceVersion = changed }
                    }
                    failures = 0
                }
            } catch {
                if Task.isCancelled { return }
                let delay = ExponentialBackoffRateLimiter<Int>.delay(
                    afterFailures: failures, base: relistBackoff.base, cap: relistBackoff.cap)
                failures += 1
                needsList = true
                // 410 is routine (the version was compacted); anything else is worth a warning.
                let expired = (error as? APIError)?.reason == .expired
                logger.log(level: expired ? .info : .warning, "relisting after a failed list or watch", metadata: [
                    "error": "\(error)", "resourceVersion": "\(version)", "backoff": "\(delay)",
                ])
                do { try await timeline.sleep(for: delay) } catch { return }
            }
        }
    }

    private func resyncEvery(_ period: Duration, _ handlers: [EventHandler]) async {
        while true {
            do { try await timeline.sleep(for: period) } catch { return }
            guard hasSynced else { continue }
            delivery.withLock { _ in
                for object in indexer.list() {
                    for handler in handlers { handler.onUpdate(object, object) }
                }
            }
        }
    }

    private func markSynced(at version: String) {
        let waiters = state.withLock { state in
            state.synced = true
            state.lastSyncResourceVersion = version
            return state.syncWaiters.removeAll()
        }
        for waiter in waiters { waiter.resume(returning: true) }
    }

    // MARK: delivery

    /// A relist: the cache becomes the list, and the handlers hear the difference.
    private func replace(with items: [Object], _ handlers: [EventHandler]) {
        delivery.withLock { _ in
            let previous = indexer.replace(with: items)
            for item in items { notify(old: previous[ObjectKey(item)], new: item, handlers) }
            let listed = Set(items.map { ObjectKey($0) })
            for (key, gone) in previous.sorted(by: { $0.key < $1.key }) where !listed.contains(key) {
                for handler in handlers { handler.onDelete(gone) }
            }
        }
    }

    private func apply(_ change: WatchChange<Object>, _ handlers: [EventHandler]) {
        delivery.withLock { _ in
            switch change {
            case .added(let object), .modified(let object):
                notify(old: indexer.upsert(object), new: object, handlers)
            case .deleted(let object):
                // As client-go's DeltaFIFO: a delete of something never held is not news (a
                // selector-filtered watch reports objects leaving the selection this way).
                guard indexer.delete(ObjectKey(object)) != nil else { return }
                for handler in handlers { handler.onDelete(object) }
            case .bookmark:
                break
            }
        }
    }

    private func notify(old: Object?, new: Object, _ handlers: [EventHandler]) {
        guard let old else {
            for handler in handlers { handler.onAdd(new) }
            return
        }
        let version = new.metadata?.resourceVersion ?? ""
        if !version.isEmpty && version == old.metadata?.resourceVersion { return }
        for handler in handlers { handler.onUpdate(old, new) }
    }
}

extension WatchChange {
    /// The version this change brings the watcher to.
    var resourceVersion: String? {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object): object.metadata?.resourceVersion
        case .bookmark(let version): version
        }
    }
}
