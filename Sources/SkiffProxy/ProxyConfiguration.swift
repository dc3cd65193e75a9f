/// ProxyConfiguration: what one skiff-proxy is told at start: its node, the cluster's ranges,
/// how it proxies and how often it resyncs. Parsed and checked once by `ProxyCommand`.
///
/// Concurrency: a plain value. Must never: hold a range that overlaps the machine's own
/// (10.255.255.0/24, 192.0.2.0/24); `validate()` refuses it.
import SkiffAPI

public struct ProxyConfiguration: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        /// Rules in one nftables table; the kernel does the forwarding.
        case nftables
        /// A relay in this process listening on every service IP and port.
        case userspace
    }

    public var nodeName: String
    /// Every pod's address: traffic from elsewhere to a service is masqueraded.
    public var clusterCIDR: IPv4Range
    /// Service virtual IPs: routed to this namespace's own stack so the node can reach them.
    public var serviceCIDR: IPv4Range
    public var mode: Mode
    /// Where NodePorts listen: local addresses inside these ranges; empty means every local
    /// address outside 127.0.0.0/8 and the service range.
    public var nodePortAddresses: [IPv4Range]
    /// The nftables table this proxy owns, whole.
    public var tableName: String
    /// Period of the full resync (re-derive the rules; check the table is still there).
    public var syncPeriod: Duration
    /// Shortest gap between two syncs: a burst of API changes becomes one apply.
    public var minSyncInterval: Duration

    public init(nodeName: String, clusterCIDR: IPv4Range, serviceCIDR: IPv4Range, mode: Mode = .nftables,
                nodePortAddresses: [IPv4Range] = [], tableName: String = "skiff-proxy",
                syncPeriod: Duration = .seconds(30), minSyncInterval: Duration = .milliseconds(2)) {
        self.nodeName = nodeName
        self.clusterCIDR = clusterCIDR
        self.serviceCIDR = serviceCIDR
        self.mode = mode
        self.nodePortAddresses = nodePortAddresses
        self.tableName = tableName
        self.syncPeriod = syncPeriod
        self.minSyncInterval = minSyncInterval
    }

    /// Throws `ProxyError` naming the offending range when one overlaps the machine's own.
    public func validate() throws {
        for (flag, range) in [("--cluster-cidr", clusterCIDR), ("--service-cidr", serviceCIDR)] + nodePortAddresses.map({ ("--nodeport-addresses", $0) }) {
            if let machine = range.overlappedMachineRange, flag != "--nodeport-addresses" {
                throw ProxyError("\(flag) \(range) overlaps \(machine), which this machine uses for itself")
            }
        }
        if clusterCIDR.overlaps(serviceCIDR) {
            throw ProxyError("--cluster-cidr \(clusterCIDR) and --service-cidr \(serviceCIDR) overlap")
        }
    }
}

/// A proxy failure with a message meant for the operator.
public struct ProxyError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
