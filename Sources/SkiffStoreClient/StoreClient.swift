/// SkiffStoreClient: typed calls to the store (skiff-store) over the bus, for the apiserver.
/// The store keeps etcd's model: every write takes the next global revision, a transaction's
/// writes share one, and each key carries createRevision, modRevision and version.
///
/// Changes are not read through this client: subscribe to `StoreClient.eventsTopic`
/// ("store/events") on the store's events endpoint. Each message is an `EventBatch` holding
/// the events of one group commit (or a consecutive part of one), in revision order, key order
/// within a revision. Pub/sub is lossy: track the publisher's sequence numbers (`Subscriber`
/// reports `.gap`) and refill from `history(afterRevision:)` after a gap or a reconnect,
/// resuming after the last revision seen. A `Compacted` error there means "too old: list
/// again", like Kubernetes' "410 Gone".
///
/// Errors are `BusError`s; the store's own codes are `.invalidArgument`, `.compacted`,
/// `.futureRevision` and `.storageFailed` (the write did not happen), besides the bus's
/// (`.timeout`, `.closed`, ...). Requests are at-least-once on the wire: a call in flight when
/// the store restarts may be applied by the new incarnation and also time out here. Guard
/// writes with compares (as `create`/`update`/`delete` do) so a repeat cannot apply twice.
///
/// Concurrency: a Sendable class; any number of tasks may call at once. `close()` must be
/// called. Must never: import the store's implementation (clients meet it only on the bus).
import SkiffBus
import SkiffWire

extension BusError.Code {
    /// The store refused the request as malformed (empty key, negative revision, ...).
    public static let invalidArgument = BusError.Code("InvalidArgument")
    /// The revision asked for is older than the store's compact revision.
    public static let compacted = BusError.Code("Compacted")
    /// The revision asked for is newer than the store's current revision.
    public static let futureRevision = BusError.Code("FutureRevision")
    /// The store's database failed; the write was not applied.
    public static let storageFailed = BusError.Code("StorageFailed")
}

extension StoreEvent {
    /// `type` of an event that wrote a key.
    public static let putType = "PUT"
    /// `type` of an event that removed a key; its kv holds the last value.
    public static let deleteType = "DELETE"

    public var isDelete: Bool { type == Self.deleteType }
}

public final class StoreClient: Sendable {
    /// The topic the store publishes `EventBatch` messages on.
    public static let eventsTopic = "store/events"
    /// The store's component name in the endpoint directory.
    public static let component = "store"

    public let client: RequestClient
    /// Deadline of each call.
    public let timeout: Duration

    /// A client of the store at `endpoints` (see `EndpointDirectory` for finding them).
    public init(connectingTo endpoints: [BusEndpoint], component: String = "store-client",
                options: RequestClient.Options = RequestClient.Options(), timeout: Duration = .seconds(10)) throws(BusError) {
        client = try RequestClient(connectingTo: endpoints, component: component, options: options)
        self.timeout = timeout
    }

    public convenience init(connectingTo url: String, component: String = "store-client",
                            options: RequestClient.Options = RequestClient.Options(), timeout: Duration = .seconds(10)) throws(BusError) {
        try self.init(connectingTo: [BusEndpoint(url)], component: component, options: options, timeout: timeout)
    }

    public func close() async { await client.close() }

    // MARK: reads

    public func range(_ request: RangeRequest) async throws -> RangeResponse {
        try await client.call(request, replyType: RangeResponse.self, timeout: timeout)
    }

    /// The key `key`, or every key in [key, end) when `end` is given; `revision` 0 reads the
    /// latest state; `limit` 0 means no limit.
    public func range(_ key: String, end: String? = nil, limit: Int64 = 0, revision: Int64 = 0,
                      countOnly: Bool = false) async throws -> RangeResponse {
        try await range(RangeRequest(key: key, rangeEnd: end, limit: limit, revision: revision, countOnly: countOnly))
    }

