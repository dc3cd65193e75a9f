/// StatefulSetDecision: what a StatefulSet needs done, from its spec, its pods, the claims and
/// revisions in its namespace: pure, as Kubernetes' updateStatefulSet, so every rule is tested
/// without an apiserver.
///
/// - Revisions: the template's revision is NAME-HASH (`updateRevision`), recorded in a
///   ControllerRevision; `currentRevision` is the one the set ran before, until a rolling update
///   completes (every pod updated and ready).
/// - Replicas, lowest ordinal first: a missing pod is created (its claims first), a Failed or
///   Succeeded one deleted to be created again under the same name. Ordinals below the
///   partition are created at the current revision, the others at the update revision.
/// - Condemned (ordinals beyond replicas), highest first: deleted.
/// - Rolling update, highest ordinal down to the partition: one pod of an old revision deleted
///   at a time (it comes back at the new one), each waiting for the one above to be ready.
///   OnDelete: nothing; pods take the new revision when the user deletes them.
/// - OrderedReady: every step waits for all lower ordinals to be Running and Ready (available,
///   with minReadySeconds) and does one creation or deletion at a time; Parallel creates and
///   deletes at once (rolling updates stay one at a time).
///
/// Concurrency: pure. Must never: create or delete pods of a set being deleted, touch a pod it
/// does not control, or delete a claim (except whenScaled: Delete, for a condemned ordinal whose
/// pod is gone).
import SkiffAPI
import SkiffWire

public struct StatefulSetDecision: Sendable {
    public var adopt: [Pod] = []
    public var release: [Pod] = []
    /// The revision of the template, when it is not recorded yet (created first).
    public var createRevision: ControllerRevision?
    /// Old revisions beyond revisionHistoryLimit.
    public var deleteRevisions: [ControllerRevision] = []
    /// Claims to create, before the pods.
    public var createClaims: [PersistentVolumeClaim] = []
    public var createPods: [Pod] = []
    public var deletePods: [Pod] = []
    /// Claims of condemned ordinals (whenScaled: Delete) whose pods are gone.
    public var deleteClaims: [PersistentVolumeClaim] = []
    /// Why the set is waiting, for logs and tests ("web-0 is not ready").
    public var waiting: String?
    public var status = StatefulSetStatus()
    /// When a ready pod becomes available (minReadySeconds), if one will.
    public var recheckAfter: Duration?

