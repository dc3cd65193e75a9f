/// Tolerations: whether a pod's tolerations let it onto a tainted node, Kubernetes'
/// `ToleratesTaint`: the effect matches (or the toleration names none), the key matches (or the
/// toleration names none, which only `Exists` allows), and the value is equal (`Equal`, the
/// default) or not looked at (`Exists`).
///
/// Concurrency: pure functions. Must never: let an empty-key `Equal` toleration match a keyed
/// taint; validation refuses it, and Kubernetes compares the key.
import SkiffWire

public enum TaintEffect {
    public static let noSchedule = "NoSchedule"
    public static let preferNoSchedule = "PreferNoSchedule"
    public static let noExecute = "NoExecute"
}

/// Taint keys Kubernetes itself puts on nodes, for conditions this scheduler reads directly.
public enum WellKnownTaint {
    public static let unschedulable = "node.kubernetes.io/unschedulable"
    public static let notReady = "node.kubernetes.io/not-ready"
    public static let unreachable = "node.kubernetes.io/unreachable"
}

extension Toleration {
    public func tolerates(_ taint: Taint) -> Bool {
        if let effect, !effect.isEmpty, effect != (taint.effect ?? "") { return false }
        if let key, !key.isEmpty, key != (taint.key ?? "") { return false }
        switch self.operator ?? "" {
        case "", "Equal": return (value ?? "") == (taint.value ?? "")
        case "Exists": return true
        default: return false
        }
    }
}

extension Array where Element == Toleration {
    public func tolerate(_ taint: Taint) -> Bool { contains { $0.tolerates(taint) } }

    /// Whether any toleration lets the pod past a NoSchedule taint of `key` without a value, the
    /// form of the taints Kubernetes derives from node state (cordon, not ready).
    public func tolerateNoSchedule(key: String) -> Bool {
        tolerate(Taint(key: key, effect: TaintEffect.noSchedule))
    }
}
