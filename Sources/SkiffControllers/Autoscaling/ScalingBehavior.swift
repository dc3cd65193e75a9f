/// ScalingBehavior: turns a raw recommendation into the replica count an HPA writes, as
/// Kubernetes' `behavior` does: stabilization (scale down only to the highest recommendation of
/// the window, default 300 s; scale up to the lowest, default 0 s), then rate policies over their
/// periods (defaults: up by max(100%, 4 pods) per 15 s; down by 100% per 15 s), then min/max.
///
/// Concurrency: pure; the recommendation and scale-event histories are passed in and out.
/// Must never: scale past min or max replicas.
import SkiffWire

public struct ScalingHistory: Sendable, Equatable {
    /// (when, recommended replicas), newest last.
    public var recommendations: [(at: Int64, replicas: Int32)] = []
    /// (when, replica change), newest last: what the policies' periods count.
    public var changes: [(at: Int64, delta: Int32)] = []
    public init() {}

    public static func == (a: ScalingHistory, b: ScalingHistory) -> Bool {
        a.recommendations.elementsEqual(b.recommendations) { $0 == $1 } && a.changes.elementsEqual(b.changes) { $0 == $1 }
    }
}

public enum ScalingBehavior {
    public struct Outcome: Sendable, Equatable {
        public var replicas: Int32
        /// Why it is not what the metrics asked for, if it is not (ScalingLimited's reason).
        public var limitedBy: String?
    }

    /// - Parameter now: seconds on the controller's clock (any epoch; only differences matter).
    public static func decide(current: Int32, recommended: Int32, minReplicas: Int32, maxReplicas: Int32,
                              behavior: HorizontalPodAutoscalerBehavior?, history: inout ScalingHistory,
                              now: Int64) -> Outcome {
        let up = behavior?.scaleUp, down = behavior?.scaleDown
        let upWindow = Int64(up?.stabilizationWindowSeconds ?? 0)
        let downWindow = Int64(down?.stabilizationWindowSeconds ?? 300)
        history.recommendations.append((now, recommended))
        let keep = max(upWindow, downWindow)
        history.recommendations.removeAll { now - $0.at > keep }
        history.changes.removeAll { now - $0.at > 1800 }

        // Stabilized: up only as far as every recommendation of the up window agrees, down only
        // as far as every one of the down window agrees.
        let upRecommendation = history.recommendations.filter { now - $0.at <= upWindow }.map(\.replicas).min() ?? recommended
        let downRecommendation = history.recommendations.filter { now - $0.at <= downWindow }.map(\.replicas).max() ?? recommended
        var desired = current
        var limitedBy: String?
        if upRecommendation > current { desired = upRecommendation }
        if downRecommendation < current { desired = downRecommendation }
        if desired != recommended {
            limitedBy = recommended > current ? "ScaleUpStabilized" : recommended < current ? "ScaleDownStabilized" : nil
        }

        if desired > current {
            let limit = rateLimit(up, current: current, history: history, now: now, scalingUp: true)
            if desired > limit { desired = limit; limitedBy = "ScaleUpLimit" }
        } else if desired < current {
            let limit = rateLimit(down, current: current, history: history, now: now, scalingUp: false)
            if desired < limit { desired = limit; limitedBy = "ScaleDownLimit" }
        }
        if desired > maxReplicas { desired = maxReplicas; limitedBy = "TooManyReplicas" }
        if desired < minReplicas { desired = minReplicas; limitedBy = "TooFewReplicas" }
        if desired != current { history.changes.append((now, desired - current)) }
        return Outcome(replicas: desired, limitedBy: limitedBy)
    }

    /// The furthest the policies allow from `current`, given the changes within each period.
    static func rateLimit(_ rules: HPAScalingRules?, current: Int32, history: ScalingHistory, now: Int64,
                          scalingUp: Bool) -> Int32 {
        if rules?.selectPolicy == "Disabled" { return current }
        let policies = rules?.policies.isEmpty == false ? rules!.policies
            : scalingUp ? [HPAScalingPolicy(type: "Percent", value: 100, periodSeconds: 15), HPAScalingPolicy(type: "Pods", value: 4, periodSeconds: 15)]
                        : [HPAScalingPolicy(type: "Percent", value: 100, periodSeconds: 15)]
        let limits = policies.map { policy -> Int32 in
            let period = Int64(policy.periodSeconds ?? 15)
            let moved = history.changes.filter { now - $0.at < period && ($0.delta > 0) == scalingUp }.reduce(Int32(0)) { $0 + $1.delta }
            let base = current - moved  // the count at the start of the period
            let value = policy.value ?? 0
            if scalingUp {
                return policy.type == "Pods" ? base + value : Int32((Double(base) * (1 + Double(value) / 100)).rounded(.up))
            }
            return policy.type == "Pods" ? base - value : Int32((Double(base) * (1 - Double(value) / 100)).rounded(.up))
        }
        let pickMin = rules?.selectPolicy == "Min"
        return scalingUp ? (pickMin ? limits.min()! : limits.max()!) : (pickMin ? limits.max()! : limits.min()!)
    }
}