    public static func decide(_ set: StatefulSet, pods: [Pod], claims: [PersistentVolumeClaim],
                              revisions: [ControllerRevision], now: Time) throws -> StatefulSetDecision {
        var decision = StatefulSetDecision()
        let spec = set.spec ?? StatefulSetSpec()
        let selector = try LabelQuery(spec.selector, at: FieldPath("spec.selector"))
        let deleting = set.metadata?.deletionTimestamp != nil
        let members = pods.filter { StatefulSetIdentity.ordinal(of: $0.metadata?.name ?? "", in: set) != nil }
        let claim = OwnerRefs.claim(members, ownerUID: set.metadata?.uid, ownerDeleting: deleting, selector: selector)
        decision.adopt = claim.adopt
        decision.release = claim.release
        let owned = claim.owned + claim.adopt

        // Revisions.
        let updateRevision = StatefulSetIdentity.revisionName(set)
        let ownRevisions = revisions.filter { OwnerRefs.isControlled($0.metadata, by: set.metadata?.uid) }
        if !ownRevisions.contains(where: { $0.metadata?.name == updateRevision }) {
            let next = (ownRevisions.compactMap(\.revision).max() ?? 0) + 1
            decision.createRevision = StatefulSetIdentity.revision(set, name: updateRevision, number: next)
        }
        var currentRevision = set.status?.currentRevision ?? ""
        let currentRecord = ownRevisions.first { $0.metadata?.name == currentRevision }
        if currentRevision.isEmpty || (currentRevision != updateRevision && currentRecord == nil) {
            currentRevision = updateRevision
        }
        let currentTemplate = currentRecord.flatMap(StatefulSetIdentity.template(of:)) ?? spec.template

        // Pods by ordinal: replicas and condemned.
        let start = Int(spec.ordinals?.start ?? 0)
        let count = Int(spec.replicas ?? 1)
        let end = start + count
        var replicas: [Int: Pod] = [:]
        var condemned: [(Int, Pod)] = []
        for pod in owned {
            guard let ordinal = StatefulSetIdentity.ordinal(of: pod.metadata?.name ?? "", in: set) else { continue }
            if ordinal >= start && ordinal < end { replicas[ordinal] = pod } else { condemned.append((ordinal, pod)) }
        }
        condemned.sort { $0.0 > $1.0 }

        let minReady = spec.minReadySeconds ?? 0
        decision.status = status(set, pods: owned, currentRevision: currentRevision, updateRevision: updateRevision,
                                 now: now, recheck: &decision.recheckAfter)
        if deleting { return decision }

        let monotonic = (spec.podManagementPolicy ?? "OrderedReady") != "Parallel"
        let rolling = (spec.updateStrategy?.type ?? "RollingUpdate") == "RollingUpdate"
        let partition = rolling ? Int(spec.updateStrategy?.rollingUpdate?.partition ?? 0) : 0
        let claimsByName = Dictionary(claims.map { ($0.metadata?.name ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        func healthy(_ pod: Pod) -> Bool { isRunningAndReady(pod) && pod.metadata?.deletionTimestamp == nil }
        func wait(_ why: String) -> StatefulSetDecision {
            var waiting = decision
            waiting.waiting = why
            return waiting
        }

        // Replicas, lowest ordinal first.
        for ordinal in start..<max(start, end) {
            guard let pod = replicas[ordinal] else {
                let atCurrent = rolling && ordinal - start < partition
                let wanted = StatefulSetIdentity.claims(set, ordinal: ordinal)
                if let gone = wanted.first(where: { claimsByName[$0.metadata?.name ?? ""]?.metadata?.deletionTimestamp != nil }) {
                    let why = "claim \(gone.metadata?.name ?? "") of \(StatefulSetIdentity.podName(set, ordinal)) is being deleted"
                    if monotonic { return wait(why) }
                    decision.waiting = why
                    continue
                }
                decision.createClaims += wanted.filter { claimsByName[$0.metadata?.name ?? ""] == nil }
                decision.createPods.append(StatefulSetIdentity.pod(
                    set, template: atCurrent ? currentTemplate : spec.template,
                    revision: atCurrent ? currentRevision : updateRevision, ordinal: ordinal))
                if monotonic { return wait("\(StatefulSetIdentity.podName(set, ordinal)) is being created") }
                continue
            }
            let name = pod.metadata?.name ?? ""
            let phase = pod.status?.phase ?? ""
            if phase == "Failed" || phase == "Succeeded" {
                // Deleted, then made again under the same name once it is gone.
                if pod.metadata?.deletionTimestamp == nil { decision.deletePods.append(pod) }
                if monotonic { return wait("\(name) is \(phase); recreating it") }
                continue
            }
            if phase == "Pending" || phase.isEmpty {
                // A claim deleted under a pod that has not started: make it again.
                decision.createClaims += StatefulSetIdentity.claims(set, ordinal: ordinal)
                    .filter { claimsByName[$0.metadata?.name ?? ""] == nil }
            }
            if pod.metadata?.deletionTimestamp != nil {
                if monotonic { return wait("\(name) is terminating") }
                continue
            }
            if !isRunningAndReady(pod) {
                if monotonic { return wait("\(name) is not running and ready") }
                continue
            }
            if monotonic && !PodState.isAvailable(pod, minReadySeconds: minReady, now: now) {
                return wait("\(name) is not available yet")
            }
        }

        // Condemned, highest ordinal first.
        let firstUnhealthy = (start..<max(start, end)).compactMap { replicas[$0] }.first { !healthy($0) }
            ?? condemned.map(\.1).first { !healthy($0) }
        for (_, pod) in condemned {
            let name = pod.metadata?.name ?? ""
            if pod.metadata?.deletionTimestamp != nil {
                if monotonic { return wait("\(name) is terminating") }
                continue
            }
            if monotonic && !healthy(pod) && pod.metadata?.uid != firstUnhealthy?.metadata?.uid {
                return wait("\(firstUnhealthy?.metadata?.name ?? "") is unhealthy")
            }
            decision.deletePods.append(pod)
            if monotonic { return wait("\(name) is being deleted") }
        }
        if spec.persistentVolumeClaimRetentionPolicy?.whenScaled == "Delete" {
            let remaining = Set(condemned.map(\.0))
            for template in spec.volumeClaimTemplates {
                let prefix = "\(template.metadata?.name ?? "")-\(set.metadata?.name ?? "")-"
                for claim in claims where claim.metadata?.deletionTimestamp == nil {
                    guard let ordinal = StatefulSetIdentity.ordinal(of: claim.metadata?.name ?? "", prefix: prefix),
                          ordinal < start || ordinal >= end, !remaining.contains(ordinal),
                          selector.matches(claim.metadata?.labels ?? [:]) else { continue }
                    decision.deleteClaims.append(claim)
                }
            }
        }

        // Rolling update, highest ordinal first, down to the partition.
        guard rolling, decision.createPods.isEmpty, decision.deletePods.isEmpty else { return decision }
        for ordinal in stride(from: end - 1, through: start + partition, by: -1) {
            guard let pod = replicas[ordinal] else { continue }
            if StatefulSetIdentity.revision(of: pod) != updateRevision && pod.metadata?.deletionTimestamp == nil {
                decision.deletePods.append(pod)
                return wait("updating \(pod.metadata?.name ?? "")")
            }
            if !healthy(pod) { return wait("\(pod.metadata?.name ?? "") is not ready after its update") }
        }
        // History: revisions in use by no pod and neither current nor update, oldest first.
        let inUse = Set(owned.map(StatefulSetIdentity.revision(of:)) + [currentRevision, updateRevision])
        let old = ownRevisions.filter { !inUse.contains($0.metadata?.name ?? "") }.sorted { ($0.revision ?? 0) < ($1.revision ?? 0) }
        let limit = Int(spec.revisionHistoryLimit ?? 10)
        if old.count > limit { decision.deleteRevisions = Array(old.prefix(old.count - limit)) }
        return decision
    }

    static func isRunningAndReady(_ pod: Pod) -> Bool { pod.status?.phase == "Running" && PodState.isReady(pod) }

    /// The status the pods give, as computeReplicaStatus, and completeRollingUpdate: once every
    /// pod is updated and ready, the update revision becomes the current one.
    static func status(_ set: StatefulSet, pods: [Pod], currentRevision: String, updateRevision: String, now: Time,
                       recheck: inout Duration?) -> StatefulSetStatus {
        var status = set.status ?? StatefulSetStatus()
        let minReady = set.spec?.minReadySeconds ?? 0
        var replicas: Int32 = 0, ready: Int32 = 0, available: Int32 = 0, current: Int32 = 0, updated: Int32 = 0
        for pod in pods {
            replicas += 1
            if isRunningAndReady(pod) {
                ready += 1
                if PodState.isAvailable(pod, minReadySeconds: minReady, now: now) {
                    available += 1
                } else if let at = PodState.becomesAvailable(pod, minReadySeconds: minReady) {
                    let wait = Duration.seconds(at.seconds - now.seconds) + .seconds(1)
                    recheck = min(recheck ?? wait, wait)
                }
            }
            if pod.metadata?.deletionTimestamp == nil {
                let revision = StatefulSetIdentity.revision(of: pod)
                if revision == currentRevision { current += 1 }
                if revision == updateRevision { updated += 1 }
            }
        }
        status.observedGeneration = set.metadata?.generation ?? 0
        status.replicas = replicas
        status.readyReplicas = ready
        status.availableReplicas = available
        status.currentReplicas = current
        status.updatedReplicas = updated
        status.currentRevision = currentRevision
        status.updateRevision = updateRevision
        if (set.spec?.updateStrategy?.type ?? "RollingUpdate") == "RollingUpdate" && updated == replicas && ready == replicas {
            status.currentRevision = updateRevision
            status.currentReplicas = updated
        }
        return status
    }
}
