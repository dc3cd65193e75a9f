/// EscalationCheck: Kubernetes' RBAC escalation prevention. Whoever may write Roles or
/// bindings still cannot grant more than they hold: a Role or ClusterRole may be written only
/// with rules its author already has where it applies (or with the `escalate` verb on it), and
/// a binding only to a role whose rules its author holds where the binding applies (or with the
/// `bind` verb on that role). Without it, the `admin` role (which manages RoleBindings) would
/// let its holder bind `cluster-admin` to anyone.
///
/// Concurrency: pure over a policy snapshot. Must never: let a write through that grants a
/// permission its author lacks.
import SkiffAPI
import SkiffWire

extension PolicyRule {
    /// Whether `owner` together grants everything this rule grants (Kubernetes' `Covers`): each
    /// verb, group, resource and name of this rule taken literally, so a "*" here is covered only
    /// by a "*" there.
    func isCovered(by owner: [PolicyRule]) -> Bool {
        let names: [String?] = resourceNames.isEmpty ? [nil] : resourceNames.map { $0 }
        for verb in verbs {
            for group in apiGroups {
                for resource in resources {
                    for name in names where !owner.contains(where: { $0.grants(verb, group, resource, name) }) {
                        return false
                    }
                }
            }
            for url in nonResourceURLs where !owner.contains(where: { $0.allowsNonResource(verb: verb, path: url) }) {
                return false
            }
        }
        return true
    }

    /// One literal permission: verb on group/resource (which may itself be "*" or "x/sub"),
    /// limited to `name` when given.
    private func grants(_ verb: String, _ group: String, _ resource: String, _ name: String?) -> Bool {
        guard Self.matches(verbs, verb), Self.matches(apiGroups, group) else { return false }
        let resourceCovered = resources.contains { mine in
            mine == "*" || mine == resource
                || (mine.hasPrefix("*/") && resource.contains("/") && resource.hasSuffix(String(mine.dropFirst())))
        }
        guard resourceCovered else { return false }
        guard !resourceNames.isEmpty else { return true }
        return name.map { resourceNames.contains($0) } ?? false
    }
}

enum EscalationCheck {
    static let everything = PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["*"], nonResourceURLs: ["*"])

    /// The rules a write of `object` would grant, and where: nil for objects that are not RBAC
    /// roles or bindings. `roleRules` looks up a binding's role.
    static func granted(by object: any APIObject, namespace: String,
                        roleRules: (RoleRef, String?) -> [PolicyRule]) -> (rules: [PolicyRule], scope: String, bindTarget: RoleRef?)? {
        switch object {
        case let role as Role: return (role.rules, namespace, nil)
        case let role as ClusterRole:
            // An aggregating role grants whatever roles its selectors ever pick up, the defaults
            // included: only those holding everything (or `escalate`) may write one.
            if role.aggregationRule != nil { return ([everything], "", nil) }
            return (role.rules, "", nil)
        case let binding as RoleBinding:
            guard let ref = binding.roleRef else { return nil }
            return (roleRules(ref, namespace), namespace, ref)
        case let binding as ClusterRoleBinding:
            guard let ref = binding.roleRef else { return nil }
            return (roleRules(ref, nil), "", ref)
        default:
            return nil
        }
    }

    /// Whether `new` grants exactly what `old` did to exactly whom (rules and aggregation of a
    /// role; subjects and role of a binding).
    static func grantsTheSame(_ new: any APIObject, _ old: any APIObject) -> Bool {
        switch (new, old) {
        case let (new as Role, old as Role): return new.rules == old.rules
        case let (new as ClusterRole, old as ClusterRole):
            return new.rules == old.rules && new.aggregationRule == old.aggregationRule
        case let (new as RoleBinding, old as RoleBinding): return new.subjects == old.subjects && new.roleRef == old.roleRef
        case let (new as ClusterRoleBinding, old as ClusterRoleBinding):
            return new.subjects == old.subjects && new.roleRef == old.roleRef
        default: return false
        }
    }

    /// The rules of `wanted` that `held` does not cover.
    static func uncovered(_ wanted: [PolicyRule], held: [PolicyRule]) -> [PolicyRule] {
        wanted.filter { !$0.isCovered(by: held) }
    }

    /// Kubernetes' refusal, naming the permissions the author lacks.
    static func refusal(_ info: ResourceInfo, name: String, user: UserInfo, missing: [PolicyRule]) -> APIError {
        let listed = missing.map { rule in
            "{APIGroups:\(rule.apiGroups), Resources:\(rule.resources)"
                + (rule.resourceNames.isEmpty ? "" : ", ResourceNames:\(rule.resourceNames)")
                + (rule.nonResourceURLs.isEmpty ? "" : ", NonResourceURLs:\(rule.nonResourceURLs)")
                + ", Verbs:\(rule.verbs)}"
        }.joined(separator: " ")
        return APIError.forbidden(info.groupResource, name,
                                  "user \"\(user.name)\" (groups=\(user.groups)) is attempting to grant RBAC permissions not currently held: \(listed)")
    }
}
