/// NamespaceCache: what NamespaceLifecycle admission knows about namespaces without asking the
/// store: each namespace's state as of the latest revision seen, fed by the watch fanout (every
/// change passes through it) and by store reads on a miss. As in Kubernetes' admission plugin
/// (an informer cache with a live lookup on a miss), a namespace that began terminating a moment
/// ago may still admit a write; the namespace controller deletes whatever lands there.
///
/// Concurrency: Sendable; a lock guards the table. Must never: let an older revision overwrite
/// a newer one (deletions are kept as tombstones for that reason).
import Synchronization
import SkiffWire

final class NamespaceCache: Sendable {
    enum State: Equatable {
        case active
        case terminating
        case gone
    }

    private let table = Mutex<[String: (revision: Int64, state: State)]>([:])

    /// The namespace's state, if known.
    func state(of name: String) -> State? {
        table.withLock { $0[name]?.state }
    }

    /// Records `state` for `name` as of `revision`, unless something newer is known.
    func record(_ name: String, _ state: State, at revision: Int64) {
        table.withLock { table in
            if let known = table[name], known.revision >= revision { return }
            table[name] = (revision, state)
        }
    }

    static func state(of namespace: Namespace) -> State {
        namespace.metadata?.deletionTimestamp != nil ? .terminating : .active
    }
}
