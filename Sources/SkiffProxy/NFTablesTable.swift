/// NFTablesTable: the table as the kernel holds it after the last apply (the rule set) and the
/// service port rules it was made from, and the step to the next rules: only the rules that
/// differ from the ones applied are turned into nft text, their fragments swapped in the rule
/// set, and the delta is computed over just the names those fragments touch. So a change to
/// one service costs what that service's chains hold, not what the whole table holds.
///
/// The result is the same as `NFTablesRuleSet.make` on all the rules and
/// `NFTablesScript.delta` between the whole tables (NFTablesTableTests checks both).
///
/// Concurrency: a pure value; the data path keeps one. Must never: report a script that does not
/// take the kernel from `ruleSet` before the call to `ruleSet` after it.
public struct NFTablesTable: Sendable, Equatable {
    /// What `update(to:)` asks the kernel to do.
    public enum Change: Sendable, Equatable {
        /// Nothing differs.
        case none
        /// A script of only what changed (`NFTablesScript.delta`).
        case delta(String)
        /// The change cannot be made in place: the whole table again (`NFTablesScript.full`).
        case full(String)
    }

    public let configuration: ProxyConfiguration
    /// The rules, by identity.
    public private(set) var rules: [String: ServicePortRule]
    /// `NFTablesRuleSet.make(rules)`.
    public private(set) var ruleSet: NFTablesRuleSet

    /// The table for `rules`, from nothing (its script is `NFTablesScript.full(ruleSet)`).
    public init(_ rules: [ServicePortRule], configuration: ProxyConfiguration) {
        self.configuration = configuration
        self.rules = Self.byIdentity(rules)
        ruleSet = NFTablesRuleSet.make(Array(self.rules.values), configuration: configuration)
    }

    /// Moves to `next` (in any order) and returns the script that takes the kernel there.
    public mutating func update(to next: [ServicePortRule]) -> Change {
        let wanted = Self.byIdentity(next)
        var removed: [NFTablesRuleSet.Fragment] = [], added: [NFTablesRuleSet.Fragment] = []
        var scope = NFTablesRuleSet.Scope()
        for (identity, rule) in rules where wanted[identity] != rule {
            let fragment = NFTablesRuleSet.fragment(rule, configuration: configuration)
            removed.append(fragment)
            scope.insert(fragment)
        }
        for (identity, rule) in wanted where rules[identity] != rule {
            let fragment = NFTablesRuleSet.fragment(rule, configuration: configuration)
            added.append(fragment)
            scope.insert(fragment)
        }
        rules = wanted
        guard !removed.isEmpty || !added.isEmpty else { return .none }
        let before = ruleSet.restricted(to: scope)
        // All removals first: a name may pass from an old rule to a new one.
        for fragment in removed { ruleSet.remove(fragment) }
        for fragment in added { ruleSet.add(fragment) }
        guard let delta = NFTablesScript.delta(from: before, to: ruleSet.restricted(to: scope)) else {
            return .full(NFTablesScript.full(ruleSet))
        }
        return delta.isEmpty ? .none : .delta(delta)
    }

    /// A later rule wins over an earlier one of the same identity, as in `make`.
    static func byIdentity(_ rules: [ServicePortRule]) -> [String: ServicePortRule] {
        var result: [String: ServicePortRule] = [:]
        result.reserveCapacity(rules.count)
        for rule in rules { result[rule.identity] = rule }
        return result
    }
}
