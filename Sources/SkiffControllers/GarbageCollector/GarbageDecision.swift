/// GarbageDecision: what the garbage collector does about one object, from the object's graph
/// node, what is known of each of its owners, and its dependents: pure, as Kubernetes'
/// attemptToDeleteItem, processDeletingDependentsItem and orphanDependents decide.
///
/// - Being deleted with the "orphan" finalizer: strip its reference from every dependent, then
///   drop the finalizer.
/// - Being deleted with "foregroundDeletion": wake its dependents (they see an owner waiting for
///   them and delete themselves); drop the finalizer once no dependent with
///   blockOwnerDeletion remains.
/// - Otherwise, its owners are solid (present, or not known to be gone), waiting (deleted in the
///   foreground) or dangling (gone: no object with that uid). With a solid owner it stays and
///   only loses the references to the others; with none it is deleted: in the foreground if a
///   waiting owner needs its dependents gone first, else as its own finalizers ask.
///
/// Concurrency: pure. Must never: delete an object one of whose owners may still exist.
import SkiffWire

/// What the collector knows of one owner, by uid.
public enum OwnerState: Sendable, Equatable {
    /// An object with that uid exists and is not being deleted in the foreground.
    case present
    /// It exists and is being deleted in the foreground: it waits for its dependents.
    case deletingDependents
    /// No object with that uid exists (confirmed by a live read).
    case absent
    /// Could not be told (a kind the apiserver does not serve): treated as present.
    case unknown
}

public enum GarbageAction: Sendable, Equatable {
    case nothing
    /// Remove the item's references to these owner uids (it keeps a live owner).
    case removeOwnerReferences([String])
    /// Delete the item with this propagation policy ("Background", "Foreground", "Orphan").
    case delete(propagation: String)
    /// Strip the item's reference from each dependent, then remove its "orphan" finalizer.
    case orphanDependents([ObjectIdentity])
    /// Remove the finalizer from the item (its deletion then completes).
    case removeFinalizer(String)
    /// Foreground deletion in progress: `blocking` dependents still hold the item; `wake` are
    /// the dependents not yet being deleted, whose keys are queued.
    case awaitDependents(blocking: [ObjectIdentity], wake: [ObjectIdentity])
}

public enum GarbageDecision {
    /// - Parameters:
    ///   - owners: the state of each owner uid of `item` (missing uids count as `.unknown`).
    ///   - dependents: the nodes referencing `item`.
    public static func decide(_ item: GraphNode, owners: [String: OwnerState], dependents: [GraphNode]) -> GarbageAction {
        let uid = item.identity.uid
        if item.deleting {
            if item.orphaningDependents {
                return dependents.isEmpty ? .removeFinalizer(GarbageFinalizers.orphan)
                                          : .orphanDependents(dependents.map(\.identity))
            }
            if item.deletingDependents {
                let blocking = dependents.filter { $0.reference(to: uid)?.blockOwnerDeletion == true }
                if blocking.isEmpty { return .removeFinalizer(GarbageFinalizers.foreground) }
                let wake = dependents.filter { !$0.deleting || $0.deletingDependents }
                return .awaitDependents(blocking: blocking.map(\.identity), wake: wake.map(\.identity))
            }
            // Deleted without the collector's finalizers: the apiserver (or a kubelet) finishes it.
            return .nothing
        }
        guard !item.owners.isEmpty else { return .nothing }
        var solid: [String] = [], waiting: [String] = [], dangling: [String] = []
        for ref in item.owners {
            let ownerUID = ref.uid ?? ""
            switch owners[ownerUID] ?? .unknown {
            case .present, .unknown: solid.append(ownerUID)
            case .deletingDependents: waiting.append(ownerUID)
            case .absent: dangling.append(ownerUID)
            }
        }
        if !solid.isEmpty {
            let stale = dangling + waiting
            return stale.isEmpty ? .nothing : .removeOwnerReferences(stale)
        }
        if !waiting.isEmpty && !dependents.isEmpty {
            // An owner waits for this item, which has dependents of its own: they go first.
            return .delete(propagation: "Foreground")
        }
        if item.finalizers.contains(GarbageFinalizers.orphan) { return .delete(propagation: "Orphan") }
        if item.finalizers.contains(GarbageFinalizers.foreground) { return .delete(propagation: "Foreground") }
        return .delete(propagation: "Background")
    }
}
