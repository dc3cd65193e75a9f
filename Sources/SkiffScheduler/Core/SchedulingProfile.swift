/// SchedulingProfile: which plugins run, in which order, and how much each score counts: the
/// default is Kubernetes' default profile restricted to what Skiff models (filters in
/// Kubernetes' order, with NodeReady first as the old CheckNodeCondition predicate was; score
/// weights TaintToleration 3, NodeAffinity 2, SelectorSpread 2 (PodTopologySpread's weight),
/// NodeResourcesFit 1, NodeResourcesBalancedAllocation 1).
///
/// Concurrency: an immutable Sendable value. Must never: hold a plugin twice in one list.
public struct SchedulingProfile: Sendable {
    public struct WeightedScore: Sendable {
        public var plugin: any ScorePlugin
        public var weight: Int64
        public init(_ plugin: any ScorePlugin, weight: Int64) {
            self.plugin = plugin
            self.weight = weight
        }
    }

    public var filters: [any FilterPlugin]
    public var scores: [WeightedScore]
    /// The share of nodes to find feasible before scoring stops looking, 1...100; nil for
    /// Kubernetes' adaptive default (50% minus 1% per 125 nodes, at least 5%, at least 100 nodes).
    public var percentageOfNodesToScore: Int?

    public init(filters: [any FilterPlugin], scores: [WeightedScore], percentageOfNodesToScore: Int? = nil) {
        self.filters = filters
        self.scores = scores
        self.percentageOfNodesToScore = percentageOfNodesToScore
    }

    public static let `default` = SchedulingProfile(
        filters: [NodeReady(), NodeUnschedulable(), NodeName(), TaintToleration(), NodeAffinityPlugin(), NodePorts(),
                  NodeResourcesFit()],
        scores: [
            WeightedScore(TaintToleration(), weight: 3),
            WeightedScore(NodeAffinityPlugin(), weight: 2),
            WeightedScore(SelectorSpread(), weight: 2),
            WeightedScore(NodeResourcesFit(), weight: 1),
            WeightedScore(BalancedAllocation(), weight: 1),
        ])

    /// Kubernetes' minFeasibleNodesToFind and minFeasibleNodesPercentageToFind.
    static let minimumNodesToFind = 100
    static let minimumPercentage = 5

    /// How many feasible nodes a cycle looks for among `nodeCount`, as Kubernetes'
    /// `numFeasibleNodesToFind`: in a big cluster a good node found early beats the best node
    /// found late.
    public func feasibleNodesToFind(among nodeCount: Int) -> Int {
        if nodeCount < Self.minimumNodesToFind { return nodeCount }
        let percentage = percentageOfNodesToScore ?? max(Self.minimumPercentage, 50 - nodeCount / 125)
        if percentage >= 100 { return nodeCount }
        return max(nodeCount * percentage / 100, Self.minimumNodesToFind)
    }
}
