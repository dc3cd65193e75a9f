/// StoreWriter: the store's only writer. Owns the read-write SQLite connection and applies
/// batches of transactions with group commit: every transaction waiting when the writer
/// thread wakes is applied inside one SQLite transaction (BEGIN IMMEDIATE ... COMMIT, one WAL
/// fsync with synchronous=FULL), each taking the next revision if it changes anything and
/// seeing the effects of the ones before it in the batch. Only after COMMIT returns are the
/// batch's events handed to the commit listener and its callers resumed.
///
/// Compaction runs here too (it deletes log rows), after the batch it was queued with, as
/// does auto-compaction once `historyRevisions` plus some slack have accumulated.
///
/// Concurrency: used only on the writer thread (`WorkerThreads` with one thread), hence
/// `@unchecked Sendable`; the published revisions are atomics others may read. Must never:
/// resume a caller before its write is durable, leave part of a batch applied (any SQLite
/// failure rolls the whole batch back and fails every transaction in it), or call the
/// listener out of commit order.
import Logging
import SkiffBus
import SkiffWire
import Synchronization

typealias Completion<T: Sendable> = CheckedContinuation<Result<T, BusError>, Never>

enum WriteJob: Sendable {
    case txn(TxnRequest, Completion<TxnResponse>)
    case compact(Int64, Completion<CompactResponse>)
}

/// The latest committed revision and compact revision, readable from any thread.
final class PublishedRevisions: Sendable {
    let current = Atomic<Int64>(0)
    let compacted = Atomic<Int64>(0)
}

final class StoreWriter: @unchecked Sendable {
    private let db: SQLiteConnection
    private let published: PublishedRevisions
    private let historyRevisions: Int64
    private let onCommit: StoreEngine.CommitListener?
    private let logger: Logger
    private var revision: Int64
    private var compactRevision: Int64

    init(path: String, historyRevisions: Int64, published: PublishedRevisions,
         onCommit: StoreEngine.CommitListener?, logger: Logger) throws(BusError) {
        db = try SQLiteConnection(path: path)
        do throws(BusError) {
            // WAL: readers never block the writer; FULL: COMMIT returns after the WAL is fsynced.
            try db.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
            try db.execute("BEGIN IMMEDIATE; \(StoreSchema.create) COMMIT;")
            let schema = try db.meta("schema")
            guard schema == StoreSchema.version else {
                throw StoreFailure.storage("\(path) has schema version \(schema); this store reads version \(StoreSchema.version)")
            }
            revision = try db.meta("revision")
            compactRevision = try db.meta("compactRevision")
        } catch {
            db.close()
            throw error
        }
        self.published = published
        self.historyRevisions = historyRevisions
        self.onCommit = onCommit
        self.logger = logger
        published.current.store(revision, ordering: .releasing)
        published.compacted.store(compactRevision, ordering: .releasing)
    }

    func close() { db.close() }

    /// Everything the writer thread took in one wake-up.
    func perform(_ jobs: [WriteJob]) {
        var txns: [(TxnRequest, Completion<TxnResponse>)] = []
        var compactions: [(Int64, Completion<CompactResponse>)] = []
        for job in jobs {
            switch job {
            case .txn(let request, let completion): txns.append((request, completion))
            case .compact(let revision, let completion): compactions.append((revision, completion))
            }
        }
        if !txns.isEmpty { commit(txns) }
        for (target, completion) in compactions {
            let result = Result { () throws(BusError) in try compact(to: target) }
            completion.resume(returning: result.map { CompactResponse(compactRevision: $0) })
        }
        compactIfDue()
    }

    // MARK: transactions

    private func commit(_ txns: [(TxnRequest, Completion<TxnResponse>)]) {
        var next = revision
        var events: [StoreEvent] = []
        var responses: [TxnResponse] = []
        responses.reserveCapacity(txns.count)
        do throws(BusError) {
            try db.statement("BEGIN IMMEDIATE").run()
            do throws(BusError) {
                for (request, _) in txns {
                    responses.append(try apply(request, revision: &next, events: &events))
                }
                if next != revision { try db.setMeta("revision", next) }
                try db.statement("COMMIT").run()
            } catch {
                try? db.statement("ROLLBACK").run()
                throw error
            }
        } catch {
            logger.error("batch rolled back", metadata: ["transactions": "\(txns.count)", "error": "\(error)"])
            for (_, completion) in txns { completion.resume(returning: .failure(error)) }
            return
        }
        revision = next
        published.current.store(next, ordering: .releasing)
        if !events.isEmpty { onCommit?(events, next) }
        for ((_, completion), response) in zip(txns, responses) { completion.resume(returning: .success(response)) }
    }

    /// Applies one transaction inside the open SQLite transaction. Compares see the writes of
    /// earlier transactions in the batch; a transaction that changes nothing takes no revision.
    private func apply(_ request: TxnRequest, revision: inout Int64, events: inout [StoreEvent]) throws(BusError) -> TxnResponse {
        for compare in request.compare {
            let actual = try current(compare.key ?? "")?.modRevision ?? 0
            if actual != compare.modRevision ?? 0 {
                return TxnResponse(revision: revision, succeeded: false, current: try comparedKeys(request))
            }
        }
        let target = revision + 1
        var changes: [StoreEvent] = []
        for operation in request.success {
            let key = operation.key ?? ""
            let existing = try current(key)
            if operation.delete == true {
                guard let existing else { continue }
                let tombstone = KeyValue(key: key, value: existing.value ?? [], createRevision: existing.createRevision,
                                         modRevision: target, version: 0)
                try removeCurrent(key)
                try appendLog(tombstone, deleted: true)
                changes.append(StoreEvent(type: StoreEventType.delete, kv: tombstone))
            } else {
                let kv = KeyValue(key: key, value: operation.value ?? [], createRevision: existing?.createRevision ?? target,
                                  modRevision: target, version: (existing?.version ?? 0) + 1)
                try putCurrent(kv)
                try appendLog(kv, deleted: false)
                changes.append(StoreEvent(type: StoreEventType.put, kv: kv))
            }
        }
        guard !changes.isEmpty else { return TxnResponse(revision: revision, succeeded: true) }
        revision = target
        // Within a revision, events go in key order: the order History reads them back in.
        changes.sort { ($0.kv?.key ?? "").precedesInByteOrder($1.kv?.key ?? "") }
        events.append(contentsOf: changes)
        return TxnResponse(revision: target, succeeded: true)
    }

