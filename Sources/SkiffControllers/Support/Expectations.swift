/// Expectations: the creations and deletions a controller has asked for but its cache has not
/// shown yet, as Kubernetes' ControllerExpectations. Until they are seen (or a timeout passes),
/// the controller does not act on the count again, so a lagging cache cannot make it create
/// the same replica twice.
///
/// Concurrency: Sendable; informer handlers observe, workers expect. Must never: stay
/// unsatisfied forever (entries expire after `timeout`, as Kubernetes' five minutes).
import SkiffClient
import Synchronization

public final class Expectations: Sendable {
    private struct Entry {
        var adds: Int
        var deletes: Set<String>
        var setAt: Duration
    }

    private let entries = Mutex<[ObjectKey: Entry]>([:])
    private let timeline: Timeline
    private let timeout: Duration

    public init(clock: any Clock<Duration>, timeout: Duration = .seconds(300)) {
        timeline = Timeline(clock)
        self.timeout = timeout
    }

    /// True when nothing is outstanding for `key` (or what was has expired).
    public func satisfied(_ key: ObjectKey) -> Bool {
        entries.withLock { entries in
            guard let entry = entries[key] else { return true }
            if entry.adds <= 0 && entry.deletes.isEmpty { return true }
            return timeline.elapsed() - entry.setAt > timeout
        }
    }

    /// Records `adds` creations and deletions of the objects named by `deleting` (their uids).
    public func expect(_ key: ObjectKey, adds: Int, deleting: some Sequence<String> = []) {
        entries.withLock { $0[key] = Entry(adds: adds, deletes: Set(deleting), setAt: timeline.elapsed()) }
    }

    /// One expected creation did not happen (the create call failed).
    public func creationFailed(_ key: ObjectKey) { observeAdd(key) }

    /// One expected deletion did not happen.
    public func deletionFailed(_ key: ObjectKey, uid: String) { observeDelete(key, uid: uid) }

    public func observeAdd(_ key: ObjectKey) {
        entries.withLock { entries in entries[key]?.adds -= 1 }
    }

    public func observeDelete(_ key: ObjectKey, uid: String) {
        entries.withLock { entries in _ = entries[key]?.deletes.remove(uid) }
    }

    public func forget(_ key: ObjectKey) { entries.withLock { _ = $0.removeValue(forKey: key) } }
}
