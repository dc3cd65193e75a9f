/// StatusValidation: the check of a write to an object's status subresource, as Kubernetes'
/// ValidateXStatusUpdate functions do it: the metadata may not change identity, and the status
/// itself must be coherent (known phases, condition values, non-negative counts, counts that do
/// not exceed the total). Kinds without status rules get only the metadata check.
///
/// Concurrency: pure functions of their arguments. Must never: look at the spec (a status write
/// keeps the stored spec), throw, trap, or stop at the first problem.
import SkiffAPI
import SkiffWire

enum StatusValidation {
    static let path = FieldPath("status")

    static let podPhases = ["Pending", "Running", "Succeeded", "Failed", "Unknown"]
    static let terminalPodPhases: Set<String> = ["Succeeded", "Failed"]
    static let conditionStatuses = ["True", "False", "Unknown"]
    static let namespacePhases = ["Active", "Terminating"]
    static let claimPhases = ["Pending", "Bound", "Lost"]
    static let volumePhases = ["Pending", "Available", "Bound", "Released", "Failed"]

    static let exceedsReplicas = "cannot be greater than status.replicas"

    static func validateUpdate(_ object: any APIObject, old: any APIObject) -> [FieldError] {
        let newType = type(of: object), oldType = type(of: old)
        guard newType.apiVersion == oldType.apiVersion, newType.kind == oldType.kind else {
            return [.invalid("kind", newType.kind, "may not change from \(oldType.kind)")]
        }
        let metadata = ObjectMetaValidation.validateUpdate(object.metadata, old: old.metadata)
        switch (object, old) {
        case let (new as Pod, old as Pod): return metadata + pod(new.status, old: old.status)
        case let (new as ReplicationController, _ as ReplicationController):
            let status = new.status
            return metadata + replicaCounts(total: status?.replicas, fullyLabeled: status?.fullyLabeledReplicas,
                                            ready: status?.readyReplicas, available: status?.availableReplicas,
                                            observedGeneration: status?.observedGeneration)
        case let (new as ReplicaSet, _ as ReplicaSet):
            let status = new.status
            return metadata + replicaCounts(total: status?.replicas, fullyLabeled: status?.fullyLabeledReplicas,
                                            ready: status?.readyReplicas, available: status?.availableReplicas,
                                            observedGeneration: status?.observedGeneration)
                + FieldChecks.nonNegative(status?.terminatingReplicas, path.child("terminatingReplicas"))
        case let (new as Deployment, old as Deployment): return metadata + deployment(new.status, old: old.status)
        case let (new as StatefulSet, old as StatefulSet): return metadata + statefulSet(new.status, old: old.status)
        case let (new as DaemonSet, old as DaemonSet): return metadata + daemonSet(new.status, old: old.status)
        case let (new as Job, _ as Job): return metadata + job(new.status)
        case let (new as Namespace, _ as Namespace): return metadata + namespace(new)
        case let (new as Node, _ as Node):
            return metadata + conditionStatuses((new.status?.conditions ?? []).map(\.status))
        case let (new as PersistentVolumeClaim, _ as PersistentVolumeClaim):
            return metadata + FieldChecks.optionalChoice(new.status?.phase, claimPhases, path.child("phase"))
        case let (new as PersistentVolume, _ as PersistentVolume):
            return metadata + FieldChecks.optionalChoice(new.status?.phase, volumePhases, path.child("phase"))
        case let (new as HorizontalPodAutoscaler, _ as HorizontalPodAutoscaler):
            return metadata + FieldChecks.nonNegative(new.status?.currentReplicas, path.child("currentReplicas"))
                + FieldChecks.nonNegative(new.status?.desiredReplicas, path.child("desiredReplicas"))
        default: return metadata
        }
    }

    // MARK: Pods

