/// StoreSchema: the SQLite tables behind the store, and the SQL shared by writer and readers.
///
///     meta    (name PRIMARY KEY, value)  'schema' = 1, 'revision', 'compactRevision'
///     current (key PRIMARY KEY, value, create_revision, mod_revision, version)
///             every key that exists now: the latest read is one index lookup
///     log     (revision, key, value, create_revision, version, deleted), UNIQUE (revision, key)
///             one row per change; a delete row carries the key's last value, version 0.
///             Indexed by (key, revision) too, for ranges at a past revision and compaction.
///
/// Keys are TEXT compared with SQLite's BINARY collation (memcmp), i.e. UTF-8 byte order, the
/// order etcd ranges in. Values are BLOBs, never NULL. Plain rowid tables, because values are
/// often kilobytes and WITHOUT ROWID tables suit small rows only.
///
/// Concurrency: constants. Must never: change a table's meaning without bumping 'schema' (an
/// existing data directory would be misread).
import SkiffBus

enum StoreSchema {
    static let version: Int64 = 1

    static let create = """
        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS current (
            key TEXT PRIMARY KEY, value BLOB NOT NULL,
            create_revision INTEGER NOT NULL, mod_revision INTEGER NOT NULL, version INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS log (
            revision INTEGER NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
            create_revision INTEGER NOT NULL, version INTEGER NOT NULL, deleted INTEGER NOT NULL,
            UNIQUE (revision, key));
        CREATE INDEX IF NOT EXISTS log_by_key ON log (key, revision);
        INSERT OR IGNORE INTO meta (name, value) VALUES ('schema', \(version)), ('revision', 0), ('compactRevision', 0);
        """

    static let readMeta = "SELECT value FROM meta WHERE name = ?1"
    static let writeMeta = "UPDATE meta SET value = ?2 WHERE name = ?1"
}

extension KeySelection {
    /// The WHERE condition on `key`, using parameters ?1 and ?2; other parameters start at ?3.
    var condition: String {
        switch self {
        case .single: return "key = ?1"
        case .interval: return "key >= ?1 AND key < ?2"
        case .all: return "1"
        }
    }

    func bind(to statement: SQLiteStatement) {
        switch self {
        case .single(let key):
            statement.bind(1, key)
        case .interval(let from, let to):
            statement.bind(1, from)
            statement.bind(2, to)
        case .all:
            break
        }
    }
}

extension SQLiteConnection {
    /// Runs `body` in one read transaction: every query in it sees the same committed state.
    func snapshot<T>(_ body: () throws(BusError) -> T) throws(BusError) -> T {
        try statement("BEGIN").run()
        do {
            let result = try body()
            try statement("COMMIT").run()
            return result
        } catch {
            try? statement("ROLLBACK").run()
            throw error
        }
    }

    func meta(_ name: String) throws(BusError) -> Int64 {
        let statement = try statement(StoreSchema.readMeta)
        defer { statement.reset() }
        statement.bind(1, name)
        guard try statement.step() else { throw StoreFailure.storage("meta '\(name)' is missing from \(path)") }
        return statement.int64(0)
    }

    func setMeta(_ name: String, _ value: Int64) throws(BusError) {
        let statement = try statement(StoreSchema.writeMeta)
        statement.bind(1, name)
        statement.bind(2, value)
        try statement.run()
    }
}

/// Event types as they travel in `StoreEvent.type`.
enum StoreEventType {
    static let put = "PUT"
    static let delete = "DELETE"
}

extension String {
    /// Byte (UTF-8) order, the order keys sort in; Swift's `<` compares Unicode-canonically.
    func precedesInByteOrder(_ other: String) -> Bool {
        utf8.lexicographicallyPrecedes(other.utf8)
    }
}
