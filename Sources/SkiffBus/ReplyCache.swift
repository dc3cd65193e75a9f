/// ReplyCache: at-most-once execution for request handlers over at-least-once delivery.
/// nanomsg's REQ resends a request when its connection drops (and on its resend timer), so
/// one request can arrive more than once. Keyed by (sender, requestId): the first arrival
/// runs the handler; a copy arriving while it runs waits for the same reply; a copy arriving
/// later is answered from a bounded cache of recent replies.
///
/// Concurrency: a value type; the server keeps it behind its mutex. Must never: let two
/// arrivals of one key both run the handler, or grow without bound (completed replies beyond
/// `capacity` are evicted oldest first; in-flight entries are bounded by server concurrency).
struct ReplyCache<Route> {
    struct Key: Hashable {
        var sender: String
        var requestId: String
    }

    enum Admission {
        /// First arrival: run the handler, then call `complete`.
        case run
        /// Already running: the route was queued and will get the reply.
        case joined
        /// Already answered: send these bytes.
        case answered([UInt8])
    }

    private enum Entry {
        case running(waiting: [Route])
        case done([UInt8])
    }

    let capacity: Int
    private var entries: [Key: Entry] = [:]
    /// Completed keys, oldest first, for eviction.
    private var completed: [Key] = []
    private var completedHead = 0

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    var runningCount: Int { entries.values.reduce(0) { if case .running = $1 { $0 + 1 } else { $0 } } }
    var waitingCount: Int { entries.values.reduce(0) { if case .running(let w) = $1 { $0 + w.count } else { $0 } } }
    var completedCount: Int { completed.count - completedHead }

    mutating func admit(_ key: Key, route: Route) -> Admission {
        switch entries[key] {
        case nil:
            entries[key] = .running(waiting: [])
            return .run
        case .running(var waiting):
            waiting.append(route)
            entries[key] = .running(waiting: waiting)
            return .joined
        case .done(let reply):
            return .answered(reply)
        }
    }

    /// Records the reply for `key` and returns the routes of copies that arrived meanwhile.
    mutating func complete(_ key: Key, reply: [UInt8]) -> [Route] {
        guard case .running(let waiting) = entries[key] else { return [] }
        if capacity == 0 {
            entries[key] = nil
            return waiting
        }
        entries[key] = .done(reply)
        completed.append(key)
        while completedCount > capacity {
            entries[completed[completedHead]] = nil
            completedHead += 1
        }
        if completedHead > 1024 && completedHead * 2 > completed.count {
            completed.removeFirst(completedHead)
            completedHead = 0
        }
        return waiting
    }

    /// Forgets a running key without a reply (the server is closing): its waiting routes.
    mutating func abandon(_ key: Key) -> [Route] {
        guard case .running(let waiting) = entries[key] else { return [] }
        entries[key] = nil
        return waiting
    }
}
