/// DaemonSetDecision: what a DaemonSet needs done, from its spec, the nodes and the pods its
/// selector sees, as Kubernetes' daemon set controller decides it: pure and table-tested.
///
/// - Placement (`DaemonNodes`): a node that should run the pod and has none gets one; a node
///   that may no longer run it loses its pods; a node with more than one loses the newest
///   (with maxSurge, an updated pod may run beside an old one until it is available). Failed
///   and Succeeded pods are deleted, so they are replaced.
/// - Revisions: every pod carries the template hash in `controller-revision-hash`; a pod with
///   another hash is old.
/// - Rolling update, once the placement needs nothing (expectations then hold): without surge,
///   old pods are deleted while at most maxUnavailable nodes lack an available pod (an
///   unavailable old pod goes at once); with maxSurge, an updated pod is created beside the old
///   one on up to maxSurge nodes at a time, and the old one deleted once the new is available.
///   OnDelete replaces nothing: a deleted old pod comes back updated.
/// - Status: desired (nodes that should run it), current (of those, with a pod), misscheduled
///   (with a pod but should not), ready, available (ready minReadySeconds), updated, unavailable.
///
/// Concurrency: pure. Must never: act on a DaemonSet being deleted, or delete a pod it does not
/// control.
import SkiffAPI
import SkiffWire

public struct DaemonSetDecision: Sendable {
    public static let hashLabel = "controller-revision-hash"
    public static let generationLabel = "pod-template-generation"
    public static let burst = 250

    public var adopt: [Pod] = []
    public var release: [Pod] = []
    /// Nodes to create a pod for.
    public var create: [String] = []
    public var delete: [Pod] = []
    public var status = DaemonSetStatus()
    /// The current template's hash, for the pods created.
    public var hash = ""
    /// When a ready pod becomes available (minReadySeconds), if one will.
    public var recheckAfter: Duration?

    public static func decide(_ daemonSet: DaemonSet, nodes: [Node], pods candidates: [Pod], now: Time,
                              manage: Bool) throws -> DaemonSetDecision {
        var decision = DaemonSetDecision()
        let spec = daemonSet.spec ?? DaemonSetSpec()
        let selector = try LabelQuery(spec.selector, at: FieldPath("spec.selector"))
        let deleting = daemonSet.metadata?.deletionTimestamp != nil
        let claim = OwnerRefs.claim(candidates, ownerUID: daemonSet.metadata?.uid, ownerDeleting: deleting,
                                    selector: selector)
        decision.adopt = claim.adopt
        decision.release = claim.release
        let hash = PodTemplates.hash(spec.template, collisionCount: daemonSet.status?.collisionCount)
        decision.hash = hash
        let minReady = spec.minReadySeconds ?? 0
        func updated(_ pod: Pod) -> Bool { pod.metadata?.labels[hashLabel] == hash }
        func available(_ pod: Pod) -> Bool { PodState.isAvailable(pod, minReadySeconds: minReady, now: now) }

        var byNode: [String: [Pod]] = [:]
        for pod in claim.owned + claim.adopt {
            guard let node = DaemonNodes.targetNode(pod) else { continue }
            byNode[node, default: []].append(pod)
        }
        for node in byNode.keys { byNode[node]!.sort(by: olderFirst) }
        let nodeNames = Set(nodes.compactMap(\.metadata?.name))
        let desiredNodes = nodes.filter { DaemonNodes.placement(of: spec.template?.spec, on: $0).shouldRun }.count
        let surging = (rollingUpdate(spec)?.maxSurge?.scaled(total: desiredNodes, roundUp: true) ?? 0) > 0

        // Placement.
        var placements: [String: DaemonNodes.Placement] = [:]
        for node in nodes {
            let name = node.metadata?.name ?? ""
            let placement = DaemonNodes.placement(of: spec.template?.spec, on: node)
            placements[name] = placement
            let pods = byNode[name] ?? []
            if !placement.shouldContinueRunning {
                decision.delete += pods.filter { $0.metadata?.deletionTimestamp == nil }
                continue
            }
            var running: [Pod] = []
            for pod in pods where pod.metadata?.deletionTimestamp == nil {
                let phase = pod.status?.phase
                if phase == "Failed" || phase == "Succeeded" { decision.delete.append(pod) } else { running.append(pod) }
            }
            if running.isEmpty {
                if placement.shouldRun && !pods.contains(where: { $0.metadata?.deletionTimestamp != nil }) {
                    decision.create.append(name)
                }
            } else if running.count > 1 {
                decision.delete += surplus(running, updated: updated, available: available, surging: surging)
            }
        }
        // Pods for nodes that are gone.
        for (node, pods) in byNode where !nodeNames.contains(node) {
            decision.delete += pods.filter { $0.metadata?.deletionTimestamp == nil }
        }

        if !manage || deleting {
            decision.create = []
            decision.delete = []
        } else if decision.create.isEmpty && decision.delete.isEmpty, let strategy = rollingUpdate(spec) {
            decision.rollingUpdate(strategy, desired: desiredNodes, byNode: byNode, placements: placements,
                                   updated: updated, available: available)
        }
        decision.create = Array(decision.create.sorted().prefix(burst))
        decision.delete = Array(decision.delete.prefix(burst))

        // Status.
        var status = daemonSet.status ?? DaemonSetStatus()
        var desired: Int32 = 0, current: Int32 = 0, misscheduled: Int32 = 0, ready: Int32 = 0
        var availableCount: Int32 = 0, updatedCount: Int32 = 0
        for node in nodes {
            let name = node.metadata?.name ?? ""
            let placement = placements[name]!
            let pods = byNode[name] ?? []
            if placement.shouldRun { desired += 1 }
            guard let pod = pods.first(where: { $0.metadata?.deletionTimestamp == nil }) ?? pods.first else { continue }
            if placement.shouldRun {
                current += 1
                if PodState.isReady(pod) {
                    ready += 1
                    if available(pod) {
                        availableCount += 1
                    } else if let at = PodState.becomesAvailable(pod, minReadySeconds: minReady) {
                        let wait = Duration.seconds(at.seconds - now.seconds) + .seconds(1)
                        decision.recheckAfter = min(decision.recheckAfter ?? wait, wait)
                    }
                }
                if pods.contains(where: updated) { updatedCount += 1 }
            } else {
                misscheduled += 1
            }
        }
        status.desiredNumberScheduled = desired
        status.currentNumberScheduled = current
        status.numberMisscheduled = misscheduled
        status.numberReady = ready
        status.numberAvailable = availableCount
        status.numberUnavailable = desired - availableCount
        status.updatedNumberScheduled = updatedCount
        status.observedGeneration = daemonSet.metadata?.generation ?? 0
        decision.status = status
        return decision
    }

