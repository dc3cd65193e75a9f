/// NodeSelectorMatching: Kubernetes' node selector semantics, for a pod's `nodeSelector` and its
/// node affinity. A term ANDs its requirements (label expressions and `metadata.name` fields);
/// a selector ORs its terms; an empty term, or a selector without terms, matches no node.
/// Operators: In, NotIn (also true when the label is absent), Exists, DoesNotExist, and Gt/Lt
/// (the label and the single value both integers).
///
/// Concurrency: plain values and pure functions. Must never: treat an unknown operator or a
/// malformed Gt/Lt value as a match; it matches nothing, as Kubernetes' parse error does.
import SkiffWire

extension NodeSelectorRequirement {
    /// Against a label set (matchExpressions).
    func matches(labels: [String: String]) -> Bool {
        let key = self.key ?? ""
        let label = labels[key]
        switch self.operator ?? "" {
        case "In": return label.map { values.contains($0) } ?? false
        case "NotIn": return label.map { !values.contains($0) } ?? true
        case "Exists": return label != nil
        case "DoesNotExist": return label == nil
        case "Gt", "Lt":
            guard values.count == 1, let bound = Int64(values[0]), let label, let actual = Int64(label) else {
                return false
            }
            return self.operator == "Gt" ? actual > bound : actual < bound
        default: return false
        }
    }

    /// Against the node's fields (matchFields): only metadata.name, with In or NotIn.
    func matches(nodeName: String) -> Bool {
        guard key == "metadata.name" else { return false }
        switch self.operator ?? "" {
        case "In": return values.contains(nodeName)
        case "NotIn": return !values.contains(nodeName)
        default: return false
        }
    }
}

extension NodeSelectorTerm {
    func matches(name: String, labels: [String: String]) -> Bool {
        if matchExpressions.isEmpty && matchFields.isEmpty { return false }
        return matchExpressions.allSatisfy { $0.matches(labels: labels) }
            && matchFields.allSatisfy { $0.matches(nodeName: name) }
    }
}

extension NodeSelector {
    func matches(name: String, labels: [String: String]) -> Bool {
        nodeSelectorTerms.contains { $0.matches(name: name, labels: labels) }
    }
}

/// What a pod requires of a node's labels and name: its `nodeSelector` (every pair equal) and
/// its required node affinity. Nil fields require nothing.
public struct RequiredNodeAffinity: Sendable {
    public var nodeSelector: [String: String]
    public var required: NodeSelector?

    public init(_ spec: PodSpec?) {
        nodeSelector = spec?.nodeSelector ?? [:]
        required = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
    }

    public var requiresAnything: Bool { !nodeSelector.isEmpty || required != nil }

    public func matches(name: String, labels: [String: String]) -> Bool {
        for (key, value) in nodeSelector where labels[key] != value { return false }
        if let required, !required.matches(name: name, labels: labels) { return false }
        return true
    }
}
