/// WorkloadDefaults: Kubernetes' defaults for the objects that run pods from a template
/// (ReplicationController, Deployment, ReplicaSet, DaemonSet, StatefulSet, Job, CronJob) and
/// for the HorizontalPodAutoscaler that scales them. Every template gets the pod template
/// defaults of PodDefaults.
///
/// Concurrency: pure functions on values. Must never: overwrite a field the user set.
import SkiffWire

extension ReplicationController: DefaultedValue {
    mutating func setDefaults() {
        var spec = self.spec ?? ReplicationControllerSpec()
        // The template's labels stand in for a missing selector and missing object labels.
        if let labels = spec.template?.metadata?.labels, !labels.isEmpty {
            if spec.selector.isEmpty { spec.selector = labels }
            if metadata?.labels.isEmpty ?? true { metadata = metadata ?? ObjectMeta(); metadata?.labels = labels }
        }
        if spec.replicas == nil { spec.replicas = 1 }
        // The template is a pointer in Kubernetes: defaulted only when present.
        spec.template?.setDefaults()
        self.spec = spec
    }
}

extension Deployment: DefaultedValue {
    mutating func setDefaults() {
        var spec = self.spec ?? DeploymentSpec()
        if spec.replicas == nil { spec.replicas = 1 }
        var strategy = spec.strategy ?? DeploymentStrategy()
        setIfEmpty(&strategy.type, "RollingUpdate")
        if strategy.type == "RollingUpdate" {
            var rollingUpdate = strategy.rollingUpdate ?? RollingUpdateDeployment()
            if rollingUpdate.maxUnavailable == nil { rollingUpdate.maxUnavailable = .string("25%") }
            if rollingUpdate.maxSurge == nil { rollingUpdate.maxSurge = .string("25%") }
            strategy.rollingUpdate = rollingUpdate
        }
        spec.strategy = strategy
        if spec.revisionHistoryLimit == nil { spec.revisionHistoryLimit = 10 }
        if spec.progressDeadlineSeconds == nil { spec.progressDeadlineSeconds = 600 }
        spec.template.setDefaultsCreating()
        self.spec = spec
    }
}

extension ReplicaSet: DefaultedValue {
    mutating func setDefaults() {
        var spec = self.spec ?? ReplicaSetSpec()
        if spec.replicas == nil { spec.replicas = 1 }
        spec.template.setDefaultsCreating()
        self.spec = spec
    }
}

extension DaemonSet: DefaultedValue {
    mutating func setDefaults() {
        var spec = self.spec ?? DaemonSetSpec()
        var strategy = spec.updateStrategy ?? DaemonSetUpdateStrategy()
        setIfEmpty(&strategy.type, "RollingUpdate")
        if strategy.type == "RollingUpdate" {
            var rollingUpdate = strategy.rollingUpdate ?? RollingUpdateDaemonSet()
            if rollingUpdate.maxUnavailable == nil { rollingUpdate.maxUnavailable = .int(1) }
            if rollingUpdate.maxSurge == nil { rollingUpdate.maxSurge = .int(0) }
            strategy.rollingUpdate = rollingUpdate
        }
        spec.updateStrategy = strategy
        if spec.revisionHistoryLimit == nil { spec.revisionHistoryLimit = 10 }
        spec.template.setDefaultsCreating()
        self.spec = spec
    }
}

extension StatefulSet: DefaultedValue {
    mutating func setDefaults() {
        var spec = self.spec ?? StatefulSetSpec()
        setIfEmpty(&spec.podManagementPolicy, "OrderedReady")
        var strategy = spec.updateStrategy ?? StatefulSetUpdateStrategy()
        setIfEmpty(&strategy.type, "RollingUpdate")
        if strategy.type == "RollingUpdate" {
            var rollingUpdate = strategy.rollingUpdate ?? RollingUpdateStatefulSetStrategy()
            if rollingUpdate.partition == nil { rollingUpdate.partition = 0 }
            strategy.rollingUpdate = rollingUpdate
        }
        spec.updateStrategy = strategy
        var retention = spec.persistentVolumeClaimRetentionPolicy ?? StatefulSetPersistentVolumeClaimRetentionPolicy()
        setIfEmpty(&retention.whenDeleted, "Retain")
        setIfEmpty(&retention.whenScaled, "Retain")
        spec.persistentVolumeClaimRetentionPolicy = retention
        if spec.replicas == nil { spec.replicas = 1 }
        if spec.revisionHistoryLimit == nil { spec.revisionHistoryLimit = 10 }
        spec.template.setDefaultsCreating()
        for index in spec.volumeClaimTemplates.indices { spec.volumeClaimTemplates[index].setDefaults() }
        self.spec = spec
    }
}

