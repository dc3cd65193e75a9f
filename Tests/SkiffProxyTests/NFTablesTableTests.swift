/// NFTablesTable, the incremental step from the table applied to the next rules: over a long
/// seeded sequence of random changes it must equal the whole-table way (`make` on every rule,
/// `delta` between whole tables), render only what changed, and through NFTablesDataPath apply
/// for real (in a scratch namespace) to what a full apply leaves, recovering from a failed
/// apply with a full one.
import Foundation
import Logging
import SkiffAPI
import SkiffProxy
import SkiffTestSupport
import Testing

@Suite("NFTablesTable: only the rules that changed")
struct NFTablesTableTests {
    @Test("every update equals make over all the rules, and its script equals the whole-table delta")
    func matchesWholeTable() {
        var random = SeededRandom(seed: 7)
        var rules = RandomRules.start(count: 40, using: &random)
        var table = NFTablesTable(rules, configuration: Fixtures.configuration)
        #expect(table.ruleSet == NFTablesRuleSet.make(rules, configuration: Fixtures.configuration))
        var kinds: [String: Int] = [:]
        for step in 0..<400 {
            let before = table.ruleSet
            RandomRules.change(&rules, step: step, using: &random)
            let whole = NFTablesRuleSet.make(rules, configuration: Fixtures.configuration)
            let expected: NFTablesTable.Change
            switch NFTablesScript.delta(from: before, to: whole) {
            case nil: expected = .full(NFTablesScript.full(whole))
            case "": expected = .none
            case let delta?: expected = .delta(delta)
            }
            // In any order: the sync loop hands its rules over unsorted.
            let change = table.update(to: rules.shuffled(using: &random))
            #expect(change == expected, "step \(step)")
            #expect(table.ruleSet == whole, "step \(step)")
            switch change {
            case .none: kinds["none", default: 0] += 1
            case .delta: kinds["delta", default: 0] += 1
            case .full: kinds["full", default: 0] += 1
            }
        }
        // The sequence exercised every outcome.
        #expect(kinds["none", default: 0] > 0 && kinds["delta", default: 0] > 100 && kinds["full", default: 0] > 0, "\(kinds)")
    }

    @Test("the same rules in another order change nothing")
    func orderDoesNotMatter() {
        var table = NFTablesTable(NFTablesScriptTests.fifty, configuration: Fixtures.configuration)
        #expect(table.update(to: NFTablesScriptTests.fifty.reversed()) == .none)
    }

    @Test("a backend change in one of 1,000 services renders that service's chains only")
    func smallDelta() throws {
        var rules = RandomRules.bench(count: 1000)
        var table = NFTablesTable(rules, configuration: Fixtures.configuration)
        rules[500].backends[1] = Fixtures.backend("10.244.100.2:8080")
        guard case .delta(let script) = table.update(to: rules) else {
            Issue.record("expected a delta")
            return
        }
        let lines = script.split(separator: "\n")
        #expect(lines.count == 8, "\(script)")
        #expect(lines.allSatisfy { $0.contains("default/bench-500/") }, "\(script)")
        #expect(script.contains("add rule ip skiff-proxy ep-default/bench-500/tcp/80/10.244.100.2/8080 meta l4proto tcp dnat to 10.244.100.2:8080"))
    }

    // MARK: through the data path, for real

