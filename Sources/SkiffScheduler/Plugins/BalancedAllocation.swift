/// NodeResourcesBalancedAllocation (score), as Kubernetes' plugin: prefers nodes whose CPU and
/// memory would be used in equal shares after placing the pod, so neither runs out while the
/// other idles: 100 * (1 - the standard deviation of the used fractions), each fraction capped
/// at 1; with one of the two not offered by the node, the other alone is balanced (100). Requests are the non-zero ones.
///
/// Concurrency: a pure Sendable value. Must never: score above 100 or below 0.
import Foundation

public struct BalancedAllocation: ScorePlugin {
    public var name: String { "NodeResourcesBalancedAllocation" }
    public init() {}

    public func score(_ pod: PodInfo, _ node: NodeInfo) -> Int64 {
        let allocatable = node.allocatable
        let cpu = Self.fraction(node.nonZeroMilliCPU + pod.requests.nonZeroMilliCPU, of: allocatable.milliCPU)
        let memory = Self.fraction(node.nonZeroMemory + pod.requests.nonZeroMemory, of: allocatable.memory)
        // The two-resource case without arrays: it runs for every feasible node of every cycle.
        guard let cpu, let memory else { return maxNodeScore }
        return Int64((1 - abs(cpu - memory) / 2) * Double(maxNodeScore))
    }

    static func fraction(_ requested: Int64, of allocatable: Int64) -> Double? {
        guard allocatable > 0 else { return nil }
        return min(1, Double(requested) / Double(allocatable))
    }
}
