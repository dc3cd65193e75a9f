/// StoreEngine: the store's semantics (etcd's MVCC key-value model) on SQLite, without the
/// bus. Requests are validated on the caller's task, then run on dedicated threads: one
/// writer (group commit, see `StoreWriter`) and a few readers (`StoreReader`), each with its
/// own connection to DATA/store.db. Callers wait on continuations, never on a lock.
///
/// A data directory is held by one engine at a time (an flock on DATA/store.lock, released by
/// the kernel if the process dies), so two stores can never interleave writes.
///
/// Concurrency: every method may be called from any task. The commit listener is called on the
/// writer thread, once per group commit, in commit order, before the batch's callers are
/// resumed; it must not block (publishing on the bus does not). Cancelling a caller does not
/// cancel a queued write. `close()` must be called (the threads hold the engine open); it
/// finishes every queued request, then stops the threads.
/// Must never: acknowledge a write before it is durable, half-apply a transaction, or crash
/// on bad input (it is refused with "InvalidArgument").
import Foundation
import Logging
import SkiffBus
import SkiffWire
import Synchronization

public final class StoreEngine: Sendable {
    public struct Options: Sendable {
        /// Revisions of history kept by auto-compaction; 0 keeps everything.
        public var historyRevisions: Int64
        /// Reader threads (each with its own SQLite connection).
        public var readerThreads: Int
        /// Most transactions applied in one group commit.
        public var maxBatch: Int
        /// Largest value accepted; one event must fit in one bus message.
        public var maxValueBytes: Int
        /// History events per page when a request gives no limit.
        public var historyPageSize: Int64
        /// History page size cap in key and value bytes.
        public var historyPageBytes: Int

        public init(historyRevisions: Int64 = 10_000, readerThreads: Int = 2, maxBatch: Int = 1024,
                    maxValueBytes: Int = 8 << 20, historyPageSize: Int64 = 1000, historyPageBytes: Int = 4 << 20) {
            self.historyRevisions = historyRevisions
            self.readerThreads = readerThreads
            self.maxBatch = maxBatch
            self.maxValueBytes = maxValueBytes
            self.historyPageSize = historyPageSize
            self.historyPageBytes = historyPageBytes
        }
    }

    /// Receives each group commit's events (revision order; key order within a revision) and
    /// the revision the commit reached. Called on the writer thread: must not block.
    public typealias CommitListener = @Sendable (_ events: [StoreEvent], _ revision: Int64) -> Void

    private typealias ReadJob = @Sendable (StoreReader) -> Void

    public let directory: String
    public var databasePath: String { directory + "/store.db" }

    private let limits: RequestLimits
    private let published = PublishedRevisions()
    private let writer: StoreWriter
    private let readers: [StoreReader]
    private let writerThread: WorkerThreads<WriteJob>
    private let readerThreads: WorkerThreads<ReadJob>
    private let lock: DirectoryLock
    private let closing = Mutex<Task<Void, Never>?>(nil)

    /// Opens (creating if needed) the store in `directory`.
    /// Throws "StorageFailed" if the directory cannot be created or locked (another store
    /// holds it) or the database cannot be opened.
    public init(directory: String, options: Options = Options(), logger: Logger = BusLogging.disabled,
                onCommit: CommitListener? = nil) throws(BusError) {
        self.directory = directory
        do {
            // 0700 when we make it: the database is the whole cluster's state.
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreFailure.storage("cannot create data directory \(directory): \(error)")
        }
        lock = try DirectoryLock(path: directory + "/store.lock")
        let path = directory + "/store.db"
        var opened: [StoreReader] = []
        let writer: StoreWriter
        do throws(BusError) {
            writer = try StoreWriter(path: path, historyRevisions: max(0, options.historyRevisions),
                                     published: published, onCommit: onCommit, logger: logger)
            do throws(BusError) {
                let paging = HistoryPaging(pageSize: max(1, options.historyPageSize), pageBytes: max(1, options.historyPageBytes))
                for _ in 0..<max(1, options.readerThreads) { opened.append(try StoreReader(path: path, paging: paging)) }
            } catch {
                for reader in opened { reader.close() }
                writer.close()
                throw error
            }
        } catch {
            lock.release()
            throw error
        }
        let readers = opened
        self.writer = writer
        self.readers = readers
        limits = RequestLimits(maxValueBytes: options.maxValueBytes)
        writerThread = WorkerThreads(name: "store-writer", count: 1, maxBatch: options.maxBatch) { _, jobs in
            writer.perform(jobs)
        }
        readerThreads = WorkerThreads(name: "store-reader", count: readers.count, maxBatch: 1) { index, jobs in
            for job in jobs { job(readers[index]) }
        }
    }