    @Test("NFTablesDataPath: full, deltas, nothing, a failed apply then full again; the kernel ends as a full apply leaves it",
          .enabled(if: ScratchNamespace.unavailable == nil))
    func dataPathForReal() async throws {
        let namespace = try ScratchNamespace()
        defer { namespace.delete() }
        let applier = namespace.applier
        let dataPath = NFTablesDataPath(configuration: Fixtures.configuration, applier: applier, logger: .init(label: "test"))
        var random = SeededRandom(seed: 11)
        var rules = RandomRules.start(count: 12, using: &random)
        #expect(try await dataPath.sync(rules).outcome == "full")
        for step in 0..<25 {
            RandomRules.change(&rules, step: step, using: &random)
            _ = try await dataPath.sync(rules)
        }
        #expect(try await dataPath.sync(rules).outcome == "skipped")
        let counts = dataPath.counts
        #expect(counts.delta > 15 && counts.failed == 0, "\(counts)")
        let afterDeltas = try await applier.list("skiff-proxy")
        let fullApply = NFTablesScript.full(NFTablesRuleSet.make(rules, configuration: Fixtures.configuration))
        try await applier.apply(fullApply)
        #expect(ScratchNamespace.normalized(afterDeltas) == ScratchNamespace.normalized(try await applier.list("skiff-proxy")))

        // Someone else removes the table: the delta fails (nothing of it applies), the next sync is whole.
        try await applier.deleteTable("skiff-proxy")
        rules[0].backends = [Fixtures.backend("10.244.9.9:80")]
        await #expect(throws: ProxyError.self) { _ = try await dataPath.sync(rules) }
        #expect(dataPath.counts.failed == 1)
        #expect(try await dataPath.sync(rules).outcome == "full")
        #expect(try await applier.list("skiff-proxy").contains("dnat to 10.244.9.9:80"))
        try await applier.deleteTable("skiff-proxy")
    }
}

/// A deterministic generator (SplitMix64), so a failing sequence can be replayed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random service port rules and random changes to them, as the API would make them: unique
/// VIPs and node ports, backends coming and going, services added and deleted, affinity on and
/// off (and, rarely, its timeout changed, which needs a whole table).
enum RandomRules {
    static func rule(_ index: Int, using random: inout SeededRandom) -> ServicePortRule {
        let backends = (0..<Int.random(in: 0...3, using: &random)).map { _ in
            "10.244.\(Int.random(in: 1...3, using: &random)).\(Int.random(in: 2...30, using: &random)):8080"
        }
        var rule = Fixtures.rule("s\(index)", vip: "10.96.2.\(index % 250)", port: index >= 250 ? 81 : 80,
                                 transport: Bool.random(using: &random) ? .tcp : .udp,
                                 nodePort: Bool.random(using: &random) ? UInt16(30000 + index) : nil,
                                 backends: Array(Set(backends)).sorted(), affinity: Int.random(in: 0..<4, using: &random) == 0 ? 60 : nil)
        rule.backends.sort()
        return rule
    }

    static func start(count: Int, using random: inout SeededRandom) -> [ServicePortRule] {
        (0..<count).map { rule($0, using: &random) }
    }

    /// The benchmark's shape: two backends each, no node ports, no affinity.
    static func bench(count: Int) -> [ServicePortRule] {
        (0..<count).map { index in
            Fixtures.rule("bench-\(index)", vip: "10.96.\(10 + index / 250).\(index % 250 + 1)",
                          backends: ["10.244.1.\(index % 250 + 2):8080", "10.244.2.\(index % 250 + 2):8080"])
        }
    }

    static func change(_ rules: inout [ServicePortRule], step: Int, using random: inout SeededRandom) {
        let pick = Int.random(in: 0..<100, using: &random)
        guard !rules.isEmpty else {
            rules.append(rule(step % 300, using: &random))
            return
        }
        let index = Int.random(in: 0..<rules.count, using: &random)
        switch pick {
        case 0..<40:
            // Another set of backends for one service.
            let fresh = rule(0, using: &random)
            rules[index].backends = fresh.backends
        case 40..<50:
            rules.remove(at: index)
        case 50..<60:
            let used = Set(rules.map(\.name))
            if let free = (0..<300).first(where: { !used.contains("s\($0)") }) { rules.append(rule(free, using: &random)) }
        case 60..<68:
            rules[index].affinitySeconds = rules[index].affinitySeconds == nil ? 60 : nil
        case 68..<70:
            if rules[index].affinitySeconds != nil { rules[index].affinitySeconds = 120 }
        case 70..<78:
            rules[index].nodePort = rules[index].nodePort == nil ? UInt16(31000 + step % 700) : nil
        case 78..<85:
            // Several at once, as a burst of changes makes one sync.
            for _ in 0..<3 {
                let other = Int.random(in: 0..<rules.count, using: &random)
                rules[other].backends = rule(0, using: &random).backends
            }
        default:
            // Nothing changed (a resync).
            break
        }
    }
}