    /// The rolling update's settings, nil for OnDelete.
    static func rollingUpdate(_ spec: DaemonSetSpec) -> RollingUpdateDaemonSet? {
        guard (spec.updateStrategy?.type ?? "RollingUpdate") == "RollingUpdate" else { return nil }
        return spec.updateStrategy?.rollingUpdate ?? RollingUpdateDaemonSet(maxUnavailable: .int(1), maxSurge: .int(0))
    }

    /// The pods to delete among several running on one node: without surge all but the oldest;
    /// with surge an old available pod may stay beside an updated one that is not yet available,
    /// as Kubernetes' podsShouldBeOnNode.
    static func surplus(_ running: [Pod], updated: (Pod) -> Bool, available: (Pod) -> Bool, surging: Bool) -> [Pod] {
        guard surging else { return Array(running.dropFirst()) }
        let newest = running.first(where: updated)
        let oldest = running.first { !updated($0) }
        var keep: Set<String> = []
        if let newest { keep.insert(newest.metadata?.uid ?? "") }
        if let oldest, let newest, available(oldest), !available(newest) { keep.insert(oldest.metadata?.uid ?? "") }
        if newest == nil, let oldest { keep.insert(oldest.metadata?.uid ?? "") }
        return running.filter { !keep.contains($0.metadata?.uid ?? "") }
    }

    mutating func rollingUpdate(_ strategy: RollingUpdateDaemonSet,
                                desired: Int, byNode: [String: [Pod]], placements: [String: DaemonNodes.Placement],
                                updated: (Pod) -> Bool, available: (Pod) -> Bool) {
        var maxSurge = strategy.maxSurge?.scaled(total: desired, roundUp: true) ?? 0
        var maxUnavailable = strategy.maxUnavailable?.scaled(total: desired, roundUp: true) ?? 1
        if maxSurge == 0 && maxUnavailable == 0 { maxUnavailable = 1 }
        maxSurge = max(0, maxSurge)
        let nodes = byNode.keys.filter { placements[$0]?.shouldRun == true }.sorted()
        if maxSurge == 0 {
            var unavailable = 0
            var replaceNow: [Pod] = [], candidates: [Pod] = []
            for node in nodes {
                let pods = byNode[node]!.filter { $0.metadata?.deletionTimestamp == nil }
                let new = pods.filter(updated), old = pods.filter { !updated($0) }
                guard new.count <= 1, old.count <= 1 else { unavailable += 1; continue }
                switch (new.first, old.first) {
                case (nil, nil), (.some, .some): unavailable += 1
                case (let newPod?, nil): if !available(newPod) { unavailable += 1 }
                case (nil, let oldPod?):
                    if !available(oldPod) { replaceNow.append(oldPod) } else { candidates.append(oldPod) }
                }
            }
            let budget = max(0, maxUnavailable - unavailable)
            delete = replaceNow + candidates.prefix(budget)
        } else {
            var surging = 0
            var createNow: [String] = [], candidates: [String] = []
            for node in nodes {
                let pods = byNode[node]!.filter { $0.metadata?.deletionTimestamp == nil }
                let new = pods.filter(updated), old = pods.filter { !updated($0) }
                guard new.count <= 1, old.count <= 1 else { surging += 1; continue }
                switch (new.first, old.first) {
                case (_, nil): continue
                case (nil, let oldPod?):
                    if !available(oldPod) { createNow.append(node) } else { candidates.append(node) }
                case (let newPod?, let oldPod?):
                    if available(newPod) { delete.append(oldPod) } else { surging += 1 }
                }
            }
            let budget = max(0, maxSurge - surging)
            create = createNow + candidates.prefix(budget)
        }
    }

    static func olderFirst(_ a: Pod, _ b: Pod) -> Bool {
        let createdA = a.metadata?.creationTimestamp ?? Time(), createdB = b.metadata?.creationTimestamp ?? Time()
        if createdA != createdB { return createdA < createdB }
        return (a.metadata?.name ?? "") < (b.metadata?.name ?? "")
    }
}