    /// The latest committed revision.
    public var revision: Int64 { published.current.load(ordering: .acquiring) }
    /// The revision history starts at; 0 when nothing was compacted.
    public var compactRevision: Int64 { published.compacted.load(ordering: .acquiring) }

    // MARK: requests

    /// One key or a range, at the latest revision or a past one.
    /// Throws "InvalidArgument", "Compacted" (revision older than the compact revision),
    /// "FutureRevision", "StorageFailed", "Closed".
    public func range(_ request: RangeRequest) async throws(BusError) -> RangeResponse {
        let selection = try RequestValidation.checkRange(request, limits: limits)
        return try await read { reader throws(BusError) in try reader.range(request, selection) }
    }

    /// Applies the operations atomically at one new revision if every compare holds.
    /// Throws "InvalidArgument", "StorageFailed" (nothing was applied), "Closed".
    public func txn(_ request: TxnRequest) async throws(BusError) -> TxnResponse {
        try RequestValidation.checkTxn(request, limits: limits)
        return try await write { .txn(request, $0) }
    }

    /// Events after `afterRevision`, paged; pages end on revision boundaries.
    /// Throws "InvalidArgument", "Compacted" (events the caller needs were discarded),
    /// "StorageFailed", "Closed".
    public func history(_ request: HistoryRequest) async throws(BusError) -> HistoryResponse {
        let selection = try RequestValidation.checkHistory(request, limits: limits)
        return try await read { reader throws(BusError) in try reader.history(request, selection) }
    }

    /// Discards history before `revision`. Throws "InvalidArgument", "FutureRevision",
    /// "Compacted" (already compacted at or past it), "StorageFailed", "Closed".
    public func compact(_ request: CompactRequest) async throws(BusError) -> CompactResponse {
        let revision = try RequestValidation.checkCompact(request)
        return try await write { .compact(revision, $0) }
    }

    public func status() async throws(BusError) -> StoreStatusResponse {
        let path = databasePath
        return try await read { reader throws(BusError) in try reader.status(databasePath: path) }
    }

    // MARK: lifecycle

    /// Finishes queued requests, stops the threads, closes the database and releases the
    /// directory. Later requests fail with "Closed". Idempotent; concurrent calls all wait.
    public func close() async {
        let task = closing.withLock { task -> Task<Void, Never> in
            if let task { return task }
            let writerThread = writerThread, readerThreads = readerThreads
            let writer = writer, readers = readers, lock = lock
            let closer = Task {
                await writerThread.close()
                await readerThreads.close()
                writer.close()
                for reader in readers { reader.close() }
                lock.release()
            }
            task = closer
            return closer
        }
        await task.value
    }

    // MARK: bridging to the threads

    private func read<T: Sendable>(_ body: @escaping @Sendable (StoreReader) throws(BusError) -> T) async throws(BusError) -> T {
        let result = await withCheckedContinuation { (continuation: Completion<T>) in
            let accepted = readerThreads.submit { reader in
                continuation.resume(returning: Result { () throws(BusError) in try body(reader) })
            }
            if !accepted { continuation.resume(returning: .failure(StoreFailure.closed())) }
        }
        return try result.get()
    }

    private func write<T: Sendable>(_ job: (Completion<T>) -> WriteJob) async throws(BusError) -> T {
        let result = await withCheckedContinuation { (continuation: Completion<T>) in
            if !writerThread.submit(job(continuation)) { continuation.resume(returning: .failure(StoreFailure.closed())) }
        }
        return try result.get()
    }
}

/// An exclusive flock on a file in the data directory, held while the engine is open.
final class DirectoryLock: Sendable {
    private let descriptor: Mutex<Int32>

    init(path: String) throws(BusError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreFailure.storage("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK ? "another store is using this data directory" : String(cString: strerror(errno))
            Glibc.close(fd)
            throw StoreFailure.storage("cannot lock \(path): \(reason)")
        }
        descriptor = Mutex(fd)
    }

    /// Releases the lock. Idempotent.
    func release() {
        descriptor.withLock { fd in
            guard fd >= 0 else { return }
            Glibc.close(fd)
            fd = -1
        }
    }

    deinit { release() }
}
