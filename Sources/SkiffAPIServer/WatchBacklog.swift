/// WatchBacklog: the request half of a watch. Watch events stream over pub/sub, which can lose
/// messages and cannot replay, so a watcher first subscribes to its topics, then asks here for
/// every event after the resourceVersion it has; the reply lists them (from the store's
/// history) and the revision it is complete up to. A watcher asks again after a gap or a
/// bookmark, so a lost message is always recovered. Too old a version is 410 Expired.
///
/// Concurrency: a Sendable value. Must never: claim completeness past what the store returned.
import SkiffAPI
import SkiffBus
import SkiffWire

struct WatchBacklog: Sendable {
    let store: any StoreBackend
    /// Publishes the sync bookmark that tells a new subscriber its subscription is live.
    let announce: @Sendable (ResourceInfo) -> Void
    let pageSize: Int64
    /// Opens sealed Secrets in the history, as the registry does for reads.
    var encryption: SecretEncryption = .none

    func backlog(_ request: Request, _ scope: RequestScope) async throws -> Response {
        let filter = try ListFilter(labelSelector: nil, fieldSelector: request.fieldSelector, resource: scope.resource)
        let node = filter.nodeName
        let rv = request.resourceVersion ?? ""
        // A watcher still waiting for its subscription to go live asks for a bookmark to see.
        defer { if request.allowWatchBookmarks == true { announce(scope.resource) } }
        guard let after = Int64(rv.isEmpty ? "0" : rv), after >= 0 else {
            throw APIError.badRequest("invalid resourceVersion \"\(rv)\" for a watch")
        }
        let prefix = StorageKey.prefix(scope.resource, namespace: scope.namespace)
        let reply: HistoryResponse
        do {
            if after == 0 {
                // "0" (or none) means "from now": only the current revision is needed.
                let now = try await store.range(RangeRequest(key: prefix, rangeEnd: ObjectRegistry.prefixEnd(prefix),
                                                             countOnly: true))
                return Response(code: 200, items: [], itemType: WatchEvent.protoName,
                                listMeta: ListMeta(resourceVersion: String(now.revision ?? 0)))
            }
            reply = try await store.history(HistoryRequest(afterRevision: after, key: prefix,
                                                           rangeEnd: ObjectRegistry.prefixEnd(prefix), limit: pageSize))
        } catch let error as BusError where error.code == .compacted {
            throw APIError.expired("too old resource version: \(after)")
        } catch let error as BusError where error.code == .futureRevision {
            throw APIError.timeout("Too large resource version: \(after)")
        } catch let error as BusError {
            throw APIError.unavailable("store unavailable: \(error.message)")
        }
        var items: [[UInt8]] = []
        var last = after
        for change in reply.events {
            guard let routed = WatchEvents.route(change, encryption: encryption) else { continue }
            last = max(last, routed.revision)
            if let node, !node.isEmpty, routed.nodeName != node { continue }
            items.append(try routed.event.serializedBytes())
        }
        let more = reply.more == true
        let complete = more ? last : max(last, reply.revision ?? last)
        return Response(code: 200, items: items, itemType: WatchEvent.protoName,
                        listMeta: ListMeta(resourceVersion: String(complete), continue: more ? "more" : nil))
    }
}
