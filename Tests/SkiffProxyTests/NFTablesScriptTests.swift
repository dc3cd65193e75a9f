/// The nftables rule set and its scripts: golden text for a representative table, what a delta
/// touches (and what it must leave alone), and nft itself accepting the scripts: `nft -c` and
/// real applies in a throwaway network namespace this suite creates and deletes.
import Foundation
import SkiffAPI
import SkiffProxy
import SkiffTestSupport
import Testing

@Suite("NFTablesRuleSet and NFTablesScript")
struct NFTablesScriptTests {
    static let representative: [ServicePortRule] = [
        Fixtures.rule("web", vip: "10.96.0.20", nodePort: 30080, backends: ["10.244.1.2:8080", "10.244.1.3:8080"]),
        Fixtures.rule("dns", vip: "10.96.0.10", port: 53, transport: .udp, backends: ["10.250.0.2:53"]),
        Fixtures.rule("sticky", vip: "10.96.0.30", backends: ["10.244.1.4:80"], affinity: 60),
        Fixtures.rule("empty", vip: "10.96.0.40", nodePort: 30090, backends: []),
    ]

    @Test("a representative table, as nft will read it")
    func golden() {
        let script = NFTablesScript.full(NFTablesRuleSet.make(Self.representative, configuration: Fixtures.configuration))
        #expect(script == Self.goldenScript)
    }

    @Test("the same rules give the same script (a resync with no change applies nothing)")
    func deterministic() {
        let one = NFTablesRuleSet.make(Self.representative, configuration: Fixtures.configuration)
        let two = NFTablesRuleSet.make(Self.representative.reversed(), configuration: Fixtures.configuration)
        #expect(one == two)
        #expect(NFTablesScript.delta(from: one, to: two) == "")
    }

    @Test("--nodeport-addresses narrows node ports to local addresses in those ranges")
    func nodePortAddresses() {
        var configuration = Fixtures.configuration
        configuration.nodePortAddresses = [IPv4Range("10.250.0.0/24")!]
        let rules = NFTablesRuleSet.make([], configuration: configuration).chains["services"]!.rules
        #expect(rules.last == "ip daddr { 10.250.0.0/24 } fib daddr type local meta l4proto . th dport vmap @service-nodeports")
    }

