/// DeploymentDecision: what one Deployment needs done, from its spec and status, the ReplicaSets
/// of its namespace and (for Recreate) the pods: pure, so every rule of a rollout is table-tested
/// without an apiserver. It follows Kubernetes' deployment controller step for step (sync,
/// rolling, recreate, progress):
///
/// - Claims: ReplicaSets carrying its ControllerRef that match its selector; matching orphans
///   are adopted, its non-matching ones released.
/// - New ReplicaSet: the one whose template equals the Deployment's ignoring the
///   pod-template-hash label; created as NAME-HASH (PodTemplates.hash with
///   status.collisionCount; a name taken by another template bumps collisionCount). It gets
///   revision max(old)+1; an old ReplicaSet becoming new again (a rollback) records its former
///   revision in revision-history.
/// - Paused or a change of spec.replicas: scale only (proportionally across active
///   ReplicaSets during a rollout); paused also cleans history.
/// - RollingUpdate: scale the new ReplicaSet up within replicas+maxSurge, old ones down
///   keeping replicas-maxUnavailable available (unhealthy old replicas go first).
/// - Recreate: old ReplicaSets to 0, wait until none of their pods runs, then the new one.
/// - History: old ReplicaSets beyond revisionHistoryLimit with no replicas are deleted.
/// - Status: counts from the ReplicaSets, Available and Progressing conditions, the deadline.
///
/// The decision works on copies (the plan) and returns what differs from the cache: objects to
/// create, update (each carries the resourceVersion read, so a stale plan fails with a conflict
/// and is decided again) and delete.
///
/// Concurrency: pure. Must never: roll out while paused, scale a ReplicaSet it does not control,
/// or delete one with replicas.
import SkiffAPI
import SkiffWire

public struct DeploymentDecision: Sendable {
    public struct Event: Sendable, Equatable {
        public var type: String
        public var reason: String
        public var message: String
    }

    /// ReplicaSets to release (their ControllerRef removed).
    public var release: [ReplicaSet] = []
    /// The new ReplicaSet, when it does not exist yet.
    public var create: ReplicaSet?
    /// Changed ReplicaSets (scale, annotations, minReadySeconds, adoption), as whole objects.
    public var update: [ReplicaSet] = []
    /// Old ReplicaSets beyond the history limit.
    public var delete: [ReplicaSet] = []
    /// The Deployment's annotations, when they change (its revision).
    public var annotations: [String: String]?
    /// The Deployment's status, when it changes.
    public var status: DeploymentStatus?
    public var events: [Event] = []
    /// When to look again even without news: the progress deadline.
    public var recheckAfter: Duration?

    /// - Parameters:
    ///   - replicaSets: every ReplicaSet of the Deployment's namespace (claims and name collisions).
    ///   - pods: the namespace's pods (Recreate waits for old ones).
    public static func decide(_ deployment: Deployment, replicaSets: [ReplicaSet], pods: [Pod],
                              now: Time) throws -> DeploymentDecision {
        let selector = try LabelQuery(deployment.spec?.selector, at: FieldPath("spec.selector"))
        let now = Time(seconds: now.seconds)
        if selector.isEmpty {
            var decision = DeploymentDecision()
            decision.events.append(Event(type: "Warning", reason: "SelectingAll",
                                         message: "This deployment is selecting all pods. A non-empty selector is required."))
            var status = deployment.status ?? DeploymentStatus()
            if status.observedGeneration != deployment.metadata?.generation {
                status.observedGeneration = deployment.metadata?.generation
                decision.status = status
            }
            return decision
        }
        var plan = try RolloutPlan(deployment, replicaSets: replicaSets, selector: selector, pods: pods, now: now)
        try plan.run()
        return plan.decision()
    }
}