    private static func pod(_ status: PodStatus?, old: PodStatus?) -> [FieldError] {
        let status = status ?? PodStatus()
        let phasePath = path.child("phase")
        var errors = FieldChecks.optionalChoice(status.phase, podPhases, phasePath)
        // Containers of a finished pod are gone; bringing it back would lie about them.
        if let oldPhase = old?.phase, terminalPodPhases.contains(oldPhase), status.phase != oldPhase {
            let shown = status.phase ?? ""
            errors.append(.invalid(phasePath, shown, "may not transition from terminal phase \(oldPhase) to \(shown)"))
        }
        errors += conditionStatuses(status.conditions.map(\.status))
        if let podIP = status.podIP, !podIP.isEmpty {
            errors += NetworkAddress.validateIP(podIP, path.child("podIP"))
        }
        errors += podIPs(status.podIPs.map { $0.ip ?? "" })
        for (field, statuses) in [("initContainerStatuses", status.initContainerStatuses),
                                  ("containerStatuses", status.containerStatuses),
                                  ("ephemeralContainerStatuses", status.ephemeralContainerStatuses)] {
            for (index, container) in statuses.enumerated() {
                errors += FieldChecks.nonNegative(container.restartCount, path.child(field).index(index).child("restartCount"))
            }
        }
        return errors
    }

    /// Each IP valid and listed once; at most one per family, as dual-stack allows.
    private static func podIPs(_ ips: [String]) -> [FieldError] {
        let listPath = path.child("podIPs")
        var errors: [FieldError] = []
        var seen: Set<String> = []
        for (index, ip) in ips.enumerated() {
            let ipPath = listPath.index(index).child("ip")
            let problems = NetworkAddress.validateIP(ip, ipPath)
            errors += problems
            if problems.isEmpty, !seen.insert(ip).inserted { errors.append(.duplicate(ipPath, ip)) }
        }
        if ips.count > 2 || (ips.count == 2 && ips[0].contains(":") == ips[1].contains(":")) {
            errors.append(.invalid(listPath, "may specify no more than one IP for each IP family"))
        }
        return errors
    }

    // MARK: Conditions

    private static func conditionStatuses(_ statuses: [String?]) -> [FieldError] {
        statuses.enumerated().flatMap { index, status in
            FieldChecks.requiredChoice(status, conditionStatuses, path.child("conditions").index(index).child("status"))
        }
    }

    // MARK: Controllers of pods

    /// ReplicationController and ReplicaSet: every count non-negative, none above the total, and
    /// available pods are a subset of ready ones.
    private static func replicaCounts(total: Int32?, fullyLabeled: Int32?, ready: Int32?, available: Int32?,
                                      observedGeneration: Int64?) -> [FieldError] {
        var errors = FieldChecks.nonNegative(total, path.child("replicas"))
        errors += FieldChecks.nonNegative(fullyLabeled, path.child("fullyLabeledReplicas"))
        errors += FieldChecks.nonNegative(ready, path.child("readyReplicas"))
        errors += FieldChecks.nonNegative(available, path.child("availableReplicas"))
        errors += FieldChecks.nonNegative(observedGeneration, path.child("observedGeneration"))
        errors += atMost(total, [("fullyLabeledReplicas", fullyLabeled), ("readyReplicas", ready), ("availableReplicas", available)])
        errors += availableWithinReady(available, ready, "cannot be greater than readyReplicas")
        return errors
    }

    private static func deployment(_ status: DeploymentStatus?, old: DeploymentStatus?) -> [FieldError] {
        let status = status ?? DeploymentStatus()
        var errors = FieldChecks.nonNegative(status.observedGeneration, path.child("observedGeneration"))
        errors += nonNegative([("replicas", status.replicas), ("updatedReplicas", status.updatedReplicas),
                               ("readyReplicas", status.readyReplicas), ("availableReplicas", status.availableReplicas),
                               ("unavailableReplicas", status.unavailableReplicas),
                               ("terminatingReplicas", status.terminatingReplicas), ("collisionCount", status.collisionCount)])
        errors += atMost(status.replicas, [("updatedReplicas", status.updatedReplicas), ("readyReplicas", status.readyReplicas),
                                           ("availableReplicas", status.availableReplicas)])
        errors += availableWithinReady(status.availableReplicas, status.readyReplicas, "cannot be greater than readyReplicas")
        errors += collisionCount(status.collisionCount, old: old?.collisionCount)
        return errors
    }

