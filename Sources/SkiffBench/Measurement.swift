/// Small statistics over measured samples, and the report's table rows.
import Foundation

public struct LatencySummary: Sendable {
    public var medianMicros: Double
    public var p99Micros: Double
    public var count: Int

    public init(nanoseconds samples: [Int64]) {
        let sorted = samples.sorted()
        count = sorted.count
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000
        }
        medianMicros = percentile(0.5)
        p99Micros = percentile(0.99)
    }
}

/// One line of the report: what was measured, Skiff's figure, the baseline's, their ratio and
/// whether it meets the goal.
public struct ComparisonRow: Sendable {
    public var name: String
    public var unit: String
    public var skiff: Double
    public var baseline: Double
    public var baselineName: String
    /// skiff / baseline for costs (lower is better), baseline / skiff inverted for rates.
    public var ratio: Double
    public var goal: String
    public var met: Bool
    /// Secondary figures (p99, sizes, counts), printed under the row.
    public var detail = ""

    public init(name: String, unit: String, skiff: Double, baseline: Double, baselineName: String, ratio: Double,
                goal: String, met: Bool) {
        self.name = name
        self.unit = unit
        self.skiff = skiff
        self.baseline = baseline
        self.baselineName = baselineName
        self.ratio = ratio
        self.goal = goal
        self.met = met
    }

    public var line: String {
        let unit = self.unit.padding(toLength: 4, withPad: " ", startingAt: 0)
        let figures = String(format: "%12.1f ", skiff) + unit + String(format: " %12.1f ", baseline) + unit
        return "\(name.padding(toLength: 44, withPad: " ", startingAt: 0)) \(figures) "
            + String(format: "%6.2fx", ratio) + "  \(goal) \(met ? "met" : "NOT met")"
    }
}
