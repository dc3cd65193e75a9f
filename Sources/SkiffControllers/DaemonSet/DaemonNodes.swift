/// DaemonNodes: which nodes a DaemonSet's pod belongs on, as Kubernetes' NodeShouldRunDaemonPod:
/// the node matches the pod's nodeSelector and required node affinity, and the pod (with the
/// tolerations every daemon pod gets) tolerates its NoSchedule and NoExecute taints. An
/// untolerated NoSchedule taint keeps new pods off but lets a running one stay; NoExecute
/// evicts it too. Also the daemon pod itself: its tolerations, and required node affinity
/// naming exactly its node (matchFields metadata.name), which the scheduler honours.
///
/// The node-selector and toleration rules repeat the scheduler's (components do not import
/// each other); they belong in a shared library.
///
/// Concurrency: pure. Must never: place a pod on a node whose NoExecute taint it does not tolerate.
import SkiffWire

public enum DaemonNodes {
    public struct Placement: Sendable, Equatable {
        /// A pod should be created here if none is.
        public var shouldRun: Bool
        /// A pod already here may stay.
        public var shouldContinueRunning: Bool
    }

    /// Tolerations Kubernetes adds to every daemon pod, so node trouble neither evicts it nor
    /// keeps it off (network-unavailable only for hostNetwork pods).
    public static func daemonTolerations(hostNetwork: Bool) -> [Toleration] {
        var tolerations = [
            Toleration(key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute"),
            Toleration(key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute"),
            Toleration(key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule"),
            Toleration(key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule"),
            Toleration(key: "node.kubernetes.io/pid-pressure", operator: "Exists", effect: "NoSchedule"),
            Toleration(key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule"),
        ]
        if hostNetwork {
            tolerations.append(Toleration(key: "node.kubernetes.io/network-unavailable", operator: "Exists", effect: "NoSchedule"))
        }
        return tolerations
    }

    /// `spec` with the daemon tolerations added (those already present are kept once).
    public static func withDaemonTolerations(_ spec: PodSpec) -> PodSpec {
        var spec = spec
        for toleration in daemonTolerations(hostNetwork: spec.hostNetwork == true) where !spec.tolerations.contains(toleration) {
            spec.tolerations.append(toleration)
        }
        return spec
    }

    /// `spec` required onto `node`: its required node affinity becomes the one term
    /// matchFields metadata.name In [node], as Kubernetes' ReplaceDaemonSetPodNodeNameNodeAffinity
    /// (the controller already checked the rest of the affinity against the node).
    public static func bound(_ spec: PodSpec, to node: String) -> PodSpec {
        var spec = spec
        var affinity = spec.affinity ?? Affinity()
        var nodeAffinity = affinity.nodeAffinity ?? NodeAffinity()
        let term = NodeSelectorTerm(matchFields: [NodeSelectorRequirement(key: "metadata.name", operator: "In", values: [node])])
        nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = NodeSelector(nodeSelectorTerms: [term])
        affinity.nodeAffinity = nodeAffinity
        spec.affinity = affinity
        return spec
    }

    /// The node a daemon pod is on or meant for: spec.nodeName, else its matchFields name.
    public static func targetNode(_ pod: Pod) -> String? {
        if let name = pod.spec?.nodeName, !name.isEmpty { return name }
        for term in pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [] {
            for field in term.matchFields where field.key == "metadata.name" && field.operator == "In" && field.values.count == 1 {
                return field.values[0]
            }
        }
        return nil
    }

    public static func placement(of template: PodSpec?, on node: Node) -> Placement {
        let spec = withDaemonTolerations(template ?? PodSpec())
        let name = node.metadata?.name ?? "", labels = node.metadata?.labels ?? [:]
        guard matchesNodeSelector(spec, name: name, labels: labels) else {
            return Placement(shouldRun: false, shouldContinueRunning: false)
        }
        var placement = Placement(shouldRun: true, shouldContinueRunning: true)
        for taint in node.spec?.taints ?? [] where !spec.tolerations.contains(where: { tolerates($0, taint) }) {
            switch taint.effect {
            case "NoExecute": return Placement(shouldRun: false, shouldContinueRunning: false)
            case "NoSchedule": placement.shouldRun = false
            default: break
            }
        }
        return placement
    }

    // MARK: matching (Kubernetes' node selector and toleration semantics)

    static func matchesNodeSelector(_ spec: PodSpec, name: String, labels: [String: String]) -> Bool {
        for (key, value) in spec.nodeSelector where labels[key] != value { return false }
        guard let required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution else { return true }
        return required.nodeSelectorTerms.contains { term in
            if term.matchExpressions.isEmpty && term.matchFields.isEmpty { return false }
            return term.matchExpressions.allSatisfy { matches($0, labels: labels) }
                && term.matchFields.allSatisfy { field in
                    guard field.key == "metadata.name" else { return false }
                    switch field.operator {
                    case "In": return field.values.contains(name)
                    case "NotIn": return !field.values.contains(name)
                    default: return false
                    }
                }
        }
    }

    static func matches(_ requirement: NodeSelectorRequirement, labels: [String: String]) -> Bool {
        let label = labels[requirement.key ?? ""]
        switch requirement.operator ?? "" {
        case "In": return label.map { requirement.values.contains($0) } ?? false
        case "NotIn": return label.map { !requirement.values.contains($0) } ?? true
        case "Exists": return label != nil
        case "DoesNotExist": return label == nil
        case "Gt", "Lt":
            guard requirement.values.count == 1, let bound = Int64(requirement.values[0]), let label,
                  let actual = Int64(label) else { return false }
            return requirement.operator == "Gt" ? actual > bound : actual < bound
        default: return false
        }
    }

    static func tolerates(_ toleration: Toleration, _ taint: Taint) -> Bool {
        if let effect = toleration.effect, !effect.isEmpty, effect != (taint.effect ?? "") { return false }
        if let key = toleration.key, !key.isEmpty, key != (taint.key ?? "") { return false }
        switch toleration.operator ?? "" {
        case "", "Equal": return (toleration.value ?? "") == (taint.value ?? "")
        case "Exists": return true
        default: return false
        }
    }
}
