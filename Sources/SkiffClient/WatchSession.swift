/// WatchSession: one watch, built from the apiserver's two halves. It subscribes to the
/// resource's topics first, then asks the apiserver for the backlog after its version; live
/// events newer than what it has are delivered, older ones dropped. The backlog is asked for
/// again whenever something may have been missed: once the subscription is first seen live,
/// after a gap in the pub/sub stream, and when a bookmark shows the server ahead. So no event is
/// lost and none is delivered twice, although pub/sub itself may drop messages.
///
/// Selectors are applied here; an object that stops matching is reported as deleted, as
/// Kubernetes' watch does.
///
/// Concurrency: one task per session drives everything in order. Must never: deliver events
/// out of resourceVersion order.
import SkiffAPI
import SkiffBus
import SkiffWire

struct WatchSession<O: APIObject> {
    private enum Input: Sendable {
        case event(WatchEvent)
        case gap
        case tick
    }

    let client: APIClient
    let info: ResourceInfo
    let namespace: String?
    let labelSelector: String?
    let fieldSelector: String?
    let labels: LabelQuery?
    let fields: FieldSelector?
    let output: AsyncThrowingStream<WatchChange<O>, any Error>.Continuation
    /// Everything up to this revision has been delivered.
    var delivered: Int64
    /// Keys currently matching the selectors, so a key that stops matching is reported deleted;
    /// nil when the consumer keeps its own cache (an informer) and every non-matching change
    /// is reported as a delete, which it ignores for keys it does not hold.
    var known: Set<String>?
    var bookmarked: Int64 = 0
    var live = false
    var lastMessage = ContinuousClock.now
    var lastBookmarkCatchUp = ContinuousClock.now - .seconds(10)
    /// No message (not even a bookmark) for this long ends a live watch.
    static var silenceLimit: Duration { .seconds(30) }

    private func wasMatching(_ key: String) -> Bool { known?.contains(key) ?? true }

    static func stream(client: APIClient, namespace: String?, labelSelector: String?, fieldSelector: String?,
                       after resourceVersion: String, known: Set<String>?) -> AsyncThrowingStream<WatchChange<O>, any Error> {
        let (stream, output) = AsyncThrowingStream<WatchChange<O>, any Error>.makeStream()
        let task = Task {
            do {
                let info = try APIClient.resource(O.self)
                let labels = try (labelSelector ?? "").isEmpty ? nil : LabelQuery.parse(labelSelector!)
                let fields = try (fieldSelector ?? "").isEmpty ? nil : FieldSelector.parse(fieldSelector!)
                var session = WatchSession(client: client, info: info, namespace: namespace,
                                           labelSelector: labelSelector, fieldSelector: fieldSelector,
                                           labels: labels, fields: fields, output: output,
                                           delivered: Int64(resourceVersion) ?? 0, known: known)
                try await session.run()
                output.finish()
            } catch is CancellationError {
                output.finish()
            } catch {
                output.finish(throwing: error)
            }
        }
        output.onTermination = { _ in task.cancel() }
        return stream
    }

