/// SchedulingAlgorithm: one scheduling decision, a pure function of a pod and a Snapshot (with a
/// random tie-break), shaped as Kubernetes' `schedulePod` and nomad's iterator chain:
///
///     nodes, round-robin from where the last cycle stopped
///       -> filters, in order; the first that rejects a node records its reasons
///       -> stop once feasibleNodesToFind nodes passed (or every node was tried)
///       -> scores: each plugin scores every feasible node, normalizes to 0...100, times weight
///       -> the highest total wins; ties broken at random (reservoir sampling, as Kubernetes)
///
/// No feasible node is not an error of the scheduler: it is a FitError, the pod's outcome.
///
/// Concurrency: a value owned by one scheduling loop; `schedule` mutates only the round-robin
/// start. Must never: write anything, read a clock, or keep a reference into the snapshot.
public struct SchedulingAlgorithm: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// The chosen node, and how many nodes were feasible among those examined.
        case scheduled(node: String, feasible: Int, examined: Int)
        case unschedulable(FitError)
    }

    public let profile: SchedulingProfile
    /// Where the next cycle starts walking the snapshot's nodes.
    public private(set) var nextStartNodeIndex = 0

    public init(profile: SchedulingProfile = .default) { self.profile = profile }

    public mutating func schedule(_ pod: PodInfo, in snapshot: Snapshot,
                                  using random: inout some RandomNumberGenerator) -> Outcome {
        let nodes = snapshot.nodes
        guard !nodes.isEmpty else { return .unschedulable(FitError(numAllNodes: 0)) }
        let wanted = profile.feasibleNodesToFind(among: nodes.count)
        var feasible: [Int] = []
        feasible.reserveCapacity(min(wanted, nodes.count))
        var rejected: [String: [String]] = [:]
        var examined = 0
        let start = nextStartNodeIndex % nodes.count
        while examined < nodes.count && feasible.count < wanted {
            let index = (start + examined) % nodes.count
            examined += 1
            let reasons = firstRejection(pod, nodes[index])
            if reasons.isEmpty { feasible.append(index) } else { rejected[nodes[index].name] = reasons }
        }
        nextStartNodeIndex = (start + examined) % nodes.count
        guard !feasible.isEmpty else {
            return .unschedulable(FitError(numAllNodes: nodes.count, reasonsByNode: rejected))
        }
        if feasible.count == 1 {
            return .scheduled(node: nodes[feasible[0]].name, feasible: 1, examined: examined)
        }
        let totals = scores(pod, nodes, feasible)
        let best = Self.selectHost(totals, using: &random)
        return .scheduled(node: nodes[feasible[best]].name, feasible: feasible.count, examined: examined)
    }

    /// The reasons of the first filter that rejects the node; empty when all pass.
    func firstRejection(_ pod: PodInfo, _ node: NodeInfo) -> [String] {
        // Indices, not `for filter in`: the loop variable would copy the existential per node.
        let filters = profile.filters
        for index in filters.indices {
            let reasons = filters[index].filter(pod, node)
            if !reasons.isEmpty { return reasons }
        }
        return []
    }

    /// The weighted sum of every plugin's normalized scores, per feasible node (indices into
    /// `nodes`, which are read in place rather than copied).
    func scores(_ pod: PodInfo, _ nodes: [NodeInfo], _ feasible: [Int]) -> [Int64] {
        var totals = [Int64](repeating: 0, count: feasible.count)
        var raw = [Int64](repeating: 0, count: feasible.count)
        for weighted in profile.scores where weighted.plugin.applies(to: pod) {
            for (slot, index) in feasible.enumerated() { raw[slot] = weighted.plugin.score(pod, nodes[index]) }
            weighted.plugin.normalize(&raw)
            for slot in totals.indices { totals[slot] += raw[slot] * weighted.weight }
        }
        return totals
    }

    /// The index of a highest score, each of the tied ones equally likely.
    static func selectHost(_ totals: [Int64], using random: inout some RandomNumberGenerator) -> Int {
        var best = 0
        var ties = 1
        for index in totals.indices.dropFirst() {
            if totals[index] > totals[best] {
                best = index
                ties = 1
            } else if totals[index] == totals[best] {
                ties += 1
                if random.next(upperBound: UInt64(ties)) == 0 { best = index }
            }
        }
        return best
    }
}
