/// HorizontalPodAutoscalerController: scales a Deployment, ReplicaSet, ReplicationController or
/// StatefulSet through its scale subresource so that its pods' average cpu or memory use stays
/// near a target share of their requests (autoscaling/v2 `Resource` metrics with
/// averageUtilization), as Kubernetes' HPA controller: every sync period (15 s, option
/// "sync-seconds") it reads the target's scale and selector, the pods' usage from the kubelets,
/// computes each metric's recommendation (`ReplicaCalculator`), takes the largest, applies the
/// behavior (`ScalingBehavior`) and writes replicas and status.
///
/// Recommendation history lives in this process, as in Kubernetes: a restart or a shard handoff
/// starts a new stabilization window.
///
/// Concurrency: Sendable; one reconcile per HPA at a time (the work queue's promise).
/// Must never: scale a target it cannot measure (it reports why in ScalingActive instead).
import Foundation
import Logging
import SkiffAPI
import SkiffClient
import SkiffWire
import Synchronization

public enum AutoscalingControllers {
    public static let horizontalPodAutoscaler = ControllerKind(
        name: "horizontal-pod-autoscaler", summary: "scales workloads to keep their pods' cpu/memory use near a target") { context in
        HorizontalPodAutoscalerController(context: context, metrics: KubeletMetricsSource(logger: context.logger, token: context.client.config.token))
    }
}

public final class HorizontalPodAutoscalerController: Controller {
    private let context: ControllerContext
    private let metrics: any PodMetricsSource
    private let autoscalers: Informer<HorizontalPodAutoscaler>
    private let pods: Informer<Pod>
    private let nodes: Informer<Node>
    private let histories = Mutex<[ObjectKey: ScalingHistory]>([:])
    private let timeline: Timeline
    private let syncPeriod: Duration

    public init(context: ControllerContext, metrics: any PodMetricsSource) {
        self.context = context
        self.metrics = metrics
        timeline = Timeline(context.clock)
        syncPeriod = .seconds(Int(context.options["sync-seconds"] ?? "") ?? 15)
        autoscalers = context.informers.informer(HorizontalPodAutoscaler.self)
        pods = context.informers.informer(Pod.self)
        nodes = context.informers.informer(Node.self)
        autoscalers.addEventHandler(onAdd: { context.enqueue($0) },
                                    onUpdate: { old, new in if old.spec != new.spec { context.enqueue(new) } },
                                    onDelete: { [weak self] hpa in self?.forget(ObjectKey(hpa)) })
    }

    public func allKeys() -> [ObjectKey] { autoscalers.indexer.keys() }

    private func forget(_ key: ObjectKey) { histories.withLock { _ = $0.removeValue(forKey: key) } }

    public func reconcile(_ key: ObjectKey) async throws -> Reconciled {
        guard let hpa = autoscalers.indexer.get(key), hpa.metadata?.deletionTimestamp == nil else { return .done }
        let now = context.wallClock.now()
        var status = hpa.status ?? HorizontalPodAutoscalerStatus()
        status.observedGeneration = hpa.metadata?.generation

        guard let ref = hpa.spec?.scaleTargetRef, let resource = Self.scalable(ref) else {
            setCondition(&status, "AbleToScale", "False", "FailedGetScale",
                         "the HPA controller cannot scale \(hpa.spec?.scaleTargetRef?.kind ?? "nothing")", now)
            try await writeStatus(hpa, status)
            return .after(syncPeriod)
        }
        let scale: Scale
        do {
            scale = try await context.client.getScale(resource, name: ref.name ?? "", namespace: key.namespace)
        } catch {
            setCondition(&status, "AbleToScale", "False", "FailedGetScale", "the HPA controller was unable to get the target's current scale: \(error)", now)
            try await writeStatus(hpa, status)
            return .after(syncPeriod)
        }
        setCondition(&status, "AbleToScale", "True", "SucceededGetScale", "the HPA controller was able to get the target's current scale", now)
        let current = scale.spec?.replicas ?? 0
        status.currentReplicas = scale.status?.replicas ?? current

        // A target scaled to zero is switched off: autoscaling waits, as in Kubernetes.
        if current == 0 {
            setCondition(&status, "ScalingActive", "False", "ScalingDisabled", "scaling is disabled since the replica count of the target is zero", now)
            status.desiredReplicas = 0
            try await writeStatus(hpa, status)
            return .after(syncPeriod)
        }

        let recommendation: (replicas: Int32, metrics: [MetricStatus])
        do {
            let selector = try LabelQuery.parse(scale.status?.selector ?? "")
            recommendation = try await recommend(hpa, current: current, selector: selector, namespace: key.namespace)
            setCondition(&status, "ScalingActive", "True", "ValidMetricFound",
                         "the HPA was able to successfully calculate a replica count from its metrics", now)
            status.currentMetrics = recommendation.metrics
        } catch {
            setCondition(&status, "ScalingActive", "False", "FailedGetResourceMetric", "\(error)", now)
            context.events.warning(hpa, "FailedGetResourceMetric", "\(error)")
            try await writeStatus(hpa, status)
            return .after(syncPeriod)
        }

        let seconds = Int64(timeline.elapsed().components.seconds)
        let outcome = histories.withLock { histories in
            var history = histories[key] ?? ScalingHistory()
            defer { histories[key] = history }
            return ScalingBehavior.decide(current: current, recommended: recommendation.replicas,
                                          minReplicas: hpa.spec?.minReplicas ?? 1, maxReplicas: hpa.spec?.maxReplicas ?? current,
                                          behavior: hpa.spec?.behavior, history: &history, now: seconds)
        }
        if let limited = outcome.limitedBy {
            setCondition(&status, "ScalingLimited", "True", limited, "the desired replica count is limited (\(limited))", now)
        } else {
            setCondition(&status, "ScalingLimited", "False", "DesiredWithinRange", "the desired count is within the acceptable range", now)
        }
        status.desiredReplicas = outcome.replicas
        if outcome.replicas != current {
            _ = try await context.client.updateScale(resource, name: ref.name ?? "", namespace: key.namespace,
                                                     replicas: outcome.replicas, resourceVersion: scale.metadata?.resourceVersion)
            status.lastScaleTime = now
            let reason = recommendation.metrics.first?.resource.map { "\($0.name ?? "") resource utilization (percentage of request) above target" } ?? "metrics"
            context.events.normal(hpa, "SuccessfulRescale", "New size: \(outcome.replicas); reason: \(outcome.replicas > current ? reason : "All metrics below target")")
        }
        try await writeStatus(hpa, status)
        return .after(syncPeriod)
    }