/// The working copies one decision changes, and the steps of Kubernetes' syncDeployment on them.
struct RolloutPlan {
    let original: Deployment
    var deployment: Deployment
    /// The claimed ReplicaSets as this plan leaves them.
    var sets: [ReplicaSet]
    let originals: [String: ReplicaSet]
    let namespaceSets: [ReplicaSet]
    let released: [ReplicaSet]
    let pods: [Pod]
    let now: Time
    var created: ReplicaSet?
    var deleted: [ReplicaSet] = []
    var events: [DeploymentDecision.Event] = []
    var collided = false

    init(_ deployment: Deployment, replicaSets: [ReplicaSet], selector: LabelQuery, pods: [Pod], now: Time) throws {
        original = deployment
        self.deployment = deployment
        if self.deployment.status == nil { self.deployment.status = DeploymentStatus() }
        let deleting = deployment.metadata?.deletionTimestamp != nil
        let claim = OwnerRefs.claim(replicaSets, ownerUID: deployment.metadata?.uid, ownerDeleting: deleting,
                                    selector: selector)
        let ref = OwnerRefs.controllerRef(to: deployment)
        sets = claim.owned + claim.adopt.map { rs in
            var adopted = rs
            adopted.metadata = OwnerRefs.adopting(rs.metadata, by: ref)
            return adopted
        }
        var originals: [String: ReplicaSet] = [:]
        for rs in claim.owned + claim.adopt { originals[rs.metadata?.uid ?? ""] = rs }
        self.originals = originals
        released = claim.release
        namespaceSets = replicaSets
        self.pods = pods
        self.now = now
    }

    var replicas: Int32 { deployment.desiredReplicas }
    var name: String { deployment.metadata?.name ?? "" }

    // MARK: syncDeployment

    mutating func run() throws {
        if deployment.metadata?.deletionTimestamp != nil {
            let (new, old) = try syncRevision(create: false)
            updateStatusCounts(new: new, old: old)
            return
        }
        checkPausedConditions()
        if deployment.isPaused || isScalingEvent() {
            try sync()
            return
        }
        if deployment.isRollingUpdate { try rolloutRolling() } else { try rolloutRecreate() }
    }

    /// Progressing Unknown with DeploymentPaused / DeploymentResumed as the pause flips (never
    /// over a reported deadline).
    mutating func checkPausedConditions() {
        guard deployment.progressDeadline != nil else { return }
        let current = DeploymentRules.progressing(deployment.status)
        if current?.reason == DeploymentReasons.progressDeadlineExceeded { return }
        let pausedRecorded = current?.reason == DeploymentReasons.paused
        if deployment.isPaused && !pausedRecorded {
            DeploymentRules.setCondition(&deployment.status!, DeploymentRules.condition(
                DeploymentReasons.progressing, "Unknown", DeploymentReasons.paused, "Deployment is paused", now: now))
        } else if !deployment.isPaused && pausedRecorded {
            DeploymentRules.setCondition(&deployment.status!, DeploymentRules.condition(
                DeploymentReasons.progressing, "Unknown", DeploymentReasons.resumed, "Deployment is resumed", now: now))
        }
    }

    /// An active ReplicaSet whose desired-replicas annotation differs from spec.replicas.
    func isScalingEvent() -> Bool {
        active(Array(sets.indices)).contains { index in
            guard let desired = Int32(sets[index].metadata?.annotations[DeploymentAnnotations.desiredReplicas] ?? "")
            else { return false }
            return desired != replicas
        }
    }

    /// Paused or scaled: scale, clean history when paused, counts only.
    mutating func sync() throws {
        let (new, old) = try syncRevision(create: false)
        guard !collided else { return }
        try scale(new: new, old: old)
        if deployment.isPaused { cleanupHistory(old: old) }
        updateStatusCounts(new: new, old: old)
    }

    // MARK: the new ReplicaSet and revisions

    /// The oldest claimed ReplicaSet whose template is the Deployment's.
    func findNew() -> Int? {
        sets.indices.sorted { createdBefore(sets[$0], sets[$1]) }
            .first { DeploymentRules.equalIgnoringHash(sets[$0].spec?.template, deployment.spec?.template) }
    }

