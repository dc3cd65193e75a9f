/// NFTablesRuleSet: the whole `table ip skiff-proxy` as a value: chains with their rules as nft
/// text, verdict maps with their elements, affinity sets. `make` turns the service rules into
/// it, kube-proxy's nftables layout:
///
///   prerouting/output (nat) -> services: VIP.proto.port vmap @service-ips, node ports vmap
///   @service-nodeports -> svc-X (masquerade mark unless from a pod; affinity; numgen random
///   over the backends) -> ep-X-B (hairpin mark; dnat). ext-X (node ports) always marks.
///   input/forward/output (filter) -> endpoints-check: services without ready backends are
///   rejected (TCP reset) before any NAT.  postrouting (nat) -> masquerading: marked packets.
///
/// Each rule's part (its chains, affinity sets and map elements) is its `Fragment`; `make` is
/// the base chains plus every fragment, and `NFTablesTable` swaps the fragments of the rules
/// that changed. `restricted(to:)` cuts a table down to the names some fragments touch, so a
/// delta can be computed over just those.
///
/// Concurrency: pure values. Must never: name a chain or set from anything but the validated
/// namespace/name/port of an API object and IP addresses (the names go into nft's syntax).
import SkiffAPI

public struct NFTablesRuleSet: Sendable, Equatable {
    public struct Chain: Sendable, Equatable {
        /// `type nat hook prerouting priority -100; policy accept;` for a base chain, nil otherwise.
        public var hook: String?
        public var rules: [String]
        public init(hook: String? = nil, rules: [String]) {
            self.hook = hook
            self.rules = rules
        }
    }

    public struct VerdictMap: Sendable, Equatable {
        /// The key type, e.g. `ipv4_addr . inet_proto . inet_service`.
        public var keyType: String
        /// Key text to verdict text, e.g. "10.96.0.10 . tcp . 80" : "goto svc-...".
        public var elements: [String: String]
    }

    public struct AffinitySet: Sendable, Equatable {
        public var timeoutSeconds: Int
    }

    public var table: String
    public var chains: [String: Chain]
    public var maps: [String: VerdictMap]
    public var sets: [String: AffinitySet]

    /// Base chains first in this order (for a readable listing), then the rest sorted.
    static let baseChainOrder = ["nat-prerouting", "nat-output", "nat-postrouting", "filter-input", "filter-forward",
                                 "filter-output"]

    public var orderedChainNames: [String] {
        Self.baseChainOrder.filter { chains[$0] != nil } + chains.keys.filter { !Self.baseChainOrder.contains($0) }.sorted()
    }

    /// The packet mark that asks postrouting to masquerade (kube-proxy's bit).
    public static let masqueradeBit = "0x00004000"

    public static func make(_ rules: [ServicePortRule], configuration: ProxyConfiguration) -> NFTablesRuleSet {
        let localNodeAddress: String
        if configuration.nodePortAddresses.isEmpty {
            // Any local address but loopback (needs route_localnet) and the VIPs (local by our route).
            localNodeAddress = "ip daddr != { 127.0.0.0/8, \(configuration.serviceCIDR) } fib daddr type local"
        } else {
            localNodeAddress = "ip daddr { \(configuration.nodePortAddresses.map(\.description).joined(separator: ", ")) } fib daddr type local"
        }
        let chains: [String: Chain] = [
            "nat-prerouting": Chain(hook: "type nat hook prerouting priority -100; policy accept;", rules: ["jump services"]),
            // nft 1.0.6 refuses `priority dstnat` on the output hook; -100 is the same number.
            "nat-output": Chain(hook: "type nat hook output priority -100; policy accept;", rules: ["jump services"]),
            "nat-postrouting": Chain(hook: "type nat hook postrouting priority 100; policy accept;", rules: ["jump masquerading"]),
            // Before NAT (-100), so a VIP without backends is still the destination here.
            "filter-input": Chain(hook: "type filter hook input priority -110; policy accept;",
                                  rules: ["ct state new jump endpoints-check", "ct state new jump nodeport-endpoints-check"]),
            "filter-forward": Chain(hook: "type filter hook forward priority -110; policy accept;",
                                    rules: ["ct state new jump endpoints-check"]),
            "filter-output": Chain(hook: "type filter hook output priority -110; policy accept;",
                                   rules: ["ct state new jump endpoints-check", "ct state new jump nodeport-endpoints-check"]),
            "services": Chain(rules: [
                "ip daddr . meta l4proto . th dport vmap @service-ips",
                "\(localNodeAddress) meta l4proto . th dport vmap @service-nodeports",
            ]),
            "endpoints-check": Chain(rules: ["ip daddr . meta l4proto . th dport vmap @no-endpoint-services"]),
            "nodeport-endpoints-check": Chain(rules: ["\(localNodeAddress) meta l4proto . th dport vmap @no-endpoint-nodeports"]),
            // A plain reject is ICMP port-unreachable, which a TCP client took a second to give up on.
            "reject-service": Chain(rules: ["meta l4proto tcp reject with tcp reset", "reject"]),
            "mark-for-masquerade": Chain(rules: ["meta mark set meta mark | \(masqueradeBit)"]),
            "masquerading": Chain(rules: [
                "meta mark & \(masqueradeBit) == 0x00000000 return",
                "meta mark set meta mark ^ \(masqueradeBit)",
                "masquerade fully-random",
            ]),
        ]
        let vipKey = "ipv4_addr . inet_proto . inet_service"
        let portKey = "inet_proto . inet_service"
        let maps: [String: VerdictMap] = [
            "service-ips": VerdictMap(keyType: vipKey, elements: [:]),
            "service-nodeports": VerdictMap(keyType: portKey, elements: [:]),
            "no-endpoint-services": VerdictMap(keyType: vipKey, elements: [:]),
            "no-endpoint-nodeports": VerdictMap(keyType: portKey, elements: [:]),
        ]
        var ruleSet = NFTablesRuleSet(table: configuration.tableName, chains: chains, maps: maps, sets: [:])
        for rule in rules { ruleSet.add(fragment(rule, configuration: configuration)) }
        return ruleSet
    }

