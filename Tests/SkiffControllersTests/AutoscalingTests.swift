/// The autoscaler's arithmetic: Kubernetes' replica calculator and scaling behavior.
import SkiffControllers
import SkiffWire
import Testing

@Suite struct ReplicaCalculatorTests {
    func pods(_ usages: [Int64?], request: Int64 = 100, ready: Bool = true) -> [PodSample] {
        usages.enumerated().map { PodSample(name: "p\($0.offset)", request: request, usage: $0.element, ready: ready) }
    }

    @Test func scalesInProportionToUtilizationOverTarget() throws {
        // 2 pods at 100% of their request against a 50% target: 4 pods.
        let result = try ReplicaCalculator.replicas(current: 2, targetUtilization: 50, resource: "cpu", pods: pods([100, 100]))
        #expect(result.replicas == 4)
        #expect(result.utilization == 100)
        #expect(result.averageUsage == 100)
    }

    @Test func staysWithinTheTolerance() throws {
        let result = try ReplicaCalculator.replicas(current: 3, targetUtilization: 50, resource: "cpu", pods: pods([53, 54, 52]))
        #expect(result.replicas == 3)
    }

    @Test func scalesDownWhenIdle() throws {
        let result = try ReplicaCalculator.replicas(current: 4, targetUtilization: 50, resource: "cpu", pods: pods([10, 10, 10, 10]))
        #expect(result.replicas == 1)
    }

    @Test func missingPodsDampenAScaleDown() throws {
        // Two idle pods (10%), two unmeasured counted as fully busy: 220 of 400 is 55%, above the
        // target, so the scale down flips direction and it stays at 4 instead of going to 1.
        let result = try ReplicaCalculator.replicas(current: 4, targetUtilization: 50, resource: "memory", pods: pods([10, 10, nil, nil]))
        #expect(result.replicas == 4)
        // With one missing pod, 120 of 300 is 40%: still down, but to ceil(0.8 x 3) = 3, not 1.
        let fewer = try ReplicaCalculator.replicas(current: 4, targetUtilization: 50, resource: "memory", pods: pods([10, 10, nil]))
        #expect(fewer.replicas == 3)
    }

    @Test func unreadyPodsDoNotDriveACpuScaleUp() throws {
        // One busy ready pod, three just-started not-ready ones: they count as idle.
        var samples = pods([200])
        samples += pods([300, 300, 300], ready: false).enumerated().map { var pod = $0.element; pod.name = "new\($0.offset)"; return pod }
        let result = try ReplicaCalculator.replicas(current: 4, targetUtilization: 100, resource: "cpu", pods: samples)
        #expect(result.replicas == 4, "200 of 400 millicores requested is 50%: a scale down, flipped: stay")
    }

    @Test func aPodWithoutARequestMakesTheMetricUnusable() {
        #expect(throws: ReplicaCalculator.Failure.missingRequest(resource: "cpu", pod: "p0")) {
            try ReplicaCalculator.replicas(current: 1, targetUtilization: 50, resource: "cpu", pods: pods([10], request: 0))
        }
        #expect(throws: ReplicaCalculator.Failure.noMetrics(resource: "cpu")) {
            try ReplicaCalculator.replicas(current: 1, targetUtilization: 50, resource: "cpu", pods: pods([nil]))
        }
    }
}

@Suite struct ScalingBehaviorTests {
    @Test func scaleUpIsLimitedToDoubleOrFourPodsPerPeriod() {
        var history = ScalingHistory()
        let first = ScalingBehavior.decide(current: 1, recommended: 20, minReplicas: 1, maxReplicas: 50, behavior: nil,
                                           history: &history, now: 0)
        #expect(first.replicas == 5, "max(2x1, 1+4)")
        #expect(first.limitedBy == "ScaleUpLimit")
        let sameWindow = ScalingBehavior.decide(current: 5, recommended: 20, minReplicas: 1, maxReplicas: 50, behavior: nil,
                                                history: &history, now: 5)
        #expect(sameWindow.replicas == 5, "the 15 s period already moved from 1 to 5")
        let nextWindow = ScalingBehavior.decide(current: 5, recommended: 20, minReplicas: 1, maxReplicas: 50, behavior: nil,
                                                history: &history, now: 16)
        #expect(nextWindow.replicas == 10)
    }

    @Test func scaleDownWaitsOutTheStabilizationWindow() {
        var history = ScalingHistory()
        _ = ScalingBehavior.decide(current: 6, recommended: 6, minReplicas: 1, maxReplicas: 10, behavior: nil, history: &history, now: 0)
        let early = ScalingBehavior.decide(current: 6, recommended: 2, minReplicas: 1, maxReplicas: 10, behavior: nil,
                                           history: &history, now: 100)
        #expect(early.replicas == 6)
        #expect(early.limitedBy == "ScaleDownStabilized")
        let later = ScalingBehavior.decide(current: 6, recommended: 2, minReplicas: 1, maxReplicas: 10, behavior: nil,
                                           history: &history, now: 301)
        #expect(later.replicas == 2)
    }

    @Test func aShortWindowFromTheSpecScalesDownSooner() {
        var history = ScalingHistory()
        let behavior = HorizontalPodAutoscalerBehavior(scaleDown: HPAScalingRules(stabilizationWindowSeconds: 5))
        _ = ScalingBehavior.decide(current: 4, recommended: 4, minReplicas: 1, maxReplicas: 10, behavior: behavior, history: &history, now: 0)
        let result = ScalingBehavior.decide(current: 4, recommended: 1, minReplicas: 1, maxReplicas: 10, behavior: behavior,
                                            history: &history, now: 6)
        #expect(result.replicas == 1)
    }

    @Test func minAndMaxBound() {
        var history = ScalingHistory()
        let high = ScalingBehavior.decide(current: 3, recommended: 5, minReplicas: 1, maxReplicas: 4, behavior: nil,
                                          history: &history, now: 0)
        #expect(high.replicas == 4)
        #expect(high.limitedBy == "TooManyReplicas")
        var other = ScalingHistory()
        let low = ScalingBehavior.decide(current: 3, recommended: 3, minReplicas: 5, maxReplicas: 9, behavior: nil,
                                         history: &other, now: 0)
        #expect(low.replicas == 5)
    }

    @Test func disabledScaleDownNeverShrinks() {
        var history = ScalingHistory()
        let behavior = HorizontalPodAutoscalerBehavior(scaleDown: HPAScalingRules(stabilizationWindowSeconds: 0, selectPolicy: "Disabled"))
        let result = ScalingBehavior.decide(current: 4, recommended: 1, minReplicas: 1, maxReplicas: 10, behavior: behavior,
                                            history: &history, now: 0)
        #expect(result.replicas == 4)
    }
}