    /// getAllReplicaSetsAndSyncRevision: the new ReplicaSet (found and annotated, or created when
    /// `create`) and the old ones, as indexes into `sets`.
    mutating func syncRevision(create: Bool) throws -> (new: Int?, old: [Int]) {
        let found = findNew()
        let old = sets.indices.filter { $0 != found }
        let maxOld = old.map { DeploymentRules.revision(sets[$0].metadata) }.max() ?? 0
        let newRevision = maxOld + 1
        if let found {
            var rs = sets[found]
            setNewReplicaSetAnnotations(&rs, revision: newRevision, exists: true)
            if (rs.spec?.minReadySeconds ?? 0) != deployment.minReadySeconds {
                rs.spec?.minReadySeconds = deployment.minReadySeconds
            }
            sets[found] = rs
            setDeploymentRevision(rs.metadata?.annotations[DeploymentAnnotations.revision] ?? "")
            if deployment.progressDeadline != nil && DeploymentRules.progressing(deployment.status) == nil {
                DeploymentRules.setCondition(&deployment.status!, DeploymentRules.condition(
                    DeploymentReasons.progressing, "True", DeploymentReasons.foundNewReplicaSet,
                    "Found new replica set \"\(rs.metadata?.name ?? "")\"", now: now))
            }
            return (found, old)
        }
        guard create else { return (nil, old) }

        let template = deployment.spec?.template
        let hash = PodTemplates.hash(template, collisionCount: deployment.status?.collisionCount)
        let rsName = "\(name)-\(hash)"
        if namespaceSets.contains(where: { $0.metadata?.name == rsName }) {
            // Another template has this name (or one ours no longer selects): a hash collision.
            deployment.status!.collisionCount = (deployment.status?.collisionCount ?? 0) + 1
            collided = true
            return (nil, old)
        }
        var newTemplate = template ?? PodTemplateSpec()
        var templateMeta = newTemplate.metadata ?? ObjectMeta()
        templateMeta.labels[DeploymentAnnotations.podTemplateHash] = hash
        newTemplate.metadata = templateMeta
        var selector = deployment.spec?.selector ?? LabelSelector()
        selector.matchLabels[DeploymentAnnotations.podTemplateHash] = hash
        var meta = ObjectMeta(name: rsName, namespace: deployment.metadata?.namespace, labels: templateMeta.labels)
        meta.ownerReferences = [OwnerRefs.controllerRef(to: deployment)]
        var rs = ReplicaSet(metadata: meta, spec: ReplicaSetSpec(replicas: 0, minReadySeconds: deployment.minReadySeconds,
                                                                 selector: selector, template: newTemplate))
        setNewReplicaSetAnnotations(&rs, revision: newRevision, exists: false)
        sets.append(rs)
        let index = sets.count - 1
        let count = try newReplicas(new: index)
        sets[index].spec?.replicas = count
        created = sets[index]
        if count > 0 {
            event("Normal", "ScalingReplicaSet", "Scaled up replica set \(rsName) from 0 to \(count)")
        }
        setDeploymentRevision(String(newRevision))
        if deployment.progressDeadline != nil {
            DeploymentRules.setCondition(&deployment.status!, DeploymentRules.condition(
                DeploymentReasons.progressing, "True", DeploymentReasons.newReplicaSetCreated,
                "Created new replica set \"\(rsName)\"", now: now))
        }
        return (index, old)
    }

    /// SetNewReplicaSetAnnotations: the Deployment's own annotations, the revision (raised, never
    /// lowered; the former one kept in revision-history), and for a new one the replica counts.
    func setNewReplicaSetAnnotations(_ rs: inout ReplicaSet, revision: Int64, exists: Bool) {
        var meta = rs.metadata ?? ObjectMeta()
        for (key, value) in deployment.metadata?.annotations ?? [:]
        where !DeploymentAnnotations.notCopied.contains(key) && meta.annotations[key] != value {
            meta.annotations[key] = value
        }
        let oldText = meta.annotations[DeploymentAnnotations.revision]
        let oldRevision: Int64
        if let oldText, !oldText.isEmpty {
            guard let parsed = Int64(oldText) else { rs.metadata = meta; return }
            oldRevision = parsed
        } else {
            oldRevision = 0
        }
        if oldRevision < revision {
            meta.annotations[DeploymentAnnotations.revision] = String(revision)
            if let oldText, !oldText.isEmpty {
                meta.annotations[DeploymentAnnotations.revisionHistory] =
                    Self.appendingHistory(meta.annotations[DeploymentAnnotations.revisionHistory] ?? "", oldText)
            }
        }
        rs.metadata = meta
        if !exists { _ = try? setReplicasAnnotations(&rs) }
    }

