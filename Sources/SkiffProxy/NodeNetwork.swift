/// NodeNetwork: what the proxy needs from the node's network namespace besides its table:
/// - a safety check first: refuse to run in the machine's root namespace or in any namespace
///   with a default route (rules and routes there would affect, or leak to, the real network);
/// - `local SERVICE-CIDR dev lo table local`: connections the node itself starts to a VIP need
///   a route before NAT can rewrite them (the kubelet's `unreachable` route for the range would
///   fail them at connect). The local table is consulted before the main one, so the kubelet's
///   route stays as it is, and a VIP without a rule is delivered to this namespace's own stack
///   (refused there) instead of going anywhere. The same route lets the userspace relay bind
///   VIPs without adding an address per service;
/// - `bridge-nf-call-iptables=1`: pod-to-VIP replies from a pod on the same bridge are bridged,
///   and must still pass conntrack to be un-NATed.
///
/// Concurrency: called from the proxy's start and cleanup only. Must never: add or remove a
/// route other than its own service route, or run any of this where `ensureIsolated` fails.
import Foundation
import SkiffAPI
import SkiffImages

public struct NodeNetwork: Sendable {
    public var ip: String

    public init(ip: String = "/sbin/ip") { self.ip = ip }

    /// Throws unless this is a network namespace of its own without a default route.
    public func ensureIsolated() async throws {
        let mine = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        let machine = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/1/ns/net")
        if let mine, let machine, mine == machine {
            throw ProxyError("refusing to run in the machine's own network namespace (\(mine)); run skiff-proxy in the node's namespace (nsenter --net=/run/netns/NODE --)")
        }
        for family in ["-4", "-6"] {
            let routes = try await HostCommand(ip, [family, "route", "show", "default"]).check().stdoutText
                .trimmingCharacters(in: .whitespacesAndNewlines)
            guard routes.isEmpty else {
                throw ProxyError("refusing to run: this network namespace has a default route (\(routes)); service traffic could leave the machine")
            }
        }
    }

    /// Adds (or keeps) the local route for the service range.
    public func ensureServiceRoute(_ range: IPv4Range) async throws {
        try await HostCommand(ip, ["-4", "route", "replace", "local", range.description, "dev", "lo", "table", "local"]).check()
    }

    /// Removes the service route if present.
    public func removeServiceRoute(_ range: IPv4Range) async throws {
        let existing = try await HostCommand(ip, ["-4", "route", "show", "table", "local", "exact", range.description]).check()
        guard !existing.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
        try await HostCommand(ip, ["-4", "route", "del", "local", range.description, "dev", "lo", "table", "local"]).check()
    }

    public static let bridgeNetfilterSetting = "/proc/sys/net/bridge/bridge-nf-call-iptables"

    /// Turns bridge-nf-call-iptables on in this namespace, loading br_netfilter if the setting
    /// is missing. Returns a warning when it could not be done (bridged hairpin-free pod-to-pod
    /// service replies would then fail).
    public func ensureBridgeNetfilter() async -> String? {
        if !FileManager.default.fileExists(atPath: Self.bridgeNetfilterSetting) {
            _ = try? await HostCommand("/sbin/modprobe", ["br_netfilter"], timeout: .seconds(30)).run()
        }
        guard FileManager.default.fileExists(atPath: Self.bridgeNetfilterSetting) else {
            return "\(Self.bridgeNetfilterSetting) is missing (br_netfilter not loaded): replies between pods on one bridge will skip conntrack"
        }
        if (try? String(contentsOfFile: Self.bridgeNetfilterSetting, encoding: .utf8))?.hasPrefix("1") == true { return nil }
        do {
            try "1\n".write(toFile: Self.bridgeNetfilterSetting, atomically: false, encoding: .utf8)
            return nil
        } catch {
            return "cannot turn on \(Self.bridgeNetfilterSetting): \(error)"
        }
    }
}
