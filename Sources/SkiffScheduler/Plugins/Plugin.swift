/// The two kinds of scheduling plugin, as Kubernetes' scheduling framework and nomad's feasibility
/// and rank iterators: a FilterPlugin says whether a node can take a pod at all (and if not, the
/// reasons a user reads in the FitError), a ScorePlugin ranks the nodes that passed, 0 to 100
/// after normalizing, and its weight in the profile says how much the rank counts.
///
/// Concurrency: plugins are immutable Sendable values called from one scheduling cycle at a
/// time. Must never: do I/O, read a clock or keep state between calls: a plugin is a pure
/// function of the pod and the node, so the pipeline is table-testable.
public protocol FilterPlugin: Sendable {
    var name: String { get }
    /// Why `node` cannot take `pod`, in Kubernetes' words; empty when it can.
    func filter(_ pod: PodInfo, _ node: NodeInfo) -> [String]
}

public protocol ScorePlugin: Sendable {
    var name: String { get }
    /// False to skip this plugin for the pod (every node scores 0), e.g. no preferences at all.
    func applies(to pod: PodInfo) -> Bool
    /// The raw score; `normalize` brings the raw scores of all feasible nodes to 0...100.
    func score(_ pod: PodInfo, _ node: NodeInfo) -> Int64
    func normalize(_ scores: inout [Int64])
}

extension ScorePlugin {
    public func applies(to pod: PodInfo) -> Bool { true }
    public func normalize(_ scores: inout [Int64]) {}
}

/// The score scale: every plugin's normalized score is within 0...maxNodeScore.
public let maxNodeScore: Int64 = 100

/// Kubernetes' `DefaultNormalizeScore`: scales so the highest raw score becomes 100; `reverse`
/// then flips it (for raw scores that count something bad). All zeros stay 0, or 100 reversed.
func normalizeToMax(_ scores: inout [Int64], reverse: Bool) {
    let highest = scores.max() ?? 0
    guard highest > 0 else {
        if reverse { for index in scores.indices { scores[index] = maxNodeScore } }
        return
    }
    for index in scores.indices {
        let scaled = maxNodeScore * scores[index] / highest
        scores[index] = reverse ? maxNodeScore - scaled : scaled
    }
}
