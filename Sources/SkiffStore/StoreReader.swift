/// StoreReader: answers ranges, history and status from its own SQLite connection. WAL lets
/// readers run beside the writer; each request runs in one read transaction, so the revision
/// it reports and the rows it returns come from the same committed state.
///
/// Concurrency: one per reader thread, used only there, hence `@unchecked Sendable`.
/// Must never: write, or return rows of a revision other than the one it reports.
import Foundation
import SkiffBus
import SkiffWire

struct HistoryPaging: Sendable {
    /// Events per page when the request gives no limit.
    var pageSize: Int64 = 1000
    /// A page stops growing past this many key and value bytes, so a reply stays far below
    /// the bus's 16 MiB limit.
    var pageBytes = 4 << 20
}

final class StoreReader: @unchecked Sendable {
    private let db: SQLiteConnection
    private let paging: HistoryPaging

    init(path: String, paging: HistoryPaging) throws(BusError) {
        db = try SQLiteConnection(path: path)
        self.paging = paging
        do {
            try db.execute("PRAGMA query_only = 1")
        } catch {
            db.close()
            throw error
        }
    }

    func close() { db.close() }

    // MARK: range

    func range(_ request: RangeRequest, _ selection: KeySelection) throws(BusError) -> RangeResponse {
        try db.snapshot { () throws(BusError) -> RangeResponse in
            let current = try db.meta("revision")
            let compacted = try db.meta("compactRevision")
            let at = request.revision ?? 0
            if at > current { throw StoreFailure.future(required: at, current: current) }
            if at > 0 && at < compacted { throw StoreFailure.compacted(required: at, compactRevision: compacted) }
            let limit = request.limit ?? 0
            let countOnly = request.countOnly ?? false
            var response = if at == 0 || at == current {
                try latest(selection, limit: limit, countOnly: countOnly)
            } else {
                try past(selection, at: at, limit: limit, countOnly: countOnly)
            }
            response.revision = at == 0 ? current : at
            return response
        }
    }

    /// From the `current` table: one indexed scan for the keys, one count.
    private func latest(_ selection: KeySelection, limit: Int64, countOnly: Bool) throws(BusError) -> RangeResponse {
        var response = RangeResponse()
        if !countOnly {
            let rows = try db.statement("""
                SELECT key, value, create_revision, mod_revision, version FROM current
                WHERE \(selection.condition) ORDER BY key LIMIT ?3
                """)
            defer { rows.reset() }
            selection.bind(to: rows)
            rows.bind(3, limit > 0 ? limit : -1)
            while try rows.step() {
                response.kvs.append(KeyValue(key: rows.string(0), value: rows.bytes(1), createRevision: rows.int64(2),
                                             modRevision: rows.int64(3), version: rows.int64(4)))
            }
        }
        let count: Int64
        if case .single = selection, !countOnly {
            count = Int64(response.kvs.count)
        } else {
            let counter = try db.statement("SELECT count(*) FROM current WHERE \(selection.condition)")
            defer { counter.reset() }
            selection.bind(to: counter)
            count = try counter.step() ? counter.int64(0) : 0
        }
        response.count = count
        response.more = !countOnly && count > Int64(response.kvs.count)
        return response
    }

    /// From the log: per key, the latest row at or before `at`, unless that row is a delete.
    /// (SQLite takes a bare column's value from the row that holds the max().)
    private func past(_ selection: KeySelection, at: Int64, limit: Int64, countOnly: Bool) throws(BusError) -> RangeResponse {
        let rows = try db.statement("""
            SELECT key, value, create_revision, max(revision), version, deleted FROM log
            WHERE \(selection.condition) AND revision <= ?3 GROUP BY key ORDER BY key
            """)
        defer { rows.reset() }
        selection.bind(to: rows)
        rows.bind(3, at)
        var response = RangeResponse()
        var count: Int64 = 0
        while try rows.step() {
            guard rows.int64(5) == 0 else { continue }
            count += 1
            if !countOnly && (limit == 0 || Int64(response.kvs.count) < limit) {
                response.kvs.append(KeyValue(key: rows.string(0), value: rows.bytes(1), createRevision: rows.int64(2),
                                             modRevision: rows.int64(3), version: rows.int64(4)))
            }
        }
        response.count = count
        response.more = !countOnly && count > Int64(response.kvs.count)
        return response
    }

    // MARK: history

    /// Events after `afterRevision` in (revision, key) order. A page never ends inside a
    /// revision, so a caller resuming after the last event's revision misses nothing.
    func history(_ request: HistoryRequest, _ selection: KeySelection) throws(BusError) -> HistoryResponse {
        try db.snapshot { () throws(BusError) -> HistoryResponse in
            let current = try db.meta("revision")
            let compacted = try db.meta("compactRevision")
            let after = request.afterRevision ?? 0
            // Every event at or after the compact revision is kept.
            if after + 1 < compacted {
                throw StoreFailure.compacted(required: after + 1, compactRevision: compacted)
            }
            let limit = (request.limit ?? 0) > 0 ? request.limit! : paging.pageSize
            let rows = try db.statement("""
                SELECT revision, key, value, create_revision, version, deleted FROM log
                WHERE \(selection.condition) AND revision > ?3 ORDER BY revision, key
                """)
            defer { rows.reset() }
            selection.bind(to: rows)
            rows.bind(3, after)
            var response = HistoryResponse(revision: current, more: false)
            var bytes = 0
            var last: Int64 = 0
            while try rows.step() {
                let revision = rows.int64(0)
                if (Int64(response.events.count) >= limit || bytes >= paging.pageBytes) && revision != last {
                    response.more = true
                    break
                }
                let kv = KeyValue(key: rows.string(1), value: rows.bytes(2), createRevision: rows.int64(3),
                                  modRevision: revision, version: rows.int64(4))
                bytes += (kv.key?.utf8.count ?? 0) + (kv.value?.count ?? 0)
                response.events.append(StoreEvent(type: rows.int64(5) != 0 ? StoreEventType.delete : StoreEventType.put, kv: kv))
                last = revision
            }
            return response
        }
    }

    // MARK: status

    func status(databasePath: String) throws(BusError) -> StoreStatusResponse {
        var response = try db.snapshot { () throws(BusError) -> StoreStatusResponse in
            let keys = try db.integer("SELECT count(*) FROM current") ?? 0
            return StoreStatusResponse(revision: try db.meta("revision"), compactRevision: try db.meta("compactRevision"),
                                       keys: keys)
        }
        let files = [databasePath, databasePath + "-wal"]
        response.databaseBytes = files.reduce(Int64(0)) { total, path in
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
            return total + (size ?? 0)
        }
        return response
    }
}