    /// "1,3" plus "5" is "1,3,5", dropping the oldest entries beyond the length limit.
    static func appendingHistory(_ history: String, _ revision: String) -> String {
        guard !history.isEmpty else { return revision }
        var entries = history.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var total = history.count + revision.count + 1
        while total > DeploymentAnnotations.revisionHistoryLimitInChars && !entries.isEmpty {
            total -= entries.removeFirst().count + 1
        }
        return (entries + [revision]).joined(separator: ",")
    }

    /// desired-replicas and max-replicas as the Deployment now wants them; whether they changed.
    @discardableResult
    func setReplicasAnnotations(_ rs: inout ReplicaSet) throws -> Bool {
        let desired = String(replicas), max = String(replicas + (try deployment.maxSurge()))
        var meta = rs.metadata ?? ObjectMeta()
        let changed = meta.annotations[DeploymentAnnotations.desiredReplicas] != desired
            || meta.annotations[DeploymentAnnotations.maxReplicas] != max
        meta.annotations[DeploymentAnnotations.desiredReplicas] = desired
        meta.annotations[DeploymentAnnotations.maxReplicas] = max
        rs.metadata = meta
        return changed
    }

    mutating func setDeploymentRevision(_ revision: String) {
        guard !revision.isEmpty, deployment.metadata?.annotations[DeploymentAnnotations.revision] != revision else { return }
        var meta = deployment.metadata ?? ObjectMeta()
        meta.annotations[DeploymentAnnotations.revision] = revision
        deployment.metadata = meta
    }

    /// NewRSNewReplicas: all of spec.replicas for Recreate; for RollingUpdate as many more as
    /// replicas+maxSurge leaves room for.
    func newReplicas(new: Int) throws -> Int32 {
        let current = sets[new].spec?.replicas ?? 0
        guard deployment.isRollingUpdate else { return replicas }
        let total = sets.indices.reduce(Int32(0)) { $0 + (sets[$1].spec?.replicas ?? 0) }
        let maxTotal = replicas + (try deployment.maxSurge())
        if total >= maxTotal { return current }
        return current + min(maxTotal - total, max(0, replicas - current))
    }

    // MARK: scaling

    /// scaleReplicaSet: the new size and the replica annotations; an event when the size changed.
    @discardableResult
    mutating func scale(_ index: Int, to size: Int32, operation: String) throws -> Bool {
        var rs = sets[index]
        let old = rs.spec?.replicas ?? 1
        let annotationsChanged = try setReplicasAnnotations(&rs)
        guard old != size || annotationsChanged else { return false }
        if rs.spec == nil { rs.spec = ReplicaSetSpec() }
        rs.spec?.replicas = size
        sets[index] = rs
        guard old != size else { return false }
        event("Normal", "ScalingReplicaSet", "Scaled \(operation) replica set \(rs.metadata?.name ?? "") from \(old) to \(size)")
        return true
    }

    /// scaleReplicaSetAndRecordEvent: nothing when the size is already right.
    @discardableResult
    mutating func scale(_ index: Int, to size: Int32) throws -> Bool {
        let old = sets[index].spec?.replicas ?? 1
        guard old != size else { return false }
        return try scale(index, to: size, operation: old < size ? "up" : "down")
    }

    func active(_ indexes: [Int]) -> [Int] { indexes.filter { (sets[$0].spec?.replicas ?? 1) > 0 } }

