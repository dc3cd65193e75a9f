/// ClusterRoleAggregation: the rules an aggregated ClusterRole grants. Kubernetes' aggregation
/// controller rewrites such a role's `rules` with the union of the rules of every ClusterRole
/// whose labels match one of its `aggregationRule.clusterRoleSelectors`; Skiff has no such
/// controller, so `RBACPolicy` computes the union itself whenever a ClusterRole changes (not per
/// request). As with Kubernetes, an aggregating role's own stored `rules` do not count (the
/// controller would overwrite them): it grants the rules of the selected roles, following
/// selected roles that aggregate in turn, each rule once.
///
/// Concurrency: pure functions. Must never: loop on roles that select each other, or let a role
/// select itself.
import SkiffAPI
import SkiffWire

enum ClusterRoleAggregation {
    /// The effective rules of every ClusterRole in `roles` (keyed by name) that has an
    /// aggregationRule; roles without one grant exactly their own rules and are left out.
    static func effectiveRules(_ roles: [String: ClusterRole]) -> [String: [PolicyRule]] {
        var result: [String: [PolicyRule]] = [:]
        for (name, role) in roles where role.aggregationRule != nil {
            var seen: Set<String> = []
            result[name] = unique(rules(of: name, in: roles, seen: &seen))
        }
        return result
    }

    /// `name`'s rules: its own, or when it aggregates, those of the roles it selects.
    private static func rules(of name: String, in roles: [String: ClusterRole], seen: inout Set<String>) -> [PolicyRule] {
        guard let role = roles[name], seen.insert(name).inserted else { return [] }
        guard let aggregation = role.aggregationRule else { return role.rules }
        return selectedNames(by: aggregation, in: roles).sorted().flatMap { selected in
            selected == name ? [] : Self.rules(of: selected, in: roles, seen: &seen)
        }
    }

    /// Roles whose labels match any selector of `rule`; a selector that does not parse
    /// selects nothing.
    static func selectedNames(by rule: AggregationRule, in roles: [String: ClusterRole]) -> [String] {
        let queries = rule.clusterRoleSelectors.compactMap { try? LabelQuery($0) }
        return roles.compactMap { name, role in
            let labels = role.metadata?.labels ?? [:]
            return queries.contains { $0.matches(labels) } ? name : nil
        }
    }

    private static func unique(_ rules: [PolicyRule]) -> [PolicyRule] {
        rules.reduce(into: []) { kept, rule in if !kept.contains(rule) { kept.append(rule) } }
    }
}