    /// What one service port rule brings to the table: its own chains and affinity sets and
    /// its elements in the four maps. `make` is the base chains plus every rule's fragment.
    public struct Fragment: Sendable, Equatable {
        public struct Element: Sendable, Equatable {
            public var map: String
            public var key: String
            public var verdict: String
        }

        public var chains: [String: Chain] = [:]
        public var sets: [String: AffinitySet] = [:]
        public var elements: [Element] = []
    }

    public static func fragment(_ rule: ServicePortRule, configuration: ProxyConfiguration) -> Fragment {
        var fragment = Fragment()
        let proto = rule.transport.rawValue
        let vip = "\(rule.clusterIP) . \(proto) . \(rule.port)"
        let nodePortKey = rule.nodePort.map { "\(proto) . \($0)" }
        guard !rule.backends.isEmpty else {
            fragment.elements.append(Fragment.Element(map: "no-endpoint-services", key: vip, verdict: "goto reject-service"))
            if let nodePortKey {
                fragment.elements.append(Fragment.Element(map: "no-endpoint-nodeports", key: nodePortKey, verdict: "goto reject-service"))
            }
            return fragment
        }
        let service = "svc-\(rule.identity)"
        fragment.elements.append(Fragment.Element(map: "service-ips", key: vip, verdict: "goto \(service)"))
        var serviceRules = ["ip saddr != \(configuration.clusterCIDR) jump mark-for-masquerade"]
        var targets: [String] = []
        for backend in rule.backends {
            let endpoint = "ep-\(rule.identity)/\(backend.ip)/\(backend.port)"
            targets.append(endpoint)
            var endpointRules = ["ip saddr \(backend.ip) jump mark-for-masquerade"]
            if let seconds = rule.affinitySeconds {
                let set = "aff-\(rule.identity)/\(backend.ip)/\(backend.port)"
                fragment.sets[set] = AffinitySet(timeoutSeconds: seconds)
                serviceRules.append("ip saddr @\(set) goto \(endpoint)")
                endpointRules.append("update @\(set) { ip saddr }")
            }
            endpointRules.append("meta l4proto \(proto) dnat to \(backend.ip):\(backend.port)")
            fragment.chains[endpoint] = Chain(rules: endpointRules)
        }
        if targets.count == 1 {
            serviceRules.append("goto \(targets[0])")
        } else {
            let choices = targets.enumerated().map { "\($0.offset) : goto \($0.element)" }.joined(separator: ", ")
            serviceRules.append("numgen random mod \(targets.count) vmap { \(choices) }")
        }
        fragment.chains[service] = Chain(rules: serviceRules)
        if let nodePortKey {
            let external = "ext-\(rule.identity)"
            fragment.elements.append(Fragment.Element(map: "service-nodeports", key: nodePortKey, verdict: "goto \(external)"))
            // From outside the pod network the reply must come back through this node.
            fragment.chains[external] = Chain(rules: ["jump mark-for-masquerade", "goto \(service)"])
        }
        return fragment
    }

    /// Adds a rule's fragment (a later one wins where two claim the same name or map key).
    public mutating func add(_ fragment: Fragment) {
        for (name, chain) in fragment.chains { chains[name] = chain }
        for (name, set) in fragment.sets { sets[name] = set }
        for element in fragment.elements { maps[element.map]?.elements[element.key] = element.verdict }
    }

    /// Takes a rule's fragment out again: its chains and sets, and its map elements where
    /// they still say what the fragment put there.
    public mutating func remove(_ fragment: Fragment) {
        for name in fragment.chains.keys { chains[name] = nil }
        for name in fragment.sets.keys { sets[name] = nil }
        for element in fragment.elements where maps[element.map]?.elements[element.key] == element.verdict {
            maps[element.map]?.elements[element.key] = nil
        }
    }

    /// Names of chains and sets and map keys: the part of a table some fragments touch.
    public struct Scope: Sendable, Equatable {
        public var chains: Set<String> = []
        public var sets: Set<String> = []
        /// Map name -> keys.
        public var elements: [String: Set<String>] = [:]

        public init() {}

        public mutating func insert(_ fragment: Fragment) {
            chains.formUnion(fragment.chains.keys)
            sets.formUnion(fragment.sets.keys)
            for element in fragment.elements { elements[element.map, default: []].insert(element.key) }
        }
    }

    /// Only what `scope` names (every map stays, with only the named elements). When two rule
    /// sets differ only inside a scope, the delta between their restrictions to it is the delta
    /// between them, and costs what the scope holds rather than the whole table.
    public func restricted(to scope: Scope) -> NFTablesRuleSet {
        var part = NFTablesRuleSet(table: table, chains: [:], maps: [:], sets: [:])
        for name in scope.chains { if let chain = chains[name] { part.chains[name] = chain } }
        for name in scope.sets { if let set = sets[name] { part.sets[name] = set } }
        for (name, map) in maps {
            var kept = VerdictMap(keyType: map.keyType, elements: [:])
            for key in scope.elements[name] ?? [] { if let verdict = map.elements[key] { kept.elements[key] = verdict } }
            part.maps[name] = kept
        }
        return part
    }
}