    /// The deployment's scale applied to its ReplicaSets: all to the one active (or newest)
    /// ReplicaSet, old ones to 0 once the new is saturated, else proportionally during a rollout.
    mutating func scale(new: Int?, old: [Int]) throws {
        if let target = activeOrLatest(new: new, old: old) {
            if (sets[target].spec?.replicas ?? 1) != replicas { try scale(target, to: replicas) }
            return
        }
        if let new, isSaturated(new) {
            for index in active(old) { try scale(index, to: 0) }
            return
        }
        guard deployment.isRollingUpdate else { return }
        var all = active(old + (new.map { [$0] } ?? []))
        let total = all.reduce(Int32(0)) { $0 + (sets[$1].spec?.replicas ?? 0) }
        let allowed = replicas > 0 ? replicas + (try deployment.maxSurge()) : 0
        let toAdd = allowed - total
        // Larger first; among equals newer first when growing, older first when shrinking.
        all.sort { a, b in
            let sizeA = sets[a].spec?.replicas ?? 0, sizeB = sets[b].spec?.replicas ?? 0
            if sizeA != sizeB { return sizeA > sizeB }
            return toAdd > 0 ? createdBefore(sets[b], sets[a]) : createdBefore(sets[a], sets[b])
        }
        var added: Int32 = 0
        var sizes: [Int: Int32] = [:]
        for index in all {
            let proportion = toAdd != 0 ? try proportion(index, toAdd: toAdd, added: added) : 0
            sizes[index] = (sets[index].spec?.replicas ?? 0) + proportion
            added += proportion
        }
        let operation = toAdd > 0 ? "up" : "down"
        for (position, index) in all.enumerated() {
            var size = sizes[index] ?? 0
            if position == 0 && toAdd != 0 { size = max(0, size + toAdd - added) }
            try scale(index, to: size, operation: operation)
        }
    }

    /// FindActiveOrLatest: the only active ReplicaSet; with none, the new one or the newest old.
    func activeOrLatest(new: Int?, old: [Int]) -> Int? {
        guard new != nil || !old.isEmpty else { return nil }
        let oldNewestFirst = old.sorted { createdBefore(sets[$1], sets[$0]) }
        let all = active(oldNewestFirst + (new.map { [$0] } ?? []))
        switch all.count {
        case 0: return new ?? oldNewestFirst.first
        case 1: return all[0]
        default: return nil
        }
    }

    /// IsSaturated: the new ReplicaSet has, wants and makes available all of spec.replicas.
    func isSaturated(_ index: Int) -> Bool {
        let rs = sets[index]
        guard let desired = Int32(rs.metadata?.annotations[DeploymentAnnotations.desiredReplicas] ?? "") else { return false }
        return (rs.spec?.replicas ?? 1) == replicas && desired == replicas && (rs.status?.availableReplicas ?? 0) == replicas
    }

    /// GetProportion: this ReplicaSet's share of `toAdd`, by its size against the max-replicas the
    /// deployment had when it was last scaled, never beyond what is left to add or remove.
    func proportion(_ index: Int, toAdd: Int32, added: Int32) throws -> Int32 {
        let rs = sets[index]
        let size = rs.spec?.replicas ?? 0
        guard size != 0, toAdd != 0, toAdd != added else { return 0 }
        let fraction: Int32
        if replicas == 0 {
            fraction = -size
        } else {
            let maxReplicas = replicas + (try deployment.maxSurge())
            var before = Int32(rs.metadata?.annotations[DeploymentAnnotations.maxReplicas] ?? "") ?? 0
            if before == 0 { before = deployment.status?.replicas ?? 0 }
            if before == 0 { return 0 }
            let scaled = (Double(size) * Double(maxReplicas) / Double(before)).rounded(.toNearestOrAwayFromZero)
            fraction = Int32(scaled) - size
        }
        let allowed = toAdd - added
        return toAdd > 0 ? min(fraction, allowed) : max(fraction, allowed)
    }

    // MARK: RollingUpdate

