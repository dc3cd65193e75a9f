/// PolicyRuleGrant: a compact way to write the bootstrap policy's rules, one line per rule, and
/// the verb sets Kubernetes' bootstrap policy speaks in.
///
/// Concurrency: pure values. Must never: widen a rule beyond what its line says.
import SkiffWire

enum Verbs {
    static let read = ["get", "list", "watch"]
    static let write = ["create", "update", "patch", "delete", "deletecollection"]
    static let readWrite = read + write
    static let all = ["*"]
}

extension PolicyRule {
    /// `verbs` on `resources` of one API group ("" is the core group), optionally only the
    /// objects named `names`.
    static func grant(_ verbs: [String], _ group: String, _ resources: String..., names: [String] = []) -> PolicyRule {
        PolicyRule(verbs: verbs, apiGroups: [group], resources: resources, resourceNames: names)
    }
}