extension Job: DefaultedValue {
    mutating func setDefaults() {
        var spec = self.spec ?? JobSpec()
        // A job that says neither how many pods at once nor how many completions runs one pod once.
        if spec.completions == nil && spec.parallelism == nil { spec.completions = 1 }
        if spec.parallelism == nil { spec.parallelism = 1 }
        if spec.backoffLimit == nil {
            // With a per-index limit, the global one must not stop the job first.
            spec.backoffLimit = spec.backoffLimitPerIndex == nil ? 6 : Int32.max
        }
        if let labels = spec.template?.metadata?.labels, !labels.isEmpty, metadata?.labels.isEmpty ?? true {
            metadata = metadata ?? ObjectMeta()
            metadata?.labels = labels
        }
        setIfEmpty(&spec.completionMode, "NonIndexed")
        if spec.suspend == nil { spec.suspend = false }
        if var policy = spec.podFailurePolicy {
            for rule in policy.rules.indices {
                for pattern in policy.rules[rule].onPodConditions.indices {
                    setIfEmpty(&policy.rules[rule].onPodConditions[pattern].status, "True")
                }
            }
            spec.podFailurePolicy = policy
        }
        // With a pod failure policy, a replacement waits for the old pod to fail for good.
        setIfEmpty(&spec.podReplacementPolicy, spec.podFailurePolicy == nil ? "TerminatingOrFailed" : "Failed")
        spec.template.setDefaultsCreating()
        self.spec = spec
    }
}

extension CronJob: DefaultedValue {
    mutating func setDefaults() {
        var spec = self.spec ?? CronJobSpec()
        setIfEmpty(&spec.concurrencyPolicy, "Allow")
        if spec.suspend == nil { spec.suspend = false }
        if spec.successfulJobsHistoryLimit == nil { spec.successfulJobsHistoryLimit = 3 }
        if spec.failedJobsHistoryLimit == nil { spec.failedJobsHistoryLimit = 1 }
        // Only the pod template: the job spec's own defaults apply when the Job is created.
        var jobTemplate = spec.jobTemplate ?? JobTemplateSpec()
        var jobSpec = jobTemplate.spec ?? JobSpec()
        jobSpec.template.setDefaultsCreating()
        jobTemplate.spec = jobSpec
        spec.jobTemplate = jobTemplate
        self.spec = spec
    }
}

extension HorizontalPodAutoscaler: DefaultedValue {
    mutating func setDefaults() {
        var spec = self.spec ?? HorizontalPodAutoscalerSpec()
        if spec.minReplicas == nil { spec.minReplicas = 1 }
        if spec.metrics.isEmpty {
            spec.metrics = [MetricSpec(type: "Resource", resource: ResourceMetricSource(
                name: "cpu", target: MetricTarget(type: "Utilization", averageUtilization: 80)))]
        }
        // A behavior, once given, is completed from the default rules field by field.
        if var behavior = spec.behavior {
            behavior.scaleUp = Self.completed(behavior.scaleUp, from: Self.defaultScaleUp)
            behavior.scaleDown = Self.completed(behavior.scaleDown, from: Self.defaultScaleDown)
            spec.behavior = behavior
        }
        self.spec = spec
    }

    /// Scale up at once, by 4 pods or by 100% every 15 seconds, whichever adds more.
    static let defaultScaleUp = HPAScalingRules(
        stabilizationWindowSeconds: 0, selectPolicy: "Max",
        policies: [HPAScalingPolicy(type: "Pods", value: 4, periodSeconds: 15),
                   HPAScalingPolicy(type: "Percent", value: 100, periodSeconds: 15)])
    /// Scale down on the highest recommendation of the last 5 minutes, as far as needed.
    static let defaultScaleDown = HPAScalingRules(
        stabilizationWindowSeconds: 300, selectPolicy: "Max",
        policies: [HPAScalingPolicy(type: "Percent", value: 100, periodSeconds: 15)])

    private static func completed(_ rules: HPAScalingRules?, from defaults: HPAScalingRules) -> HPAScalingRules {
        guard let rules else { return defaults }
        var result = defaults
        if let value = rules.selectPolicy { result.selectPolicy = value }
        if let value = rules.stabilizationWindowSeconds { result.stabilizationWindowSeconds = value }
        if !rules.policies.isEmpty { result.policies = rules.policies }
        if let value = rules.tolerance { result.tolerance = value }
        return result
    }
}