    mutating func rolloutRolling() throws {
        let (new, old) = try syncRevision(create: true)
        guard !collided else { return }
        if try reconcileNew(new) || (try reconcileOld(new: new, old: old)) {
            syncRolloutStatus(new: new, old: old)
            return
        }
        if DeploymentRules.isComplete(original, original.status) { cleanupHistory(old: old) }
        syncRolloutStatus(new: new, old: old)
    }

    /// Scales the new ReplicaSet towards spec.replicas within the surge.
    mutating func reconcileNew(_ new: Int?) throws -> Bool {
        guard let new else { return false }
        let size = sets[new].spec?.replicas ?? 1
        if size == replicas { return false }
        if size > replicas { return try scale(new, to: replicas) }
        return try scale(new, to: try newReplicas(new: new))
    }

    /// Scales old ReplicaSets down: first replicas that are not available anyway, then as many
    /// as keep spec.replicas - maxUnavailable available.
    mutating func reconcileOld(new: Int?, old: [Int]) throws -> Bool {
        let oldCount = old.reduce(Int32(0)) { $0 + (sets[$1].spec?.replicas ?? 0) }
        guard oldCount > 0 else { return false }
        let all = old + (new.map { [$0] } ?? [])
        let allCount = all.reduce(Int32(0)) { $0 + (sets[$1].spec?.replicas ?? 0) }
        let minAvailable = replicas - (try deployment.maxUnavailable())
        let newUnavailable = new.map { (sets[$0].spec?.replicas ?? 0) - (sets[$0].status?.availableReplicas ?? 0) } ?? 0
        let maxScaledDown = allCount - minAvailable - newUnavailable
        guard maxScaledDown > 0 else { return false }
        let oldestFirst = old.sorted { createdBefore(sets[$0], sets[$1]) }

        var cleaned: Int32 = 0
        for index in oldestFirst {
            if cleaned >= maxScaledDown { break }
            let size = sets[index].spec?.replicas ?? 0, available = sets[index].status?.availableReplicas ?? 0
            if size == 0 || available >= size { continue }
            let down = min(maxScaledDown - cleaned, size - available)
            try scale(index, to: size - down)
            cleaned += down
        }

        let availableNow = all.reduce(Int32(0)) { $0 + (sets[$1].status?.availableReplicas ?? 0) }
        var scaledDown: Int32 = 0
        if availableNow > minAvailable {
            let toScaleDown = availableNow - minAvailable
            for index in oldestFirst {
                if scaledDown >= toScaleDown { break }
                let size = sets[index].spec?.replicas ?? 0
                if size == 0 { continue }
                let down = min(size, toScaleDown - scaledDown)
                try scale(index, to: size - down)
                scaledDown += down
            }
        }
        return cleaned + scaledDown > 0
    }

    // MARK: Recreate

    mutating func rolloutRecreate() throws {
        var (new, old) = try syncRevision(create: false)
        var scaledDown = false
        for index in active(old) where try scale(index, to: 0) { scaledDown = true }
        if scaledDown || oldPodsRunning(new: new, old: old) {
            syncRolloutStatus(new: new, old: old)
            return
        }
        if new == nil {
            (new, old) = try syncRevision(create: true)
            guard !collided else { return }
        }
        if let new, (sets[new].spec?.replicas ?? 1) != replicas { try scale(new, to: replicas) }
        if DeploymentRules.isComplete(original, original.status) { cleanupHistory(old: old) }
        syncRolloutStatus(new: new, old: old)
    }

    /// Old ReplicaSets still report replicas, or a pod of theirs has not finished.
    func oldPodsRunning(new: Int?, old: [Int]) -> Bool {
        if old.reduce(Int32(0), { $0 + (sets[$1].status?.replicas ?? 0) }) > 0 { return true }
        let oldUIDs = Set(old.compactMap { sets[$0].metadata?.uid })
        return pods.contains { pod in
            guard let owner = OwnerRefs.controllerOf(pod.metadata)?.uid, oldUIDs.contains(owner) else { return false }
            let phase = pod.status?.phase ?? ""
            return phase != "Succeeded" && phase != "Failed"
        }
    }

