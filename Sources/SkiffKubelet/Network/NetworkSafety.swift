/// NetworkSafety: the checks that keep pod traffic on this machine. The kubelet wires pods
/// to a bridge and the CNI bridge plugin turns on forwarding in the node's network namespace,
/// so before any pod gets an address:
/// - the namespace must have no default route (a node runs in its own network namespace;
///   with a default route pod traffic could be forwarded off the machine);
/// - the pod CIDR must not overlap the machine's own ranges (10.255.255.0/24, 192.0.2.0/24);
/// - every cluster range (all pods', services') gets an `unreachable` route unless a route for
///   exactly that range exists; more specific routes (the node's own pod range, other nodes'
///   ranges) still win, so a packet to a cluster address nobody serves fails here.
/// Checked even without a pod range: hostNetwork pods could reach cluster ranges too.
///
/// Concurrency: called once at start. Must never: change a route it did not make.
import Foundation
import SkiffAPI
import SkiffImages

enum NetworkSafety {
    static func prepare(podCIDR: String?, clusterCIDRs: [String], ip: String = "/sbin/ip") async throws {
        for range in [podCIDR].compactMap({ $0 }) + clusterCIDRs {
            guard let parsed = IPv4Range(range) else { throw RuntimeError("invalid CIDR \(range)") }
            if let reserved = parsed.overlappedMachineRange {
                throw RuntimeError("cluster range \(range) overlaps \(reserved), which this machine uses; choose another range")
            }
        }
        for family in ["-4", "-6"] {
            let routes = try await HostCommand(ip, [family, "route", "show", "default"]).check().stdoutText
            guard routes.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw RuntimeError("refusing to run pods: this network namespace has a default route (\(routes.trimmingCharacters(in: .whitespacesAndNewlines))); " +
                                   "run the kubelet in the node's own network namespace (compose/up does), where pod traffic cannot leave the machine")
            }
        }
        for range in clusterCIDRs {
            let existing = try await HostCommand(ip, ["-4", "route", "show", "exact", range]).check().stdoutText
            if existing.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                try await HostCommand(ip, ["-4", "route", "add", "unreachable", range]).check()
            }
        }
    }
}
