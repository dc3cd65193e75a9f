/// ReplicaSetDecision: what a ReplicaSet (or ReplicationController) needs done, from its spec
/// and the pods its selector sees: pure, so every rule is tested without an apiserver.
///
/// - Claims: it controls the pods carrying its ControllerRef that still match, adopts matching
///   orphans, releases its pods that stopped matching.
/// - Count: active pods (not finished, not being deleted) against spec.replicas; too few, it
///   creates the difference (at most `burstReplicas` per reconcile, as Kubernetes' 500); too
///   many, it deletes in `PodRanking` order.
/// - Status: replicas, fullyLabeledReplicas (pods carrying every template label), ready,
///   available (ready for minReadySeconds), terminating, observedGeneration; and when to look
///   again so a pod that becomes available later is counted then.
///
/// Concurrency: pure. Must never: act on a ReplicaSet being deleted (the garbage collector
/// removes its pods), or delete a pod it does not control.
import SkiffAPI
import SkiffWire

public struct ReplicaSetDecision<Owner: ReplicatedObject>: Sendable {
    public var adopt: [Pod] = []
    public var release: [Pod] = []
    /// Pods to create from the template.
    public var create = 0
    /// Pods to delete, first to last.
    public var delete: [Pod] = []
    /// Counts for the status, before the creations and deletions above take effect.
    public var counts = ReplicaCounts()
    /// When a ready pod becomes available (minReadySeconds), if one will.
    public var recheckAfter: Duration?

    public static var burstReplicas: Int { 500 }

    /// - Parameter manage: false while earlier creations or deletions are still unseen in the
    ///   cache (expectations); the decision then only computes the status.
    public static func decide(_ owner: Owner, pods: [Pod], now: Time, manage: Bool) throws -> ReplicaSetDecision {
        var decision = ReplicaSetDecision()
        let selector = try owner.podSelector()
        let deleting = owner.metadata?.deletionTimestamp != nil
        let claim = OwnerRefs.claim(pods, ownerUID: owner.metadata?.uid, ownerDeleting: deleting, selector: selector)
        decision.adopt = claim.adopt
        decision.release = claim.release
        let controlled = claim.owned + claim.adopt
        let active = controlled.filter(PodState.isActive)

        if manage && !deleting {
            let diff = active.count - Int(owner.desiredReplicas)
            if diff < 0 {
                decision.create = min(-diff, burstReplicas)
            } else if diff > 0 {
                decision.delete = Array(PodRanking.deletionOrder(active).prefix(min(diff, burstReplicas)))
            }
        }

        let templateLabels = owner.podTemplate?.metadata?.labels ?? [:]
        var counts = ReplicaCounts()
        counts.replicas = Int32(active.count)
        counts.observedGeneration = owner.metadata?.generation ?? 0
        counts.failure = owner.counts.failure
        for pod in active {
            let labels = pod.metadata?.labels ?? [:]
            if templateLabels.allSatisfy({ labels[$0.key] == $0.value }) { counts.fullyLabeledReplicas += 1 }
            if PodState.isReady(pod) { counts.readyReplicas += 1 }
            if PodState.isAvailable(pod, minReadySeconds: owner.minReadySeconds, now: now) {
                counts.availableReplicas += 1
            } else if let at = PodState.becomesAvailable(pod, minReadySeconds: owner.minReadySeconds) {
                let wait = Duration.seconds(at.seconds - now.seconds) + .seconds(1)
                decision.recheckAfter = min(decision.recheckAfter ?? wait, wait)
            }
        }
        counts.terminatingReplicas = Int32(controlled.filter(PodState.isTerminating).count)
        decision.counts = counts
        return decision
    }
}
