/// RequestValidation: turns the wire requests into checked values before anything touches
/// SQLite, so bad input is refused with "InvalidArgument" and never half-applied. Pure
/// functions, table-tested.
///
/// Concurrency: pure. Must never: accept an empty key where a key is required, a key holding a
/// NUL (protobuf-c would cut it short on the way back), two writes to one key in one
/// transaction, or a value too big for one event to fit a bus message.
import SkiffBus
import SkiffWire

/// Which keys a request is about.
enum KeySelection: Equatable, Sendable {
    /// Exactly one key.
    case single(String)
    /// Every key in [from, to), in byte order. Empty when `to <= from`.
    case interval(from: String, to: String)
    /// Every key.
    case all
}

struct RequestLimits: Sendable {
    /// Longest key, in UTF-8 bytes.
    var maxKeyBytes = 8 << 10
    /// Largest value: one event (key + value) must fit one bus message of 16 MiB.
    var maxValueBytes = 8 << 20
}

enum RequestValidation {
    static func checkKey(_ key: String, _ field: String, limits: RequestLimits) throws(BusError) {
        guard !key.isEmpty else { throw StoreFailure.invalid("\(field): key must not be empty") }
        guard key.utf8.count <= limits.maxKeyBytes else {
            throw StoreFailure.invalid("\(field): key is \(key.utf8.count) bytes, longer than \(limits.maxKeyBytes)")
        }
        guard !key.utf8.contains(0) else { throw StoreFailure.invalid("\(field): key contains a NUL byte") }
    }

    /// The keys a range reads: one key, or [key, rangeEnd) when rangeEnd is given (key may
    /// then be empty: "from the first key").
    static func selection(key: String?, rangeEnd: String?, limits: RequestLimits) throws(BusError) -> KeySelection {
        let key = key ?? ""
        let end = rangeEnd ?? ""
        if end.isEmpty {
            try checkKey(key, "key", limits: limits)
            return .single(key)
        }
        try checkKey(end, "rangeEnd", limits: limits)
        if !key.isEmpty { try checkKey(key, "key", limits: limits) }
        return .interval(from: key, to: end)
    }

    /// The keys a history request follows: every key when key is empty, else as a range.
    static func historySelection(key: String?, rangeEnd: String?, limits: RequestLimits) throws(BusError) -> KeySelection {
        guard let key, !key.isEmpty else { return .all }
        return try selection(key: key, rangeEnd: rangeEnd, limits: limits)
    }

    static func checkRange(_ request: RangeRequest, limits: RequestLimits) throws(BusError) -> KeySelection {
        let selection = try selection(key: request.key, rangeEnd: request.rangeEnd, limits: limits)
        if let limit = request.limit, limit < 0 { throw StoreFailure.invalid("limit must not be negative, got \(limit)") }
        if let revision = request.revision, revision < 0 {
            throw StoreFailure.invalid("revision must not be negative, got \(revision)")
        }
        return selection
    }

    static func checkTxn(_ request: TxnRequest, limits: RequestLimits) throws(BusError) {
        for (index, compare) in request.compare.enumerated() {
            try checkKey(compare.key ?? "", "compare[\(index)]", limits: limits)
            if let revision = compare.modRevision, revision < 0 {
                throw StoreFailure.invalid("compare[\(index)]: modRevision must not be negative, got \(revision)")
            }
        }
        var written = Set<String>()
        for (index, operation) in request.success.enumerated() {
            let key = operation.key ?? ""
            try checkKey(key, "success[\(index)]", limits: limits)
            if let count = operation.value?.count, count > limits.maxValueBytes {
                throw StoreFailure.invalid("success[\(index)]: value is \(count) bytes, larger than \(limits.maxValueBytes)")
            }
            guard written.insert(key).inserted else {
                throw StoreFailure.invalid("success[\(index)]: duplicate key given in txn request: \(key)")
            }
        }
    }

    static func checkHistory(_ request: HistoryRequest, limits: RequestLimits) throws(BusError) -> KeySelection {
        let selection = try historySelection(key: request.key, rangeEnd: request.rangeEnd, limits: limits)
        if let after = request.afterRevision, after < 0 {
            throw StoreFailure.invalid("afterRevision must not be negative, got \(after)")
        }
        if let limit = request.limit, limit < 0 { throw StoreFailure.invalid("limit must not be negative, got \(limit)") }
        return selection
    }

    static func checkCompact(_ request: CompactRequest) throws(BusError) -> Int64 {
        guard let revision = request.revision, revision > 0 else {
            throw StoreFailure.invalid("compact revision must be positive, got \(request.revision ?? 0)")
        }
        return revision
    }
}
