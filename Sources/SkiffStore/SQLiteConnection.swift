/// SQLiteConnection: one sqlite3 handle with its prepared statements cached by SQL text, and
/// the few typed bind/column calls the store needs (integers, text keys, blob values).
///
/// Concurrency: not thread-safe. Each connection belongs to one dedicated thread (the writer or
/// a reader) and is only touched from it; it is `@unchecked Sendable` only so that it can be
/// handed to that thread. Opened with SQLITE_OPEN_NOMUTEX for the same reason.
/// Must never: leave a statement un-reset after use (it would pin a read snapshot and block
/// checkpoints), or report a failure as anything but `BusError` code "StorageFailed".
import CSQLite
import SkiffBus

final class SQLiteConnection: @unchecked Sendable {
    let path: String
    private var handle: OpaquePointer?
    private var statements: [String: SQLiteStatement] = [:]

    init(path: String) throws(BusError) {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw StoreFailure.storage("cannot open \(path): \(message) (\(rc))")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        // Readers may meet a lock briefly (WAL recovery, checkpoints): wait rather than fail.
        sqlite3_busy_timeout(db, 10_000)
    }

    deinit { close() }

    /// Runs one or more statements that return nothing the caller needs.
    func execute(_ sql: String) throws(BusError) {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        guard rc == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? lastError
            sqlite3_free(error)
            throw StoreFailure.storage("\(message) (\(rc)) in: \(sql)")
        }
    }

    /// The prepared statement for `sql`, compiled once per connection.
    func statement(_ sql: String) throws(BusError) -> SQLiteStatement {
        if let cached = statements[sql] { return cached }
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard rc == SQLITE_OK, let raw else {
            throw StoreFailure.storage("cannot prepare: \(lastError) (\(rc)) in: \(sql)")
        }
        let statement = SQLiteStatement(raw, connection: self, sql: sql)
        statements[sql] = statement
        return statement
    }

    /// Runs `sql` with `bindings` and returns its first column of its first row as an integer.
    func integer(_ sql: String, _ bindings: Int64...) throws(BusError) -> Int64? {
        let statement = try statement(sql)
        defer { statement.reset() }
        for (index, value) in bindings.enumerated() { statement.bind(Int32(index + 1), value) }
        return try statement.step() ? statement.int64(0) : nil
    }

    var lastError: String {
        handle.map { String(cString: sqlite3_errmsg($0)) } ?? "connection closed"
    }

    /// Finalizes every statement and closes the handle. Idempotent.
    func close() {
        for statement in statements.values { statement.finalize() }
        statements = [:]
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }
}

/// One prepared statement. Bind with 1-based indexes, `step()` until it returns false, read
/// columns with 0-based indexes, then `reset()` (callers `defer` it).
final class SQLiteStatement {
    private var handle: OpaquePointer?
    private unowned let connection: SQLiteConnection
    let sql: String

    fileprivate init(_ handle: OpaquePointer, connection: SQLiteConnection, sql: String) {
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    func bind(_ index: Int32, _ value: String) {
        sqlite3_bind_text(handle, index, value, Int32(value.utf8.count), skiff_sqlite_transient())
    }

    func bind(_ index: Int32, _ value: [UInt8]) {
        if value.isEmpty {
            // A NULL pointer would bind SQL NULL; an empty value is a zero-length blob.
            sqlite3_bind_zeroblob(handle, index, 0)
            return
        }
        value.withUnsafeBytes { bytes in
            _ = sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), skiff_sqlite_transient())
        }
    }

    /// Advances to the next row: true when there is one, false when done.
    func step() throws(BusError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw StoreFailure.storage("\(connection.lastError) (\(rc)) in: \(sql)")
        }
    }

    /// Runs a statement that returns no rows.
    func run() throws(BusError) {
        defer { reset() }
        _ = try step()
    }

    func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    func string(_ column: Int32) -> String {
        // sqlite3_column_text first, then _bytes: the documented order for a correct length.
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    func bytes(_ column: Int32) -> [UInt8] {
        guard let blob = sqlite3_column_blob(handle, column) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, column))
        return Array(UnsafeRawBufferPointer(start: blob, count: count))
    }

    func reset() {
        sqlite3_reset(handle)
    }

    fileprivate func finalize() {
        sqlite3_finalize(handle)
        handle = nil
    }
}
