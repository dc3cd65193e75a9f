/// WatchFanout: the push half of watches. It follows the store's change stream and republishes
/// every change as a WatchEvent on the apiserver's own publisher, under the topics of
/// WatchTopic, in revision order. The store stream is pub/sub too: a gap, a jump in revisions,
/// or the periodic check finds what was missed in the store's history before anything later
/// goes out, so the published stream is complete. Every resource gets a periodic BOOKMARK.
///
/// Concurrency: one task runs `run()`; inputs (store batches, gaps, ticks) are handled one at a
/// time, in order. `announce` may be called from any task. Must never: publish out of revision
/// order, or skip a revision's events.
import Logging
import Synchronization
import SkiffAPI
import SkiffBus
import SkiffWire

final class WatchFanout: Sendable {
    static let storeTopic = "store/events"

    private enum Input: Sendable {
        case batch(EventBatch)
        case gap
        case tick
    }

    private let store: any StoreBackend
    private let storeEvents: String
    private let publisher: Publisher
    private let bookmarkInterval: Duration
    private let logger: Logger
    private let namespaces: NamespaceCache
    private let policy: PolicyCache
    private let encryption: SecretEncryption
    /// The last revision whose events have all been published.
    private let position = Mutex<Int64>(0)

    init(store: any StoreBackend, storeEvents: String, publisher: Publisher, bookmarkInterval: Duration,
         namespaces: NamespaceCache, policy: PolicyCache = PolicyCache(), encryption: SecretEncryption = .none,
         logger: Logger) {
        self.namespaces = namespaces
        self.policy = policy
        self.encryption = encryption
        self.store = store
        self.storeEvents = storeEvents
        self.publisher = publisher
        self.bookmarkInterval = bookmarkInterval
        self.logger = logger
    }

    var publishedRevision: Int64 { position.withLock { $0 } }

    /// Follows the store until the task is cancelled.
    func run() async throws {
        let subscriber = try Subscriber()
        try subscriber.subscribe(prefix: Self.storeTopic)
        try subscriber.connect(to: storeEvents)
        defer { Task { await subscriber.close() } }
        // The store may still be starting: wait for it (a minute) rather than fail the apiserver.
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            do {
                let start = try await store.range(RangeRequest(key: StorageKey.root,
                                                               rangeEnd: ObjectRegistry.prefixEnd(StorageKey.root), countOnly: true))
                position.withLock { $0 = start.revision ?? 0 }
                break
            } catch {
                if ContinuousClock.now > deadline { throw error }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        let (inputs, feed) = AsyncStream<Input>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in subscriber.events {
                    switch event {
                    case .messages(let messages):
                        for message in messages {
                            if let batch = try? message.decode(EventBatch.self) { feed.yield(.batch(batch)) }
                        }
                    case .gap:
                        feed.yield(.gap)
                    }
                }
                feed.finish()
            }
            group.addTask { [bookmarkInterval] in
                while !Task.isCancelled {
                    try await Task.sleep(for: bookmarkInterval)
                    feed.yield(.tick)
                }
            }
            defer { group.cancelAll() }
            for await input in inputs {
                if Task.isCancelled { break }
                await handle(input)
            }
        }
    }

    private func handle(_ input: Input) async {
        switch input {
        case .batch(let batch):
            let first = batch.events.first?.kv?.modRevision ?? 0
            // A jump past the next revision may be a lost batch (or a revision with no events):
            // the history says which, before anything later is published.
            if first > publishedRevision + 1 {
                // Unless the history filled the hole, this batch must wait: publishing it would
                // move the position past events nobody has seen. The next batch or tick retries.
                guard await catchUp() else { return }
            }
            publish(batch.events)
        case .gap:
            _ = await catchUp()
        case .tick:
            _ = await catchUp()
            for resource in ResourceCatalog.all { announce(resource) }
        }
    }

    /// Publishes whatever the store has after the published position; false when the store
    /// could not be read (nothing after the position may be published then).
    private func catchUp() async -> Bool {
        while true {
            let after = publishedRevision
            do {
                let reply = try await store.history(HistoryRequest(afterRevision: after, key: StorageKey.root,
                                                                   rangeEnd: ObjectRegistry.prefixEnd(StorageKey.root),
                                                                   limit: 1000))
                publish(reply.events)
                guard reply.more == true else { return true }
            } catch let error as BusError where error.code == .compacted {
                // Events were compacted away before we saw them: watchers asking for them get
                // 410 from the backlog and relist; we carry on from the store's current state.
                logger.warning("watch fanout fell behind compaction", metadata: ["after": "\(after)"])
                if let now = try? await store.range(RangeRequest(key: StorageKey.root,
                                                                 rangeEnd: ObjectRegistry.prefixEnd(StorageKey.root),
                                                                 countOnly: true)) {
                    position.withLock { $0 = max($0, now.revision ?? 0) }
                }
                return true
            } catch {
                logger.warning("watch fanout cannot read the store's history", metadata: ["error": "\(error)"])
                return false
            }
        }
    }

    private func publish(_ events: [StoreEvent]) {
        // Events of one transaction share a revision: the position moves once all of them are out.
        let start = publishedRevision
        var reached = start
        for change in events {
            guard let routed = WatchEvents.route(change, encryption: encryption) else {
                if let revision = change.kv?.modRevision { reached = max(reached, revision) }
                continue
            }
            guard routed.revision > start else { continue }
            noteNamespace(routed, change)
            notePolicy(routed, change)
            do {
                let bytes = try routed.event.serializedBytes()
                for topic in routed.topics {
                    _ = try publisher.publish(type: WatchEvent.protoName, payload: bytes, topic: topic)
                }
            } catch {
                logger.error("cannot publish a watch event", metadata: ["key": "\(routed.key.key)", "error": "\(error)"])
            }
            reached = max(reached, routed.revision)
        }
        position.withLock { $0 = max($0, reached) }
    }

    /// Keeps admission's namespace cache current: every namespace change passes through here.
    private func noteNamespace(_ routed: WatchEvents.Routed, _ change: StoreEvent) {
        guard routed.key.resource.plural == "namespaces", routed.key.resource.group.isEmpty else { return }
        if routed.event.type == "DELETED" {
            namespaces.record(routed.key.name, .gone, at: routed.revision)
        } else if let value = change.kv?.value, let namespace = try? Namespace(serializedBytes: value) {
            namespaces.record(routed.key.name, NamespaceCache.state(of: namespace), at: routed.revision)
        }
    }

    /// Keeps the RBAC authorizer's cache current, the same way.
    private func notePolicy(_ routed: WatchEvents.Routed, _ change: StoreEvent) {
        guard PolicyCache.covers(routed.key.resource) else { return }
        if routed.event.type == "DELETED" {
            policy.observe(routed.key, nil, at: routed.revision)
        } else if let value = change.kv?.value, let object = try? routed.key.resource.objectType.init(serializedBytes: value) {
            policy.observe(routed.key, object, at: routed.revision)
        }
    }

    /// Publishes a BOOKMARK for `resource` at the published position.
    func announce(_ resource: ResourceInfo) {
        let event = WatchEvents.bookmark(resource, revision: publishedRevision)
        _ = try? publisher.publish(event, topic: WatchTopic.bookmarks(resource.groupResource))
    }
}
