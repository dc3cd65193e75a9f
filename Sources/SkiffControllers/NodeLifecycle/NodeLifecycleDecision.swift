/// NodeLifecycleDecision: what one node's health means for it and its pods, as Kubernetes'
/// node lifecycle controller and taint-based eviction decide: pure, with the time passed in.
///
/// - Heartbeats are the node's Lease renewals and the kubelet's status posts, timed by when this
///   controller observed them (a monotonic clock), never by the timestamps written in them.
/// - Silent for the grace period: every node condition becomes Unknown (reason
///   NodeStatusUnknown), and its pods' Ready becomes False.
/// - Ready Unknown: taints node.kubernetes.io/unreachable NoSchedule and NoExecute; Ready False:
///   node.kubernetes.io/not-ready; Ready True: neither.
/// - Under a NoExecute taint, a pod is evicted (deleted) once its toleration runs out: the
///   smallest tolerationSeconds of its tolerations matching the taint, forever if they have
///   none; DaemonSet pods stay; a pod with no matching toleration gets the default eviction
///   timeout (the 300 s Kubernetes' DefaultTolerationSeconds admission would have given it).
///
/// Concurrency: pure. Must never: evict a pod that tolerates the taint, or read a clock.
import SkiffWire

public struct NodeHealthSettings: Sendable, Equatable {
    /// --node-monitor-grace-period: silence after which a node is unreachable.
    public var gracePeriod: Duration = .seconds(40)
    /// Toleration of pods that do not tolerate the taint themselves.
    public var podEviction: Duration = .seconds(300)

    public init(gracePeriod: Duration = .seconds(40), podEviction: Duration = .seconds(300)) {
        self.gracePeriod = gracePeriod
        self.podEviction = podEviction
    }

    public init(options: [String: String]) {
        self.init()
        if let seconds = options["node-monitor-grace-seconds"].flatMap(Double.init), seconds > 0 {
            gracePeriod = .milliseconds(Int64(seconds * 1000))
        }
        if let seconds = options["pod-eviction-seconds"].flatMap(Double.init), seconds >= 0 {
            podEviction = .milliseconds(Int64(seconds * 1000))
        }
    }
}

public enum NodeTaints {
    public static let unreachable = "node.kubernetes.io/unreachable"
    public static let notReady = "node.kubernetes.io/not-ready"
}

public struct NodeLifecycleDecision: Sendable, Equatable {
    /// The node's new status conditions (nil: unchanged).
    public var conditions: [NodeCondition]?
    /// The node's new taints (nil: unchanged).
    public var taints: [Taint]?
    /// Ready as the controller sees it: "True", "False" or "Unknown".
    public var ready = "Unknown"
    /// Pods whose Ready condition must become False.
    public var markNotReady: [Pod] = []
    /// Pods whose toleration ran out.
    public var evict: [Pod] = []
    /// When each NoExecute taint on the node was first seen (controller time), for the next round.
    public var noExecuteSince: [String: Duration] = [:]
    /// When something changes with time alone (grace ends, a toleration runs out).
    public var recheckAfter: Duration?

    static let conditionTypes = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"]