    /// The current state of each compared key that exists, once each, in compare order.
    private func comparedKeys(_ request: TxnRequest) throws(BusError) -> [KeyValue] {
        var seen = Set<String>()
        var result: [KeyValue] = []
        for compare in request.compare {
            let key = compare.key ?? ""
            guard seen.insert(key).inserted, let kv = try current(key) else { continue }
            result.append(kv)
        }
        return result
    }

    private func current(_ key: String) throws(BusError) -> KeyValue? {
        let statement = try db.statement("SELECT value, create_revision, mod_revision, version FROM current WHERE key = ?1")
        defer { statement.reset() }
        statement.bind(1, key)
        guard try statement.step() else { return nil }
        return KeyValue(key: key, value: statement.bytes(0), createRevision: statement.int64(1),
                        modRevision: statement.int64(2), version: statement.int64(3))
    }

    private func putCurrent(_ kv: KeyValue) throws(BusError) {
        let statement = try db.statement("""
            INSERT INTO current (key, value, create_revision, mod_revision, version) VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, create_revision = excluded.create_revision,
                mod_revision = excluded.mod_revision, version = excluded.version
            """)
        statement.bind(1, kv.key ?? "")
        statement.bind(2, kv.value ?? [])
        statement.bind(3, kv.createRevision ?? 0)
        statement.bind(4, kv.modRevision ?? 0)
        statement.bind(5, kv.version ?? 0)
        try statement.run()
    }

    private func removeCurrent(_ key: String) throws(BusError) {
        let statement = try db.statement("DELETE FROM current WHERE key = ?1")
        statement.bind(1, key)
        try statement.run()
    }

    private func appendLog(_ kv: KeyValue, deleted: Bool) throws(BusError) {
        let statement = try db.statement("""
            INSERT INTO log (revision, key, value, create_revision, version, deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """)
        statement.bind(1, kv.modRevision ?? 0)
        statement.bind(2, kv.key ?? "")
        statement.bind(3, kv.value ?? [])
        statement.bind(4, kv.createRevision ?? 0)
        statement.bind(5, kv.version ?? 0)
        statement.bind(6, deleted ? 1 : 0)
        try statement.run()
    }

    // MARK: compaction

    /// Discards history before `target`: afterwards a range at `target` or later still
    /// answers, and every event after `target - 1` is still in the log. Per key, the latest
    /// row before `target` survives unless it is a delete; older rows go.
    /// Throws "FutureRevision" past the current revision, "Compacted" at or before the
    /// compact revision (etcd's rule).
    private func compact(to target: Int64) throws(BusError) -> Int64 {
        guard target <= revision else { throw StoreFailure.future(required: target, current: revision) }
        guard target > compactRevision else {
            throw StoreFailure.compacted(required: target, compactRevision: compactRevision)
        }
        try db.statement("BEGIN IMMEDIATE").run()
        do throws(BusError) {
            // Only keys written since the last compaction can have rows that became obsolete.
            var touched: [(key: String, latest: Int64, deleted: Bool)] = []
            let scan = try db.statement("""
                SELECT key, max(revision), deleted FROM log WHERE revision >= ?1 AND revision < ?2 GROUP BY key
                """)
            scan.bind(1, compactRevision)
            scan.bind(2, target)
            do throws(BusError) {
                while try scan.step() { touched.append((scan.string(0), scan.int64(1), scan.int64(2) != 0)) }
                scan.reset()
            } catch {
                scan.reset()
                throw error
            }
            let older = try db.statement("DELETE FROM log WHERE key = ?1 AND revision < ?2")
            let tombstone = try db.statement("DELETE FROM log WHERE key = ?1 AND revision = ?2")
            for entry in touched {
                older.bind(1, entry.key)
                older.bind(2, entry.latest)
                try older.run()
                if entry.deleted {
                    tombstone.bind(1, entry.key)
                    tombstone.bind(2, entry.latest)
                    try tombstone.run()
                }
            }
            try db.setMeta("compactRevision", target)
            try db.statement("COMMIT").run()
        } catch {
            try? db.statement("ROLLBACK").run()
            throw error
        }
        compactRevision = target
        published.compacted.store(target, ordering: .releasing)
        return target
    }

    /// Keeps the last `historyRevisions` revisions; compacts in steps of a tenth of that (at
    /// most 1,000 revisions), so a busy store does not pay for a compaction on every commit.
    private func compactIfDue() {
        guard historyRevisions > 0 else { return }
        let target = revision - historyRevisions
        let step = max(1, min(historyRevisions / 10, 1000))
        guard target - compactRevision >= step else { return }
        do {
            _ = try compact(to: target)
        } catch {
            logger.warning("auto-compaction failed", metadata: ["target": "\(target)", "error": "\(error)"])
        }
    }
}
