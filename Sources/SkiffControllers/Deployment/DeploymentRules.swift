/// DeploymentRules: the vocabulary a Deployment rollout is decided in, as Kubernetes'
/// deployment/util: the annotations on ReplicaSets and Deployments, the surge and unavailability
/// fenceposts, revisions, template equality ignoring the pod-template-hash label, and the
/// Progressing/Available conditions.
///
/// Concurrency: pure functions of their arguments. Must never: read a clock (`now` is passed in).
import SkiffAPI
import SkiffWire

public enum DeploymentAnnotations {
    public static let revision = "deployment.kubernetes.io/revision"
    public static let revisionHistory = "deployment.kubernetes.io/revision-history"
    public static let desiredReplicas = "deployment.kubernetes.io/desired-replicas"
    public static let maxReplicas = "deployment.kubernetes.io/max-replicas"
    /// The label (and selector term) that tells a Deployment's ReplicaSets apart.
    public static let podTemplateHash = "pod-template-hash"
    /// The change-cause `rollout history` shows.
    public static let changeCause = "kubernetes.io/change-cause"
    /// What `rollout restart` sets on the pod template.
    public static let restartedAt = "kubectl.kubernetes.io/restartedAt"
    static let lastApplied = "kubectl.kubernetes.io/last-applied-configuration"
    /// Deployment annotations that are not copied onto its ReplicaSets.
    static let notCopied: Set<String> = [lastApplied, revision, revisionHistory, desiredReplicas, maxReplicas,
                                         "deprecated.deployment.rollback.to"]
    /// Kubernetes' limit on the revision-history annotation's length.
    static let revisionHistoryLimitInChars = 2000
}

/// Condition types and reasons, as Kubernetes words them.
public enum DeploymentReasons {
    public static let progressing = "Progressing"
    public static let available = "Available"
    public static let replicaFailure = "ReplicaFailure"

    public static let newReplicaSetCreated = "NewReplicaSetCreated"
    public static let foundNewReplicaSet = "FoundNewReplicaSet"
    public static let replicaSetUpdated = "ReplicaSetUpdated"
    public static let newReplicaSetAvailable = "NewReplicaSetAvailable"
    public static let progressDeadlineExceeded = "ProgressDeadlineExceeded"
    public static let paused = "DeploymentPaused"
    public static let resumed = "DeploymentResumed"
    public static let minimumReplicasAvailable = "MinimumReplicasAvailable"
    public static let minimumReplicasUnavailable = "MinimumReplicasUnavailable"
}

/// A strategy value that validation should have refused (a malformed percentage).
public struct DeploymentSpecError: Error, CustomStringConvertible, Equatable {
    public var description: String
}

extension Deployment {
    var desiredReplicas: Int32 { spec?.replicas ?? 1 }
    var isRollingUpdate: Bool { (spec?.strategy?.type ?? "RollingUpdate") == "RollingUpdate" }
    var isPaused: Bool { spec?.paused ?? false }
    var minReadySeconds: Int32 { spec?.minReadySeconds ?? 0 }

    /// Kubernetes' HasProgressDeadline: set and not MaxInt32.
    var progressDeadline: Int32? {
        guard let seconds = spec?.progressDeadlineSeconds, seconds != Int32.max else { return nil }
        return seconds
    }

    /// maxSurge and maxUnavailable against spec.replicas, as ResolveFenceposts: surge rounds up,
    /// unavailability down, and both 0 (from rounding) allows one unavailable so a rollout moves.
    func fenceposts() throws -> (surge: Int32, unavailable: Int32) {
        let rolling = spec?.strategy?.rollingUpdate
        let total = Int(desiredReplicas)
        let surgeValue = rolling?.maxSurge ?? .string("25%"), unavailableValue = rolling?.maxUnavailable ?? .string("25%")
        guard let surge = surgeValue.scaled(total: total, roundUp: true) else {
            throw DeploymentSpecError(description: "invalid maxSurge \(surgeValue)")
        }
        guard let unavailable = unavailableValue.scaled(total: total, roundUp: false) else {
            throw DeploymentSpecError(description: "invalid maxUnavailable \(unavailableValue)")
        }
        if surge == 0 && unavailable == 0 { return (0, 1) }
        return (Int32(surge), Int32(unavailable))
    }

    /// MaxSurge: 0 unless rolling.
    func maxSurge() throws -> Int32 { isRollingUpdate ? try fenceposts().surge : 0 }

    /// MaxUnavailable: 0 unless rolling (or no replicas), never above spec.replicas.
    func maxUnavailable() throws -> Int32 {
        guard isRollingUpdate, desiredReplicas > 0 else { return 0 }
        return min(try fenceposts().unavailable, desiredReplicas)
    }
}