    /// - Parameters:
    ///   - lastHeartbeat: controller time of the last heartbeat observed (or of first sight).
    ///   - noExecuteSince: controller time each NoExecute taint key was first seen.
    ///   - now: controller time now; `wallNow` for timestamps written into objects.
    public static func decide(_ node: Node, pods: [Pod], lastHeartbeat: Duration, noExecuteSince: [String: Duration],
                              now: Duration, wallNow: Time, settings: NodeHealthSettings) -> NodeLifecycleDecision {
        var decision = NodeLifecycleDecision()
        let current = node.status?.conditions ?? []
        let silent = now - lastHeartbeat >= settings.gracePeriod
        decision.ready = current.first { $0.type == "Ready" }?.status ?? "Unknown"
        if silent {
            decision.ready = "Unknown"
            let updated = unknownConditions(current, wallNow: wallNow)
            if updated != current { decision.conditions = updated }
        } else {
            decision.recheckAfter = lastHeartbeat + settings.gracePeriod - now
        }

        // Taints follow Ready.
        let wantedKey: String? = switch decision.ready {
        case "True": nil
        case "False": NodeTaints.notReady
        default: NodeTaints.unreachable
        }
        let currentTaints = node.spec?.taints ?? []
        var taints = currentTaints.filter { taint in
            let key = taint.key ?? ""
            guard key == NodeTaints.unreachable || key == NodeTaints.notReady else { return true }
            return key == wantedKey && (taint.effect == "NoSchedule" || taint.effect == "NoExecute")
        }
        if let wantedKey {
            for effect in ["NoSchedule", "NoExecute"] where !taints.contains(where: { $0.key == wantedKey && $0.effect == effect }) {
                taints.append(Taint(key: wantedKey, effect: effect, timeAdded: effect == "NoExecute" ? wallNow : nil))
            }
        }
        if taints != currentTaints { decision.taints = taints }

        // Pods of a node gone silent are not ready.
        let live = pods.filter { pod in
            let phase = pod.status?.phase ?? ""
            return phase != "Succeeded" && phase != "Failed"
        }
        if silent {
            decision.markNotReady = live.filter { PodState.readyCondition($0)?.status != "False" }
        }

        // Taint-based eviction.
        guard let wantedKey else { return decision }
        let since = noExecuteSince[wantedKey] ?? now
        decision.noExecuteSince = [wantedKey: since]
        let taint = Taint(key: wantedKey, effect: "NoExecute")
        for pod in live where pod.metadata?.deletionTimestamp == nil {
            guard let toleration = tolerationTime(pod, taint, default: settings.podEviction) else { continue }
            let evictAt = since + toleration
            if now >= evictAt {
                decision.evict.append(pod)
            } else {
                decision.recheckAfter = min(decision.recheckAfter ?? (evictAt - now), evictAt - now)
            }
        }
        return decision
    }

    /// Every condition the kubelet posts, Unknown, as Kubernetes marks a node it stopped hearing
    /// from: the heartbeat time kept, the transition now.
    static func unknownConditions(_ current: [NodeCondition], wallNow: Time) -> [NodeCondition] {
        var conditions = current
        for type in conditionTypes {
            if let index = conditions.firstIndex(where: { $0.type == type }) {
                guard conditions[index].status != "Unknown" else { continue }
                conditions[index].status = "Unknown"
                conditions[index].reason = "NodeStatusUnknown"
                conditions[index].message = "Kubelet stopped posting node status."
                conditions[index].lastTransitionTime = wallNow
            } else {
                conditions.append(NodeCondition(type: type, status: "Unknown", lastTransitionTime: wallNow, reason: "NodeStatusNeverUpdated",
                                                message: "Kubelet never posted node status."))
            }
        }
        return conditions
    }

    /// How long `pod` stays under NoExecute `taint`: nil for forever.
    public static func tolerationTime(_ pod: Pod, _ taint: Taint, default fallback: Duration) -> Duration? {
        if pod.metadata?.ownerReferences.contains(where: { $0.controller == true && $0.kind == "DaemonSet" }) == true {
            return nil
        }
        let matching = (pod.spec?.tolerations ?? []).filter { tolerates($0, taint) }
        if matching.isEmpty { return fallback }
        let seconds = matching.compactMap(\.tolerationSeconds)
        guard let least = seconds.min() else { return nil }
        return .seconds(max(0, least))
    }

    /// Whether `toleration` tolerates `taint`, as Kubernetes' ToleratesTaint.
    public static func tolerates(_ toleration: Toleration, _ taint: Taint) -> Bool {
        if let effect = toleration.effect, !effect.isEmpty, effect != taint.effect { return false }
        let key = toleration.key ?? ""
        if key.isEmpty { return toleration.operator == "Exists" }
        guard key == taint.key else { return false }
        switch toleration.operator ?? "Equal" {
        case "Exists": return true
        case "Equal", "": return (toleration.value ?? "") == (taint.value ?? "")
        default: return false
        }
    }
}