    private mutating func run() async throws {
        guard let events = client.eventsURL else {
            throw APIError.unavailable("the apiserver at \(client.serverURL) has no registered event endpoint")
        }
        let subscriber = try Subscriber(options: Subscriber.Options(confidentialTopics: WatchTopic.confidentialPrefixes))
        defer { Task { await subscriber.close() } }
        // Pods pinned to one node come from that node's topic; everything else by namespace.
        let node = info.plural == "pods" && info.group.isEmpty ? fields?.requiredValue(for: "spec.nodeName") : nil
        if let node, !node.isEmpty {
            try subscriber.subscribe(prefix: WatchTopic.pods(onNode: node))
        } else {
            try subscriber.subscribe(prefix: WatchTopic.prefix(info.groupResource, namespace: info.namespaced ? namespace : nil))
        }
        try subscriber.subscribe(prefix: WatchTopic.bookmarks(info.groupResource))
        try subscriber.connect(to: events)

        let (inputs, feed) = AsyncStream<Input>.makeStream()
        let pump = Task {
            for await event in subscriber.events {
                switch event {
                case .messages(let messages):
                    for message in messages {
                        if let event = try? message.decode(WatchEvent.self) { feed.yield(.event(event)) }
                    }
                case .gap:
                    feed.yield(.gap)
                }
            }
            feed.finish()
        }
        // Ticks drive the handshake retries (fast) and, once live, the silence check (slow).
        func ticks(every period: Duration) -> Task<Void, Never> {
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: period)
                    feed.yield(.tick)
                }
            }
        }
        var ticker = ticks(every: .milliseconds(100))
        defer {
            pump.cancel()
            ticker.cancel()
        }

        // Until a first message proves the subscription live, each tick asks again (the
        // apiserver answers a backlog request that allows bookmarks with one on our topic).
        // Once live, the apiserver's periodic bookmarks keep arriving; a silence much longer
        // than their interval means the apiserver is gone: the stream ends, and the caller
        // (an informer) watches again.
        live = false
        let handshakeDeadline = ContinuousClock.now + .seconds(15)
        try await catchUp()
        for await input in inputs {
            try Task.checkCancellation()
            switch input {
            case .tick:
                guard !live else {
                    if ContinuousClock.now - lastMessage > Self.silenceLimit { return }
                    continue
                }
                if ContinuousClock.now > handshakeDeadline {
                    throw APIError.unavailable("no watch events from the apiserver at \(events)")
                }
                try await catchUp()
            case .gap:
                try await catchUp()
            case .event(let event):
                lastMessage = ContinuousClock.now
                if !live {
                    live = true
                    ticker.cancel()
                    ticker = ticks(every: .seconds(1))
                    try await catchUp()
                }
                try await receive(event)
            }
        }
    }

    /// Asks for every event after `delivered` and delivers it; the reply also says up to where
    /// the stream is now complete.
    private mutating func catchUp() async throws {
        while true {
            var call = try client.request("watch", O.self, namespace: namespace)
            call.resourceVersion = String(delivered)
            call.fieldSelector = fieldSelector
            call.allowWatchBookmarks = !live
            let reply = try await client.send(call)
            for bytes in reply.items {
                try await receive(try WatchEvent(serializedBytes: bytes))
            }
            let complete = Int64(reply.listMeta?.resourceVersion ?? "") ?? delivered
            if complete > delivered {
                delivered = complete
            }
            if delivered > bookmarked {
                bookmarked = delivered
                output.yield(.bookmark(resourceVersion: String(delivered)))
            }
            guard reply.listMeta?.continue == "more" else { return }
        }
    }

    private mutating func receive(_ event: WatchEvent) async throws {
        let revision = Int64(event.resourceVersion ?? "") ?? 0
        if event.type == "BOOKMARK" {
            // The server is ahead of what we have: the backlog says whether we missed anything
            // (at most once a second, however many bookmarks arrive).
            if revision > delivered, ContinuousClock.now - lastBookmarkCatchUp > .seconds(1) {
                lastBookmarkCatchUp = ContinuousClock.now
                try await catchUp()
            }
            return
        }
        guard revision > delivered else { return }
        if let namespace, !namespace.isEmpty, info.namespaced, event.namespace != namespace { return }
        guard event.objectType == O.protoName, let bytes = event.object else { return }
        let object = try O(serializedBytes: bytes)
        delivered = revision
        let key = ObjectKey(object).description
        let filtering = labels != nil || fields != nil
        let matches = (labels?.matches(object.metadata?.labels ?? [:]) ?? true) && (fields?.matches(object) ?? true)
        switch event.type {
        case "DELETED":
            if !filtering || matches || wasMatching(key) {
                known?.remove(key)
                output.yield(.deleted(object))
            }
        case "ADDED", "MODIFIED":
            if !filtering {
                output.yield(event.type == "ADDED" ? .added(object) : .modified(object))
            } else if matches {
                let isNew = known.map { !$0.contains(key) } ?? (event.type == "ADDED")
                known?.insert(key)
                output.yield(isNew ? .added(object) : .modified(object))
            } else if wasMatching(key) {
                known?.remove(key)
                output.yield(.deleted(object))
            }
        default:
            break
        }
    }
}

/// The ListerWatcher of one resource (optionally one namespace and selectors) for informers.
public struct APIListerWatcher<O: APIObject>: ListerWatcher {
    public typealias Object = O
    let client: APIClient
    let namespace: String?
    let labelSelector: String?
    let fieldSelector: String?

    public func list() async throws -> ListPage<O> {
        var items: [O] = []
        var token: String? = nil
        var version = ""
        repeat {
            let page = try await client.list(O.self, namespace: namespace, labelSelector: labelSelector,
                                             fieldSelector: fieldSelector, limit: 500, continue: token)
            items += page.items
            token = page.continueToken
            if version.isEmpty { version = page.resourceVersion }
        } while token != nil
        return ListPage(items: items, resourceVersion: version)
    }

    public func watch(after resourceVersion: String) -> AsyncThrowingStream<WatchChange<O>, any Error> {
        // Objects the informer holds are treated as known matches, so one that stops matching
        // is reported deleted; the informer ignores deletes of keys it does not hold.
        client.watch(O.self, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector,
                     after: resourceVersion, known: nil)
    }
}
