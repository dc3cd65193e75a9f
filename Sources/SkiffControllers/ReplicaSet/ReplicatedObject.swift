/// ReplicatedObject: what the replica controller needs of a ReplicaSet or a
/// ReplicationController, so one controller serves both (Kubernetes, too, runs the
/// ReplicationController manager as the ReplicaSet one over a conversion).
///
/// Concurrency: value types. Must never: lose a field of the status it does not manage.
import SkiffAPI
import SkiffWire

/// The counts a replica controller writes into its object's status.
public struct ReplicaCounts: Sendable, Equatable {
    public var replicas: Int32 = 0
    public var fullyLabeledReplicas: Int32 = 0
    public var readyReplicas: Int32 = 0
    public var availableReplicas: Int32 = 0
    public var terminatingReplicas: Int32 = 0
    public var observedGeneration: Int64 = 0
    /// The ReplicaFailure condition's message when the last creations or deletions failed.
    public var failure: String?
}

public protocol ReplicatedObject: APIObject {
    var desiredReplicas: Int32 { get }
    var minReadySeconds: Int32 { get }
    var podTemplate: PodTemplateSpec? { get }
    /// Throws for a selector the apiserver should not have accepted.
    func podSelector() throws -> LabelQuery
    var counts: ReplicaCounts { get }
    /// A copy whose status says `counts` (and the ReplicaFailure condition it implies).
    func withCounts(_ counts: ReplicaCounts, at now: Time) -> Self
}

extension ReplicaSet: ReplicatedObject {
    public var desiredReplicas: Int32 { spec?.replicas ?? 1 }
    public var minReadySeconds: Int32 { spec?.minReadySeconds ?? 0 }
    public var podTemplate: PodTemplateSpec? { spec?.template }
    public func podSelector() throws -> LabelQuery { try LabelQuery(spec?.selector, at: FieldPath("spec.selector")) }

    public var counts: ReplicaCounts {
        ReplicaCounts(replicas: status?.replicas ?? 0, fullyLabeledReplicas: status?.fullyLabeledReplicas ?? 0,
                      readyReplicas: status?.readyReplicas ?? 0, availableReplicas: status?.availableReplicas ?? 0,
                      terminatingReplicas: status?.terminatingReplicas ?? 0,
                      observedGeneration: status?.observedGeneration ?? 0,
                      failure: status?.conditions.first { $0.type == "ReplicaFailure" && $0.status == "True" }?.message)
    }

    public func withCounts(_ counts: ReplicaCounts, at now: Time) -> ReplicaSet {
        var copy = self
        var status = copy.status ?? ReplicaSetStatus()
        status.replicas = counts.replicas
        status.fullyLabeledReplicas = counts.fullyLabeledReplicas
        status.readyReplicas = counts.readyReplicas
        status.availableReplicas = counts.availableReplicas
        status.terminatingReplicas = counts.terminatingReplicas
        status.observedGeneration = counts.observedGeneration
        let previous = status.conditions.first { $0.type == "ReplicaFailure" }
        status.conditions.removeAll { $0.type == "ReplicaFailure" }
        if let failure = counts.failure {
            // The condition keeps the time it turned True while its message stays.
            let since = previous?.message == failure ? previous?.lastTransitionTime ?? now : now
            status.conditions.append(ReplicaSetCondition(type: "ReplicaFailure", status: "True", lastTransitionTime: since,
                                                         reason: "FailedCreate", message: failure))
        }
        copy.status = status
        return copy
    }
}

extension ReplicationController: ReplicatedObject {
    public var desiredReplicas: Int32 { spec?.replicas ?? 1 }
    public var minReadySeconds: Int32 { spec?.minReadySeconds ?? 0 }
    public var podTemplate: PodTemplateSpec? { spec?.template }
    /// An RC selects by label equality; an empty selector means the template's labels.
    public func podSelector() throws -> LabelQuery {
        let selector = spec?.selector ?? [:]
        let labels = selector.isEmpty ? spec?.template?.metadata?.labels ?? [:] : selector
        return labels.isEmpty ? .nothing : LabelQuery(matching: labels)
    }

    public var counts: ReplicaCounts {
        ReplicaCounts(replicas: status?.replicas ?? 0, fullyLabeledReplicas: status?.fullyLabeledReplicas ?? 0,
                      readyReplicas: status?.readyReplicas ?? 0, availableReplicas: status?.availableReplicas ?? 0,
                      observedGeneration: status?.observedGeneration ?? 0,
                      failure: status?.conditions.first { $0.type == "ReplicaFailure" && $0.status == "True" }?.message)
    }

    public func withCounts(_ counts: ReplicaCounts, at now: Time) -> ReplicationController {
        var copy = self
        var status = copy.status ?? ReplicationControllerStatus()
        status.replicas = counts.replicas
        status.fullyLabeledReplicas = counts.fullyLabeledReplicas
        status.readyReplicas = counts.readyReplicas
        status.availableReplicas = counts.availableReplicas
        status.observedGeneration = counts.observedGeneration
        let previous = status.conditions.first { $0.type == "ReplicaFailure" }
        status.conditions.removeAll { $0.type == "ReplicaFailure" }
        if let failure = counts.failure {
            // The condition keeps the time it turned True while its message stays.
            let since = previous?.message == failure ? previous?.lastTransitionTime ?? now : now
            status.conditions.append(ReplicationControllerCondition(type: "ReplicaFailure", status: "True",
                                                                    lastTransitionTime: since, reason: "FailedCreate",
                                                                    message: failure))
        }
        copy.status = status
        return copy
    }
}