public enum DeploymentRules {
    /// The revision a ReplicaSet (or Deployment) carries; 0 without one.
    public static func revision(_ meta: ObjectMeta?) -> Int64 {
        Int64(meta?.annotations[DeploymentAnnotations.revision] ?? "") ?? 0
    }

    /// A template without the pod-template-hash label and with empty metadata made explicit:
    /// what EqualIgnoreHash compares.
    public static func withoutHash(_ template: PodTemplateSpec?) -> PodTemplateSpec {
        var template = template ?? PodTemplateSpec()
        var meta = template.metadata ?? ObjectMeta()
        meta.labels.removeValue(forKey: DeploymentAnnotations.podTemplateHash)
        template.metadata = meta
        return template
    }

    public static func equalIgnoringHash(_ a: PodTemplateSpec?, _ b: PodTemplateSpec?) -> Bool {
        withoutHash(a) == withoutHash(b)
    }

    /// Sets the condition as SetDeploymentCondition: nothing when status and reason are the same;
    /// the transition time kept while the status stays.
    static func setCondition(_ status: inout DeploymentStatus, _ condition: DeploymentCondition) {
        var condition = condition
        if let current = status.conditions.first(where: { $0.type == condition.type }) {
            if current.status == condition.status && current.reason == condition.reason { return }
            if current.status == condition.status { condition.lastTransitionTime = current.lastTransitionTime }
        }
        status.conditions.removeAll { $0.type == condition.type }
        status.conditions.append(condition)
    }

    static func condition(_ type: String, _ status: String, _ reason: String, _ message: String,
                          now: Time) -> DeploymentCondition {
        DeploymentCondition(type: type, status: status, lastUpdateTime: now, lastTransitionTime: now,
                            reason: reason, message: message)
    }

    static func progressing(_ status: DeploymentStatus?) -> DeploymentCondition? {
        status?.conditions.first { $0.type == DeploymentReasons.progressing }
    }

    /// DeploymentComplete: every replica updated and available, and the spec observed.
    static func isComplete(_ deployment: Deployment, _ status: DeploymentStatus?) -> Bool {
        let replicas = deployment.desiredReplicas
        return (status?.updatedReplicas ?? 0) == replicas && (status?.replicas ?? 0) == replicas
            && (status?.availableReplicas ?? 0) == replicas
            && (status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0)
    }

    /// DeploymentProgressing: more updated, fewer old, more ready or more available than before.
    static func isProgressing(_ old: DeploymentStatus?, _ new: DeploymentStatus) -> Bool {
        let oldOld = (old?.replicas ?? 0) - (old?.updatedReplicas ?? 0)
        let newOld = (new.replicas ?? 0) - (new.updatedReplicas ?? 0)
        return (new.updatedReplicas ?? 0) > (old?.updatedReplicas ?? 0) || newOld < oldOld
            || (new.readyReplicas ?? 0) > (old?.readyReplicas ?? 0)
            || (new.availableReplicas ?? 0) > (old?.availableReplicas ?? 0)
    }

    /// DeploymentTimedOut: no progress recorded for progressDeadlineSeconds.
    static func hasTimedOut(_ deployment: Deployment, _ status: DeploymentStatus, now: Time) -> Bool {
        guard let deadline = deployment.progressDeadline, let condition = progressing(status) else { return false }
        if condition.reason == DeploymentReasons.newReplicaSetAvailable { return false }
        if condition.reason == DeploymentReasons.progressDeadlineExceeded { return true }
        guard let from = condition.lastUpdateTime else { return false }
        return Time(seconds: from.seconds + Int64(deadline), nanos: from.nanos) < now
    }

    /// Statuses equal when counts missing on one side are 0 on the other (a decoded status may
    /// carry 0 where a computed one carries nil).
    static func sameStatus(_ a: DeploymentStatus?, _ b: DeploymentStatus?) -> Bool {
        normalized(a) == normalized(b)
    }

    private static func normalized(_ status: DeploymentStatus?) -> DeploymentStatus {
        var status = status ?? DeploymentStatus()
        status.observedGeneration = status.observedGeneration ?? 0
        status.replicas = status.replicas ?? 0
        status.updatedReplicas = status.updatedReplicas ?? 0
        status.readyReplicas = status.readyReplicas ?? 0
        status.availableReplicas = status.availableReplicas ?? 0
        status.unavailableReplicas = status.unavailableReplicas ?? 0
        status.terminatingReplicas = status.terminatingReplicas ?? 0
        status.collisionCount = status.collisionCount ?? 0
        return status
    }
}