    @Test("an endpoint moving to notReady rewrites one service chain and deletes one endpoint chain, nothing else")
    func deltaOnEndpointChange() throws {
        let before = NFTablesRuleSet.make(Self.representative, configuration: Fixtures.configuration)
        var rules = Self.representative
        rules[0].backends = [Fixtures.backend("10.244.1.2:8080")]
        let after = NFTablesRuleSet.make(rules, configuration: Fixtures.configuration)
        let delta = try #require(NFTablesScript.delta(from: before, to: after))
        #expect(delta == """
            flush chain ip skiff-proxy svc-default/web/tcp/80
            add rule ip skiff-proxy svc-default/web/tcp/80 ip saddr != 10.244.0.0/16 jump mark-for-masquerade
            add rule ip skiff-proxy svc-default/web/tcp/80 goto ep-default/web/tcp/80/10.244.1.2/8080
            flush chain ip skiff-proxy ep-default/web/tcp/80/10.244.1.3/8080
            delete chain ip skiff-proxy ep-default/web/tcp/80/10.244.1.3/8080

            """)
    }

    @Test("a service losing its last backend moves to the reject map; affinity sets that stay are never touched")
    func deltaToNoEndpoints() throws {
        let before = NFTablesRuleSet.make(Self.representative, configuration: Fixtures.configuration)
        var rules = Self.representative
        rules[0].backends = []
        let after = NFTablesRuleSet.make(rules, configuration: Fixtures.configuration)
        let delta = try #require(NFTablesScript.delta(from: before, to: after))
        #expect(delta.contains("delete element ip skiff-proxy service-ips { 10.96.0.20 . tcp . 80 }"))
        #expect(delta.contains("add element ip skiff-proxy no-endpoint-services { 10.96.0.20 . tcp . 80 : goto reject-service }"))
        #expect(delta.contains("add element ip skiff-proxy no-endpoint-nodeports { tcp . 30080 : goto reject-service }"))
        #expect(delta.contains("delete chain ip skiff-proxy svc-default/web/tcp/80"))
        #expect(delta.contains("delete chain ip skiff-proxy ext-default/web/tcp/80"))
        #expect(!delta.contains("aff-"))
    }

    @Test("a changed affinity timeout cannot be made in place: the table is replaced whole")
    func deltaRefusesSetChange() {
        let before = NFTablesRuleSet.make(Self.representative, configuration: Fixtures.configuration)
        var rules = Self.representative
        rules[2].affinitySeconds = 120
        #expect(NFTablesScript.delta(from: before, to: NFTablesRuleSet.make(rules, configuration: Fixtures.configuration)) == nil)
    }

    // MARK: nft itself

    @Test("nft -c accepts the full script for representative cases", .enabled(if: ScratchNamespace.unavailable == nil),
          arguments: ["no services", "representative", "fifty services"])
    func nftAccepts(_ example: String) async throws {
        let rules = ["no services": [], "representative": Self.representative, "fifty services": Self.fifty][example]!
        let namespace = try ScratchNamespace()
        defer { namespace.delete() }
        var configuration = Fixtures.configuration
        for addresses in [[], [IPv4Range("10.250.0.0/24")!]] {
            configuration.nodePortAddresses = addresses
            try await namespace.applier.check(NFTablesScript.full(NFTablesRuleSet.make(rules, configuration: configuration)))
        }
    }

    @Test("full, then deltas, then full again apply in a real namespace and leave what a full apply would",
          .enabled(if: ScratchNamespace.unavailable == nil))
    func appliesForReal() async throws {
        let namespace = try ScratchNamespace()
        defer { namespace.delete() }
        let applier = namespace.applier
        var current = NFTablesRuleSet.make(Self.representative, configuration: Fixtures.configuration)
        try await applier.apply(NFTablesScript.full(current))
        // Several changes in a row: a backend goes, one comes, a service goes, one comes with affinity.
        var rules = Self.representative
        let steps: [(inout [ServicePortRule]) -> Void] = [
            { $0[0].backends.removeLast() },
            { $0[0].backends.append(Fixtures.backend("10.244.1.9:8080")) },
            { $0.remove(at: 1) },
            { $0.append(Fixtures.rule("late", vip: "10.96.0.50", backends: ["10.244.1.7:80", "10.244.1.8:80"], affinity: 30)) },
            { $0[0].backends = [] },
        ]
        for step in steps {
            step(&rules)
            let next = NFTablesRuleSet.make(rules, configuration: Fixtures.configuration)
            let delta = try #require(NFTablesScript.delta(from: current, to: next))
            try await applier.apply(delta)
            current = next
        }
        let afterDeltas = try await applier.list("skiff-proxy")
        try await applier.apply(NFTablesScript.full(current))
        let afterFull = try await applier.list("skiff-proxy")
        #expect(ScratchNamespace.normalized(afterDeltas) == ScratchNamespace.normalized(afterFull))
        #expect(afterFull.contains("ep-default/late/tcp/80/10.244.1.8/80"))
        #expect(!afterFull.contains("dns"))
        try await applier.deleteTable("skiff-proxy")
        #expect(try await !applier.tableExists("skiff-proxy"))
    }

    /// Fifty services, three backends each, every other one sticky, all with node ports.
    static let fifty: [ServicePortRule] = (0..<50).map { (index: Int) -> ServicePortRule in
        let backends: [String] = (1...3).map { (backend: Int) -> String in "10.244.\(backend).\(index + 10):8080" }
        return Fixtures.rule("s\(index)", vip: "10.96.1.\(index)", nodePort: UInt16(30000 + index), backends: backends,
                             affinity: index % 2 == 0 ? 100 : nil)
    }

    static let goldenScript = """
        add table ip skiff-proxy
        delete table ip skiff-proxy
        table ip skiff-proxy {
        	map no-endpoint-nodeports {
        		type inet_proto . inet_service : verdict
        		elements = {
        			tcp . 30090 : goto reject-service
        		}
        	}
        	map no-endpoint-services {
        		type ipv4_addr . inet_proto . inet_service : verdict
        		elements = {
        			10.96.0.40 . tcp . 80 : goto reject-service
        		}
        	}
        	map service-ips {
        		type ipv4_addr . inet_proto . inet_service : verdict
        		elements = {
        			10.96.0.10 . udp . 53 : goto svc-default/dns/udp/53,
        			10.96.0.20 . tcp . 80 : goto svc-default/web/tcp/80,
        			10.96.0.30 . tcp . 80 : goto svc-default/sticky/tcp/80
        		}
        	}
        	map service-nodeports {
        		type inet_proto . inet_service : verdict
        		elements = {
        			tcp . 30080 : goto ext-default/web/tcp/80
        		}
        	}
        	set aff-default/sticky/tcp/80/10.244.1.4/80 { type ipv4_addr; flags dynamic,timeout; timeout 60s; }
        	chain nat-prerouting {
        		type nat hook prerouting priority -100; policy accept;
        		jump services
        	}
        	chain nat-output {
        		type nat hook output priority -100; policy accept;
        		jump services
        	}
        	chain nat-postrouting {
        		type nat hook postrouting priority 100; policy accept;
        		jump masquerading
        	}
        	chain filter-input {
        		type filter hook input priority -110; policy accept;
        		ct state new jump endpoints-check
        		ct state new jump nodeport-endpoints-check
        	}
        	chain filter-forward {
        		type filter hook forward priority -110; policy accept;
        		ct state new jump endpoints-check
        	}
        	chain filter-output {
        		type filter hook output priority -110; policy accept;
        		ct state new jump endpoints-check
        		ct state new jump nodeport-endpoints-check
        	}
        	chain endpoints-check {
        		ip daddr . meta l4proto . th dport vmap @no-endpoint-services
        	}
        	chain ep-default/dns/udp/53/10.250.0.2/53 {
        		ip saddr 10.250.0.2 jump mark-for-masquerade
        		meta l4proto udp dnat to 10.250.0.2:53
        	}
        	chain ep-default/sticky/tcp/80/10.244.1.4/80 {
        		ip saddr 10.244.1.4 jump mark-for-masquerade
        		update @aff-default/sticky/tcp/80/10.244.1.4/80 { ip saddr }
        		meta l4proto tcp dnat to 10.244.1.4:80
        	}
        	chain ep-default/web/tcp/80/10.244.1.2/8080 {
        		ip saddr 10.244.1.2 jump mark-for-masquerade
        		meta l4proto tcp dnat to 10.244.1.2:8080
        	}
        	chain ep-default/web/tcp/80/10.244.1.3/8080 {
        		ip saddr 10.244.1.3 jump mark-for-masquerade
        		meta l4proto tcp dnat to 10.244.1.3:8080
        	}
        	chain ext-default/web/tcp/80 {
        		jump mark-for-masquerade
        		goto svc-default/web/tcp/80
        	}
        	chain mark-for-masquerade {
        		meta mark set meta mark | 0x00004000
        	}
        	chain masquerading {
        		meta mark & 0x00004000 == 0x00000000 return
        		meta mark set meta mark ^ 0x00004000
        		masquerade fully-random
        	}
        	chain nodeport-endpoints-check {
        		ip daddr != { 127.0.0.0/8, 10.96.0.0/16 } fib daddr type local meta l4proto . th dport vmap @no-endpoint-nodeports
        	}
        	chain reject-service {
        		meta l4proto tcp reject with tcp reset
        		reject
        	}
        	chain services {
        		ip daddr . meta l4proto . th dport vmap @service-ips
        		ip daddr != { 127.0.0.0/8, 10.96.0.0/16 } fib daddr type local meta l4proto . th dport vmap @service-nodeports
        	}
        	chain svc-default/dns/udp/53 {
        		ip saddr != 10.244.0.0/16 jump mark-for-masquerade
        		goto ep-default/dns/udp/53/10.250.0.2/53
        	}
        	chain svc-default/sticky/tcp/80 {
        		ip saddr != 10.244.0.0/16 jump mark-for-masquerade
        		ip saddr @aff-default/sticky/tcp/80/10.244.1.4/80 goto ep-default/sticky/tcp/80/10.244.1.4/80
        		goto ep-default/sticky/tcp/80/10.244.1.4/80
        	}
        	chain svc-default/web/tcp/80 {
        		ip saddr != 10.244.0.0/16 jump mark-for-masquerade
        		numgen random mod 2 vmap { 0 : goto ep-default/web/tcp/80/10.244.1.2/8080, 1 : goto ep-default/web/tcp/80/10.244.1.3/8080 }
        	}
        }

        """
}

/// A network namespace of the test's own, deleted by `delete()`: nft runs in it through
/// `ip netns exec`, so nothing touches the machine's own namespace.
struct ScratchNamespace {
    let name = "skiff-proxy-test-\(UUID().uuidString.prefix(8).lowercased())"

    static var unavailable: String? {
        if getuid() != 0 { return "needs root (network namespaces)" }
        if !FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft") { return "/usr/sbin/nft is missing" }
        return nil
    }

    init() throws {
        try Self.run(["netns", "add", name])
    }

    var applier: RuleApplier { RuleApplier(command: ["/sbin/ip", "netns", "exec", name, "/usr/sbin/nft"]) }

    func delete() { try? Self.run(["netns", "del", name]) }

    static func run(_ arguments: [String]) throws {
        try Program.check("/sbin/ip", arguments)
    }

    /// A listing's lines and map elements, sorted (nft lists chains in creation order and map
    /// elements in its own order, which deltas change).
    static func normalized(_ listing: String) -> [String] {
        listing.replacingOccurrences(of: "elements = {", with: "\n").split(whereSeparator: { $0 == "\n" || $0 == "," })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && $0 != "}" }.sorted()
    }
}
