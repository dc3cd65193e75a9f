// SkiffStore: the cluster's single source of truth, etcd's key-value semantics on SQLite,
// served over the bus by its own process (skiff-store). Only the apiserver talks to it, through
// SkiffStoreClient; the protocol is proto/skiff/store/v1/store.proto.
//
//     TxnRequest ──► RequestServer ──► StoreEngine.txn ──► writer queue ──► store-writer thread
//                    (component                                   BEGIN IMMEDIATE
//                     "store")                                    apply every queued txn in order
//                                                                 COMMIT (one WAL fsync)
//                                  ◄── replies ◄──────────────────┤
//     subscribers ◄── Publisher "store/events" ◄── EventBatch ◄───┘ (before the replies)
//     Range/History/Status ──► store-reader threads (own connections; WAL snapshots)
//
// Vocabulary
// - revision: a global counter; every transaction that changes something takes the next one,
//   shared by all its writes. Reads report the revision they saw.
// - createRevision / modRevision / version: per key, the revision that created it (since its
//   last delete), the one that last changed it, and the number of writes since creation.
// - compare: a transaction's guard, "key's modRevision == N" (0: the key does not exist).
// - compact revision: history before it is gone. Ranges at revisions >= it and history after
//   revisions >= it - 1 still answer; older ones fail with "Compacted". Auto-compaction keeps
//   the last `historyRevisions` (default 10,000).
// - group commit: the writer thread applies every transaction waiting when it wakes in one
//   SQLite transaction, so 64 concurrent writers cost about one fsync per batch, not 64.
//
// Errors (BusError codes, named by SkiffStoreClient): InvalidArgument, Compacted,
// FutureRevision, StorageFailed, Closed.
//
// Files: DATA/store.db (+ -wal, -shm while open) and DATA/store.lock (an flock: one store per
// data directory). Schema in StoreSchema.swift.
//
// Concurrency: SQLite runs only on dedicated threads (WorkerThreads), never on Swift's
// cooperative pool, which is only as wide as the core count; callers wait on continuations.
//
// Must never: acknowledge a write before its COMMIT returned (synchronous=FULL: the WAL is
// fsynced), apply part of a transaction, publish a commit's events after a later commit's, or
// crash on anything a client sends. An acknowledged write survives kill -9 (tested against the
// real binary in StoreProcessTests).