    // MARK: history

    /// Deletes the oldest revisions beyond revisionHistoryLimit that have no replicas left.
    mutating func cleanupHistory(old: [Int]) {
        guard let limit = deployment.spec?.revisionHistoryLimit else { return }
        let alive = old.filter { sets[$0].metadata?.deletionTimestamp == nil }
        let excess = alive.count - Int(limit)
        guard excess > 0 else { return }
        let byRevision = alive.sorted { a, b in
            let ra = DeploymentRules.revision(sets[a].metadata), rb = DeploymentRules.revision(sets[b].metadata)
            return ra != rb ? ra < rb : createdBefore(sets[a], sets[b])
        }
        for index in byRevision.prefix(excess) {
            let rs = sets[index]
            let stored = originals[rs.metadata?.uid ?? ""] ?? rs
            guard (rs.status?.replicas ?? 0) == 0, (rs.spec?.replicas ?? 1) == 0, (stored.spec?.replicas ?? 1) == 0,
                  (rs.metadata?.generation ?? 0) <= (rs.status?.observedGeneration ?? 0) else { continue }
            deleted.append(stored)
        }
    }

    // MARK: status

    /// calculateStatus: counts from the ReplicaSets, and Available by maxUnavailable.
    mutating func updateStatusCounts(new: Int?, old: [Int]) {
        let all = old + (new.map { [$0] } ?? [])
        func sum(_ value: (ReplicaSet) -> Int32?) -> Int32 { all.reduce(0) { $0 + (value(sets[$1]) ?? 0) } }
        let available = sum { $0.status?.availableReplicas }
        let wanted = sum { $0.spec?.replicas ?? 1 }
        var status = deployment.status ?? DeploymentStatus()
        status.observedGeneration = deployment.metadata?.generation ?? 0
        status.replicas = sum { $0.status?.replicas }
        status.updatedReplicas = new.map { sets[$0].status?.replicas ?? 0 } ?? 0
        status.readyReplicas = sum { $0.status?.readyReplicas }
        status.availableReplicas = available
        status.unavailableReplicas = max(0, wanted - available)
        status.terminatingReplicas = sum { $0.status?.terminatingReplicas }
        let maxUnavailable = (try? deployment.maxUnavailable()) ?? 0
        let availability = available >= replicas - maxUnavailable
            ? DeploymentRules.condition(DeploymentReasons.available, "True", DeploymentReasons.minimumReplicasAvailable,
                                        "Deployment has minimum availability.", now: now)
            : DeploymentRules.condition(DeploymentReasons.available, "False", DeploymentReasons.minimumReplicasUnavailable,
                                        "Deployment does not have minimum availability.", now: now)
        DeploymentRules.setCondition(&status, availability)
        deployment.status = status
    }

