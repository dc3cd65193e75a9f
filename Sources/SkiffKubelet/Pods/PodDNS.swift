/// PodDNS: the /etc/resolv.conf a pod gets, by its dnsPolicy, as Kubernetes' kubelet writes it:
/// - ClusterFirst (the default): the cluster DNS servers, the search path
///   NAMESPACE.svc.DOMAIN svc.DOMAIN DOMAIN and ndots:5; a hostNetwork pod gets the node's
///   resolver instead, unless its policy is ClusterFirstWithHostNet;
/// - Default: the node's resolver (its /etc/resolv.conf);
/// - None: only what dnsConfig says.
/// dnsConfig's nameservers, searches and options are added to any of them (an option given
/// twice keeps the pod's value), and a node without cluster DNS servers falls back to Default.
///
/// Concurrency: pure functions. Must never: read files (the node's resolver is passed in).
import SkiffWire

public struct ClusterDNS: Sendable, Equatable {
    public var servers: [String]
    public var domain: String

    public init(servers: [String], domain: String = "cluster.local") {
        self.servers = servers
        self.domain = domain
    }
}

enum PodDNS {
    /// A resolver configuration: nameservers, search domains and options, in order.
    struct Resolver: Equatable {
        var nameservers: [String] = []
        var searches: [String] = []
        var options: [String] = []

        /// Parses resolv.conf text (nameserver, search/domain and options lines).
        init(parsing text: String) {
            for line in text.split(separator: "\n") {
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                guard let keyword = words.first, !keyword.hasPrefix("#"), !keyword.hasPrefix(";") else { continue }
                switch keyword {
                case "nameserver": nameservers += words.dropFirst().prefix(1)
                case "search", "domain": searches = Array(words.dropFirst())
                case "options": options += words.dropFirst()
                default: continue
                }
            }
        }

        init(nameservers: [String], searches: [String], options: [String]) {
            self.nameservers = nameservers
            self.searches = searches
            self.options = options
        }

        var text: String {
            var lines = nameservers.map { "nameserver \($0)" }
            if !searches.isEmpty { lines.append("search " + searches.joined(separator: " ")) }
            if !options.isEmpty { lines.append("options " + options.joined(separator: " ")) }
            return lines.joined(separator: "\n") + "\n"
        }
    }

    static func resolvConf(for pod: Pod, cluster: ClusterDNS, nodeResolver: String) -> String {
        let spec = pod.spec ?? PodSpec()
        let namespace = pod.metadata?.namespace ?? "default"
        let policy = spec.dnsPolicy ?? "ClusterFirst"
        var resolver: Resolver
        switch policy {
        case "None":
            resolver = Resolver(nameservers: [], searches: [], options: [])
        case "ClusterFirst" where spec.hostNetwork != true, "ClusterFirstWithHostNet":
            if cluster.servers.isEmpty { fallthrough }
            let domain = cluster.domain
            resolver = Resolver(nameservers: cluster.servers,
                                searches: ["\(namespace).svc.\(domain)", "svc.\(domain)", domain], options: ["ndots:5"])
        default:
            resolver = Resolver(parsing: nodeResolver)
        }
        if let config = spec.dnsConfig {
            resolver.nameservers += config.nameservers.filter { !resolver.nameservers.contains($0) }
            resolver.searches += config.searches.filter { !resolver.searches.contains($0) }
            for option in config.options {
                let name = option.name ?? ""
                resolver.options.removeAll { $0 == name || $0.hasPrefix(name + ":") }
                resolver.options.append(option.value.map { "\(name):\($0)" } ?? name)
            }
        }
        // Resolvers read at most three nameservers and six search domains.
        resolver.nameservers = Array(resolver.nameservers.prefix(3))
        resolver.searches = Array(resolver.searches.prefix(6))
        return resolver.text
    }
}
