/// StoreFailure: the errors the store sends to its clients, as `BusError`s whose codes travel
/// in the bus's `Failure` reply. SkiffStoreClient names the same codes as `BusError.Code`
/// constants; the two must spell them identically (a bus test checks that they meet).
///
/// Concurrency: constants and pure functions. Must never: change a code's spelling (clients
/// switch on it), or word a message differently from etcd where etcd has one, because the
/// apiserver passes some of them on to users.
import SkiffBus

enum StoreFailure {
    /// A request the store will never accept: an empty key, a negative revision, ...
    static let invalidArgument = BusError.Code("InvalidArgument")
    /// The revision asked for is older than the compact revision: its history is gone.
    static let compacted = BusError.Code("Compacted")
    /// The revision asked for has not been written yet.
    static let futureRevision = BusError.Code("FutureRevision")
    /// SQLite failed (disk full, I/O error): the write did not happen.
    static let storageFailed = BusError.Code("StorageFailed")

    static func invalid(_ message: String) -> BusError {
        BusError(invalidArgument, message)
    }

    static func compacted(required: Int64, compactRevision: Int64) -> BusError {
        BusError(compacted, "mvcc: required revision \(required) has been compacted; compact revision is \(compactRevision)")
    }

    static func future(required: Int64, current: Int64) -> BusError {
        BusError(futureRevision, "mvcc: required revision \(required) is a future revision; current revision is \(current)")
    }

    static func storage(_ message: String) -> BusError {
        BusError(storageFailed, "storage: \(message)")
    }

    static func closed() -> BusError {
        BusError(.closed, "the store is closed")
    }
}