    /// Every key starting with `prefix`.
    public func range(prefix: String, limit: Int64 = 0, revision: Int64 = 0) async throws -> RangeResponse {
        try await range(prefix, end: prefixEnd(for: prefix), limit: limit, revision: revision)
    }

    /// The key's state, or nil if it does not exist (at `revision`, 0 for the latest).
    public func get(_ key: String, revision: Int64 = 0) async throws -> KeyValue? {
        try await range(key, revision: revision).kvs.first
    }

    /// Events after `afterRevision` for [key, rangeEnd) (every key when key is empty), one
    /// page; `more` says whether to ask again after the last event's revision.
    public func history(afterRevision: Int64, key: String = "", rangeEnd: String = "", limit: Int64 = 0) async throws -> HistoryResponse {
        try await client.call(HistoryRequest(afterRevision: afterRevision, key: key, rangeEnd: rangeEnd, limit: limit),
                              replyType: HistoryResponse.self, timeout: timeout)
    }

    public func status() async throws -> StoreStatusResponse {
        try await client.call(StoreStatusRequest(), replyType: StoreStatusResponse.self, timeout: timeout)
    }

    // MARK: writes

    /// Applies `success` atomically at one new revision if every compare holds; otherwise
    /// `succeeded` is false and `current` holds the compared keys that exist.
    public func txn(_ request: TxnRequest) async throws -> TxnResponse {
        try await client.call(request, replyType: TxnResponse.self, timeout: timeout)
    }

    public func txn(compare: [Compare] = [], success: [Operation]) async throws -> TxnResponse {
        try await txn(TxnRequest(compare: compare, success: success))
    }

    /// Writes `key` only if it does not exist. `succeeded` false: it existed (see `current`).
    public func create(key: String, value: [UInt8]) async throws -> TxnResponse {
        try await txn(compare: [Compare(key: key, modRevision: 0)], success: [Operation(key: key, value: value)])
    }

    /// Writes `key` only if its modRevision is `expectedModRevision` (nil: unconditionally).
    public func update(key: String, value: [UInt8], expectedModRevision: Int64?) async throws -> TxnResponse {
        let compare = expectedModRevision.map { [Compare(key: key, modRevision: $0)] } ?? []
        return try await txn(compare: compare, success: [Operation(key: key, value: value)])
    }

    /// Deletes `key` only if its modRevision is `expectedModRevision` (nil: unconditionally;
    /// deleting a missing key changes nothing and takes no revision).
    public func delete(key: String, expectedModRevision: Int64? = nil) async throws -> TxnResponse {
        let compare = expectedModRevision.map { [Compare(key: key, modRevision: $0)] } ?? []
        return try await txn(compare: compare, success: [Operation(key: key, delete: true)])
    }

    /// Discards history before `revision`; returns the compact revision now in effect.
    @discardableResult
    public func compact(revision: Int64) async throws -> Int64 {
        try await client.call(CompactRequest(revision: revision), replyType: CompactResponse.self, timeout: timeout)
            .compactRevision ?? revision
    }
}

/// The end of the range holding every key that starts with `prefix`: the prefix with its last
/// character incremented, etcd's "increment the last byte" (the same for ASCII). Working on
/// Unicode scalars keeps the result valid UTF-8; UTF-8 byte order follows scalar order, so the
/// range is exactly the keys with the prefix. A trailing U+10FFFF cannot be incremented and is
/// dropped first. For an empty prefix (or one of only U+10FFFF) the result is "\u{10FFFF}",
/// past every key that does not start with that scalar.
public func prefixEnd(for prefix: String) -> String {
    var scalars = Array(prefix.unicodeScalars)
    while let last = scalars.popLast() {
        var next = last.value + 1
        if next == 0xD800 { next = 0xE000 }  // skip the surrogates, which are not scalars
        if let scalar = Unicode.Scalar(next) {
            scalars.append(scalar)
            var result = String.UnicodeScalarView()
            result.append(contentsOf: scalars)
            return String(result)
        }
    }
    return "\u{10FFFF}"
}