    private static func statefulSet(_ status: StatefulSetStatus?, old: StatefulSetStatus?) -> [FieldError] {
        let status = status ?? StatefulSetStatus()
        var errors = nonNegative([("replicas", status.replicas), ("readyReplicas", status.readyReplicas),
                                  ("currentReplicas", status.currentReplicas), ("updatedReplicas", status.updatedReplicas),
                                  ("availableReplicas", status.availableReplicas), ("collisionCount", status.collisionCount)])
        errors += FieldChecks.nonNegative(status.observedGeneration, path.child("observedGeneration"))
        errors += atMost(status.replicas, [("readyReplicas", status.readyReplicas), ("currentReplicas", status.currentReplicas),
                                           ("updatedReplicas", status.updatedReplicas),
                                           ("availableReplicas", status.availableReplicas)])
        errors += availableWithinReady(status.availableReplicas, status.readyReplicas,
                                       "cannot be greater than status.readyReplicas")
        errors += collisionCount(status.collisionCount, old: old?.collisionCount)
        return errors
    }

    /// DaemonSets count nodes, not replicas, and Kubernetes compares none of the counts.
    private static func daemonSet(_ status: DaemonSetStatus?, old: DaemonSetStatus?) -> [FieldError] {
        let status = status ?? DaemonSetStatus()
        var errors = nonNegative([("currentNumberScheduled", status.currentNumberScheduled),
                                  ("numberMisscheduled", status.numberMisscheduled),
                                  ("desiredNumberScheduled", status.desiredNumberScheduled),
                                  ("numberReady", status.numberReady),
                                  ("updatedNumberScheduled", status.updatedNumberScheduled),
                                  ("numberAvailable", status.numberAvailable),
                                  ("numberUnavailable", status.numberUnavailable),
                                  ("collisionCount", status.collisionCount)])
        errors += FieldChecks.nonNegative(status.observedGeneration, path.child("observedGeneration"))
        errors += collisionCount(status.collisionCount, old: old?.collisionCount)
        return errors
    }

    private static func nonNegative(_ counts: [(String, Int32?)]) -> [FieldError] {
        counts.flatMap { field, value in FieldChecks.nonNegative(value, path.child(field)) }
    }

    private static func atMost(_ total: Int32?, _ counts: [(String, Int32?)]) -> [FieldError] {
        let total = total ?? 0
        return counts.compactMap { field, value in
            guard let value, value > total else { return nil }
            return .invalid(path.child(field), String(value), exceedsReplicas)
        }
    }

    private static func availableWithinReady(_ available: Int32?, _ ready: Int32?, _ message: String) -> [FieldError] {
        guard let available, available > (ready ?? 0) else { return [] }
        return [.invalid(path.child("availableReplicas"), String(available), message)]
    }

    /// The count names ControllerRevisions; going back would reuse a name already taken.
    private static func collisionCount(_ count: Int32?, old: Int32?) -> [FieldError] {
        guard let old, (count ?? 0) < old else { return [] }
        return [.invalid(path.child("collisionCount"), String(count ?? 0), "cannot be decremented")]
    }

    // MARK: Jobs and namespaces

    private static func job(_ status: JobStatus?) -> [FieldError] {
        nonNegative([("active", status?.active), ("succeeded", status?.succeeded), ("failed", status?.failed),
                     ("terminating", status?.terminating), ("ready", status?.ready)])
    }

    /// Active means no deletion has started; Terminating means one has.
    private static func namespace(_ namespace: Namespace) -> [FieldError] {
        let phasePath = path.child("phase")
        guard let phase = namespace.status?.phase else { return [] }
        guard namespacePhases.contains(phase) else { return [.notSupported(phasePath, phase, namespacePhases)] }
        let deleting = namespace.metadata?.deletionTimestamp != nil
        if deleting, phase == "Active" {
            return [.invalid(phasePath, phase, "may only be 'Terminating' if `deletionTimestamp` is not empty")]
        }
        if !deleting, phase == "Terminating" {
            return [.invalid(phasePath, phase, "may only be 'Active' if `deletionTimestamp` is empty")]
        }
        return []
    }
}
