/// NodeResourcesFit, as Kubernetes' plugin with its default LeastAllocated strategy:
/// - filter: the node must have room for one more pod ("Too many pods" against
///   allocatable["pods"]) and, for every resource the pod requests, allocatable minus what its
///   assigned pods request must cover it ("Insufficient cpu", "Insufficient memory",
///   "Insufficient ephemeral-storage", "Insufficient <extended resource>"); every shortfall is a
///   reason, so one node can give several;
/// - score: the free share of CPU and memory left after placing the pod, averaged (equal
///   weights), with non-zero requests so best-effort pods still spread.
///
/// Concurrency: a pure Sendable value. Must never: count the scoring defaults (100m, 200Mi) in fit.
public struct NodeResourcesFit: FilterPlugin, ScorePlugin {
    public static let tooManyPods = "Too many pods"
    public static func insufficient(_ resource: String) -> String { "Insufficient \(resource)" }

    public var name: String { "NodeResourcesFit" }
    public init() {}

    public func filter(_ pod: PodInfo, _ node: NodeInfo) -> [String] {
        var reasons: [String] = []
        if Int64(node.podCount) + 1 > node.allowedPodCount { reasons.append(Self.tooManyPods) }
        let wanted = pod.requests.requests
        let free = node.allocatable
        let used = node.requested
        if wanted.milliCPU > 0 && wanted.milliCPU > free.milliCPU - used.milliCPU {
            reasons.append("Insufficient cpu")
        }
        if wanted.memory > 0 && wanted.memory > free.memory - used.memory {
            reasons.append("Insufficient memory")
        }
        if wanted.ephemeralStorage > 0 && wanted.ephemeralStorage > free.ephemeralStorage - used.ephemeralStorage {
            reasons.append("Insufficient ephemeral-storage")
        }
        if !wanted.scalars.isEmpty {
            for (resource, amount) in wanted.scalars.sorted(by: { $0.key < $1.key }) where amount > 0 {
                if amount > free.scalars[resource, default: 0] - used.scalars[resource, default: 0] {
                    reasons.append(Self.insufficient(resource))
                }
            }
        }
        return reasons
    }

    public func score(_ pod: PodInfo, _ node: NodeInfo) -> Int64 {
        let cpu = Self.leastAllocated(requested: node.nonZeroMilliCPU + pod.requests.nonZeroMilliCPU,
                                      capacity: node.allocatable.milliCPU)
        let memory = Self.leastAllocated(requested: node.nonZeroMemory + pod.requests.nonZeroMemory,
                                         capacity: node.allocatable.memory)
        return (cpu + memory) / 2
    }

    /// The share of `capacity` left free, 0...100; 0 when nothing is left or there is no capacity.
    static func leastAllocated(requested: Int64, capacity: Int64) -> Int64 {
        guard capacity > 0, requested <= capacity else { return 0 }
        return (capacity - requested) * maxNodeScore / capacity
    }
}