    /// The largest replica count any metric asks for, and the metrics as measured.
    private func recommend(_ hpa: HorizontalPodAutoscaler, current: Int32, selector: LabelQuery,
                           namespace: String) async throws -> (replicas: Int32, metrics: [MetricStatus]) {
        let specs = hpa.spec?.metrics.isEmpty == false ? hpa.spec!.metrics
            : [MetricSpec(type: "Resource", resource: ResourceMetricSource(name: "cpu", target: MetricTarget(type: "Utilization", averageUtilization: 80)))]
        let targetPods = pods.indexer.byIndex(.byNamespace, namespace).filter {
            selector.matches($0.metadata?.labels ?? [:]) && $0.metadata?.deletionTimestamp == nil
                && $0.status?.phase != "Failed" && $0.status?.phase != "Succeeded"
        }
        let nodeNames = Set(targetPods.compactMap { $0.spec?.nodeName })
        let usage = await metrics.podMetrics(namespace: namespace, nodes: nodes.indexer.list().filter { nodeNames.contains($0.metadata?.name ?? "") })
        var best: Int32 = 0
        var statuses: [MetricStatus] = []
        for spec in specs {
            guard spec.type == "Resource", let source = spec.resource, let name = source.name,
                  source.target?.type == "Utilization", let target = source.target?.averageUtilization else {
                throw ReconcileError("only Resource metrics with a Utilization target are supported (got \(spec.type ?? "nothing"))")
            }
            let samples = targetPods.map { pod in
                PodSample(name: pod.metadata?.name ?? "",
                          request: (pod.spec?.containers ?? []).reduce(Int64(0)) { $0 + ($1.resources?.requests[name]?.milliValue ?? 0) },
                          usage: usage[pod.metadata?.name ?? ""].map { $0.containers.reduce(Int64(0)) { $0 + ($1.usage[name]?.milliValue ?? 0) } },
                          ready: PodState.isReady(pod))
            }
            let result = try ReplicaCalculator.replicas(current: current, targetUtilization: target, resource: name, pods: samples)
            best = max(best, result.replicas)
            let average = name == "cpu" ? Quantity("\(result.averageUsage)m") : Quantity("\(result.averageUsage / 1000)")
            statuses.append(MetricStatus(type: "Resource", resource: ResourceMetricStatus(
                name: name, current: MetricValueStatus(averageValue: average, averageUtilization: result.utilization))))
        }
        return (best, statuses)
    }

    static func scalable(_ ref: CrossVersionObjectReference) -> ResourceInfo? {
        guard let info = ResourceCatalog.all.first(where: { $0.kind == ref.kind && (ref.apiVersion == nil || $0.apiVersion == ref.apiVersion) }),
              info.subresources.contains("scale") else { return nil }
        return info
    }

    private func setCondition(_ status: inout HorizontalPodAutoscalerStatus, _ type: String, _ value: String,
                              _ reason: String, _ message: String, _ now: Time) {
        let previous = status.conditions.first { $0.type == type }
        status.conditions.removeAll { $0.type == type }
        status.conditions.append(HorizontalPodAutoscalerCondition(
            type: type, status: value, lastTransitionTime: previous?.status == value ? previous?.lastTransitionTime : now,
            reason: reason, message: message))
    }

    private func writeStatus(_ hpa: HorizontalPodAutoscaler, _ status: HorizontalPodAutoscalerStatus) async throws {
        guard status != hpa.status else { return }
        var updated = hpa
        updated.status = status
        do {
            _ = try await context.client.updateStatus(updated)
        } catch let error as APIError where error.reason == .notFound {}
    }
}
