/// NFTablesScript: renders an `NFTablesRuleSet` as one script for `nft -f -`, which the kernel
/// applies as one transaction (all or nothing):
/// - `full`: `add table`, `delete table`, then the whole definition: replaces whatever the
///   table held, including leftovers of an earlier process (start, recovery after a failure);
/// - `delta`: from the rule set last applied to the next one, only what changed: new chains
///   declared, changed chains flushed and refilled, map elements removed and added, chains and
///   sets no longer wanted deleted last, once nothing refers to them. Affinity sets that stay
///   are never touched, so sticky clients keep their backend across syncs. Nil when the change
///   cannot be made in place (a base chain or a set's timeout changed): use `full`.
///
/// Concurrency: pure. Must never: emit a script that leaves the table half-updated if nft fails
/// (everything is in one script, so one transaction).
public enum NFTablesScript {
    public static func full(_ ruleSet: NFTablesRuleSet) -> String {
        let table = "ip \(ruleSet.table)"
        var lines = ["add table \(table)", "delete table \(table)", "table \(table) {"]
        for name in ruleSet.maps.keys.sorted() {
            let map = ruleSet.maps[name]!
            lines.append("\tmap \(name) {")
            lines.append("\t\ttype \(map.keyType) : verdict")
            if !map.elements.isEmpty {
                lines.append("\t\telements = {")
                let keys = map.elements.keys.sorted()
                for (index, key) in keys.enumerated() {
                    lines.append("\t\t\t\(key) : \(map.elements[key]!)\(index == keys.count - 1 ? "" : ",")")
                }
                lines.append("\t\t}")
            }
            lines.append("\t}")
        }
        for name in ruleSet.sets.keys.sorted() {
            lines.append("\tset \(name) { \(setBody(ruleSet.sets[name]!)) }")
        }
        for name in ruleSet.orderedChainNames {
            let chain = ruleSet.chains[name]!
            lines.append("\tchain \(name) {")
            if let hook = chain.hook { lines.append("\t\t\(hook)") }
            for rule in chain.rules { lines.append("\t\t\(rule)") }
            lines.append("\t}")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    public static func delta(from old: NFTablesRuleSet, to new: NFTablesRuleSet) -> String? {
        guard old.table == new.table, Set(old.maps.keys) == Set(new.maps.keys),
              old.maps.keys.allSatisfy({ old.maps[$0]!.keyType == new.maps[$0]!.keyType }) else { return nil }
        for (name, chain) in new.chains where chain.hook != nil || old.chains[name]?.hook != nil {
            if old.chains[name] != chain { return nil }
        }
        for (name, set) in new.sets where old.sets[name] != nil && old.sets[name] != set { return nil }
        let table = "ip \(new.table)"
        var lines: [String] = []
        // 1. Everything that will be referred to must exist first.
        for name in new.sets.keys.sorted() where old.sets[name] == nil {
            lines.append("add set \(table) \(name) { \(setBody(new.sets[name]!)) }")
        }
        let added = new.chains.keys.filter { old.chains[$0] == nil }.sorted()
        for name in added { lines.append("add chain \(table) \(name)") }
        // 2. Rules of new and changed chains.
        for name in new.orderedChainNames {
            let chain = new.chains[name]!
            guard let previous = old.chains[name] else {
                for rule in chain.rules { lines.append("add rule \(table) \(name) \(rule)") }
                continue
            }
            guard previous != chain else { continue }
            lines.append("flush chain \(table) \(name)")
            for rule in chain.rules { lines.append("add rule \(table) \(name) \(rule)") }
        }
        // 3. Map elements: a changed verdict is a delete and an add in the same transaction.
        for name in new.maps.keys.sorted() {
            let before = old.maps[name]!.elements, after = new.maps[name]!.elements
            let removed = before.keys.filter { after[$0] != before[$0] }.sorted()
            let put = after.keys.filter { after[$0] != before[$0] }.sorted()
            if !removed.isEmpty { lines.append("delete element \(table) \(name) { \(removed.joined(separator: ", ")) }") }
            if !put.isEmpty {
                lines.append("add element \(table) \(name) { \(put.map { "\($0) : \(after[$0]!)" }.joined(separator: ", ")) }")
            }
        }
        // 4. Chains and sets nobody refers to any more (their referrers were flushed or deleted above).
        for name in old.chains.keys.filter({ new.chains[$0] == nil }).sorted() {
            lines.append("flush chain \(table) \(name)")
        }
        for name in old.chains.keys.filter({ new.chains[$0] == nil }).sorted() {
            lines.append("delete chain \(table) \(name)")
        }
        for name in old.sets.keys.filter({ new.sets[$0] == nil }).sorted() {
            lines.append("delete set \(table) \(name)")
        }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    static func setBody(_ set: NFTablesRuleSet.AffinitySet) -> String {
        "type ipv4_addr; flags dynamic,timeout; timeout \(set.timeoutSeconds)s;"
    }
}
