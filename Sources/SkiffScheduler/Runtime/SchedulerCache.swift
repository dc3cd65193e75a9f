/// SchedulerCache: the scheduler's picture of the cluster, Kubernetes' scheduler cache: a
/// Snapshot of every node with the pods assigned to it, kept by the informers, plus the pods
/// this scheduler has *assumed*: placed on a node the moment the decision is made, so the next
/// decision already sees them, long before the binding's watch event confirms it. A confirmed
/// binding (the informer's pod with spec.nodeName) replaces the assumption, on whichever node the
/// API says; a failed binding `forget`s it.
///
/// The scheduling loop decides under the cache's lock (`decideAndAssume`), reading the Snapshot
/// in place: no copy per cycle, and no informer change lands halfway through a decision.
///
/// Concurrency: Sendable; informer handlers, the scheduling loop and binders call it from any
/// task; every call is one short critical section. Must never: count a pod twice, keep an
/// assumption the API contradicted, or drop a confirmed pod when a stale binding is forgotten.
import SkiffClient
import SkiffWire
import Synchronization

public final class SchedulerCache: Sendable {
    private struct PlacedPod {
        var info: PodInfo
        var node: String
        var assumed: Bool
    }

    private struct State {
        var snapshot = Snapshot()
        var pods: [ObjectKey: PlacedPod] = [:]

        mutating func place(_ info: PodInfo, on node: String, assumed: Bool) {
            if let old = pods[info.key] { snapshot.remove(info.key, from: old.node) }
            snapshot.add(info, to: node)
            pods[info.key] = PlacedPod(info: info, node: node, assumed: assumed)
        }

        mutating func unplace(_ key: ObjectKey) {
            guard let old = pods.removeValue(forKey: key) else { return }
            snapshot.remove(key, from: old.node)
        }
    }

    private let state = Mutex(State())

    public init() {}

    // MARK: nodes (node informer)

    public func upsertNode(_ node: Node) { state.withLock { $0.snapshot.upsert(node) } }
    public func removeNode(named name: String) { state.withLock { $0.snapshot.removeNode(named: name) } }

    // MARK: assigned pods (pod informer)

    /// A pod the API shows bound to a node: confirms an assumption, or moves it to the node
    /// the API says (another scheduler won), or adds it.
    public func confirmPod(_ pod: Pod) {
        let info = PodInfo(pod)
        guard !info.nodeName.isEmpty else { return }
        state.withLock { $0.place(info, on: info.nodeName, assumed: false) }
    }

    /// A pod that is gone (deleted, finished, or no longer watched).
    public func removePod(_ key: ObjectKey) { state.withLock { $0.unplace(key) } }

    // MARK: the scheduling loop and binders

    /// Runs `decide` on the current snapshot and, if it chose a node, assumes the pod there,
    /// in one critical section.
    public func decideAndAssume(_ pod: PodInfo,
                                _ decide: (Snapshot) -> SchedulingAlgorithm.Outcome) -> SchedulingAlgorithm.Outcome {
        state.withLock { state in
            let outcome = decide(state.snapshot)
            if case .scheduled(let node, _, _) = outcome { state.place(pod, on: node, assumed: true) }
            return outcome
        }
    }

    /// Drops the assumption for `key` after a failed binding; a pod the API has meanwhile
    /// confirmed somewhere stays.
    public func forget(_ key: ObjectKey) {
        state.withLock { state in
            guard state.pods[key]?.assumed == true else { return }
            state.unplace(key)
        }
    }

    /// Whether the pod is placed (assumed or confirmed), so a queued copy must not be scheduled.
    public func isPlaced(_ key: ObjectKey) -> Bool { state.withLock { $0.pods[key] != nil } }
    public func isAssumed(_ key: ObjectKey) -> Bool { state.withLock { $0.pods[key]?.assumed == true } }

    /// The node the pod is placed on, if any.
    public func node(of key: ObjectKey) -> String? { state.withLock { $0.pods[key]?.node } }

    /// A copy of the snapshot (tests and diagnostics; the loop uses `decideAndAssume`).
    public var snapshot: Snapshot { state.withLock { $0.snapshot } }
}