    /// syncRolloutStatus: the counts, then Progressing: complete, progressing (its update time
    /// moves), or past its deadline; and ReplicaFailure from the ReplicaSets.
    mutating func syncRolloutStatus(new: Int?, old: [Int]) {
        let before = deployment.status
        updateStatusCounts(new: new, old: old)
        var status = deployment.status!
        let newName = new.map { sets[$0].metadata?.name ?? "" }
        if deployment.progressDeadline == nil {
            status.conditions.removeAll { $0.type == DeploymentReasons.progressing }
        }
        let current = DeploymentRules.progressing(before)
        let finished = status.replicas == status.updatedReplicas
            && current?.reason == DeploymentReasons.newReplicaSetAvailable
        if deployment.progressDeadline != nil && !finished {
            if DeploymentRules.isComplete(deployment, status) {
                let message = newName.map { "ReplicaSet \"\($0)\" has successfully progressed." }
                    ?? "Deployment \"\(name)\" has successfully progressed."
                DeploymentRules.setCondition(&status, DeploymentRules.condition(
                    DeploymentReasons.progressing, "True", DeploymentReasons.newReplicaSetAvailable, message, now: now))
            } else if DeploymentRules.isProgressing(before, status) {
                let message = newName.map { "ReplicaSet \"\($0)\" is progressing." } ?? "Deployment \"\(name)\" is progressing."
                var condition = DeploymentRules.condition(DeploymentReasons.progressing, "True",
                                                          DeploymentReasons.replicaSetUpdated, message, now: now)
                // Progress moves lastUpdateTime even when the reason stays.
                if let current {
                    if current.status == "True" { condition.lastTransitionTime = current.lastTransitionTime }
                    status.conditions.removeAll { $0.type == DeploymentReasons.progressing }
                }
                DeploymentRules.setCondition(&status, condition)
            } else if DeploymentRules.hasTimedOut(deployment, status, now: now) {
                let message = newName.map { "ReplicaSet \"\($0)\" has timed out progressing." }
                    ?? "Deployment \"\(name)\" has timed out progressing."
                DeploymentRules.setCondition(&status, DeploymentRules.condition(
                    DeploymentReasons.progressing, "False", DeploymentReasons.progressDeadlineExceeded, message, now: now))
            }
        }
        let failing = (new.map { [$0] } ?? []) + old
        let failures = failing.compactMap { index in
            sets[index].status?.conditions.first { $0.type == DeploymentReasons.replicaFailure }
        }
        if let failure = failures.first {
            DeploymentRules.setCondition(&status, DeploymentCondition(
                type: DeploymentReasons.replicaFailure, status: failure.status, lastUpdateTime: failure.lastTransitionTime,
                lastTransitionTime: failure.lastTransitionTime, reason: failure.reason, message: failure.message))
        } else {
            status.conditions.removeAll { $0.type == DeploymentReasons.replicaFailure }
        }
        deployment.status = status
    }

    /// When the progress deadline would pass (requeueStuckDeployment), for a rollout not done.
    func deadlineRecheck() -> Duration? {
        guard let deadline = deployment.progressDeadline, let status = deployment.status,
              let condition = DeploymentRules.progressing(status), !deployment.isPaused,
              !DeploymentRules.isComplete(deployment, status),
              condition.reason != DeploymentReasons.progressDeadlineExceeded,
              condition.reason != DeploymentReasons.newReplicaSetAvailable,
              condition.status == "True", let from = condition.lastUpdateTime else { return nil }
        let left = from.seconds + Int64(deadline) - now.seconds
        return .seconds(max(0, left) + 1)
    }

    // MARK: result

    mutating func event(_ type: String, _ reason: String, _ message: String) {
        events.append(DeploymentDecision.Event(type: type, reason: reason, message: message))
    }

    func decision() -> DeploymentDecision {
        var decision = DeploymentDecision()
        decision.release = released
        decision.create = created.flatMap { created in sets.first { $0.metadata?.name == created.metadata?.name } }
        let deletedUIDs = Set(deleted.compactMap(\.metadata?.uid))
        for rs in sets {
            guard let uid = rs.metadata?.uid, !deletedUIDs.contains(uid), let stored = originals[uid] else { continue }
            if rs != stored { decision.update.append(rs) }
        }
        decision.delete = deleted
        if deployment.metadata?.annotations != original.metadata?.annotations {
            decision.annotations = deployment.metadata?.annotations ?? [:]
        }
        if !DeploymentRules.sameStatus(deployment.status, original.status) { decision.status = deployment.status }
        decision.events = events
        decision.recheckAfter = collided ? nil : deadlineRecheck()
        return decision
    }
}

/// Older first by creation, then by name (ReplicaSetsByCreationTimestamp); one not created yet
/// is the newest.
func createdBefore(_ a: ReplicaSet, _ b: ReplicaSet) -> Bool {
    let never = Time(seconds: .max)
    let ta = a.metadata?.creationTimestamp ?? never, tb = b.metadata?.creationTimestamp ?? never
    if ta != tb { return ta < tb }
    return (a.metadata?.name ?? "") < (b.metadata?.name ?? "")
}
