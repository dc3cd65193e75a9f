/// skiff-proxy end to end on a real node: busybox pods serving their own names, selector-less
/// Services with explicit addresses and Endpoints the test writes, requests from a pod, from
/// the node itself and from a namespace outside the node.
import Foundation
import SkiffClient
import SkiffTestSupport
import SkiffWire
import Testing

@Suite("skiff-proxy on a real node", .serialized, .enabled(if: proxyNodeTestsUnavailable == nil))
struct ProxyEndToEndTests {
    @Test("nftables: ClusterIP balances from pods and the node, notReady stops traffic, hairpin, no endpoints refused, NodePort, affinity, restart, cleanup")
    func nftables() async throws {
        try await withProxyNode { env in
            let ipA = try await env.startWebPod("web-a")
            let ipB = try await env.startWebPod("web-b")
            try await env.createService("web", clusterIP: "10.96.0.50", type: "NodePort", nodePort: 30080)
            try await env.setEndpoints("web", ready: [ipA, ipB])

            // From a pod: both backends answer over a few requests.
            let fromPod = try await retrying({ try await env.fetchFromPod("web-a", "http://10.96.0.50/") },
                                             until: { Set($0) == ["web-a", "web-b"] })
            #expect(Set(fromPod) == ["web-a", "web-b"], "pod -> VIP answers: \(fromPod)\n\(env.table())")

            // From the node itself (needs the service route; the kubelet's is `unreachable`).
            let fromNode = try await retrying({ try env.fetchFromNode("http://10.96.0.50/") }, until: { Set($0) == ["web-a", "web-b"] })
            #expect(Set(fromNode) == ["web-a", "web-b"], "node -> VIP answers: \(fromNode)")

            // NodePort on the node's own addresses: its bridge address from the node, and its
            // address on a link from a namespace outside it.
            let nodePortLocal = try await retrying({ try env.fetchFromNode("http://10.244.1.1:30080/") },
                                                   until: { Set($0) == ["web-a", "web-b"] })
            #expect(Set(nodePortLocal) == ["web-a", "web-b"], "node -> bridge IP:nodePort answers: \(nodePortLocal)")
            let nodePortOutside = try await retrying({ try env.fetchFromOutside("http://10.251.0.1:30080/") },
                                                     until: { Set($0) == ["web-a", "web-b"] })
            #expect(Set(nodePortOutside) == ["web-a", "web-b"], "outside -> node IP:nodePort answers: \(nodePortOutside)")

            // web-b is no longer ready: it stops getting traffic.
            try await env.setEndpoints("web", ready: [ipA], notReady: [ipB])
            let onlyA = try await retrying({ try await env.fetchFromPod("web-b", "http://10.96.0.50/") },
                                           until: { $0.count == 10 && Set($0) == ["web-a"] })
            #expect(onlyA.count == 10 && Set(onlyA) == ["web-a"], "after notReady: \(onlyA)")

            // Hairpin: web-a reaches itself through a service whose only backend it is.
            try await env.createService("self-a", clusterIP: "10.96.0.51")
            try await env.setEndpoints("self-a", ready: [ipA])
            let hairpin = try await retrying({ try await env.fetchFromPod("web-a", "http://10.96.0.51/", count: 3) },
                                             until: { $0 == ["web-a", "web-a", "web-a"] })
            #expect(hairpin == ["web-a", "web-a", "web-a"], "hairpin answers: \(hairpin)")

            // ClientIP affinity: one client sticks to one backend.
            try await env.createService("sticky", clusterIP: "10.96.0.52", affinity: true)
            try await env.setEndpoints("sticky", ready: [ipA, ipB])
            _ = try await retrying({ try await env.fetchFromPod("web-a", "http://10.96.0.52/", count: 1) },
                                   until: { $0.first?.hasPrefix("web-") == true })
            let sticky = try await env.fetchFromPod("web-a", "http://10.96.0.52/", count: 12)
            #expect(sticky.count == 12 && Set(sticky).count == 1 && sticky.first?.hasPrefix("web-") == true, "affinity answers: \(sticky)")

            // No endpoints: refused at once (a reset), not left to time out.
            try await env.createService("empty", clusterIP: "10.96.0.53")
            let refused = try await retrying({ try await env.fetchFromPod("web-a", "http://10.96.0.53/", count: 1) },
                                             until: { $0.joined().contains("refused") })
            #expect(refused.joined().contains("Connection refused"), "no-endpoint answers: \(refused)")
            let refusedOnNode = try env.fetchFromNode("http://10.96.0.53/", count: 1)
            #expect(refusedOnNode.joined().contains("Connection refused"), "node no-endpoint answers: \(refusedOnNode)")

            // kill -9: the rules stay and keep working; a new proxy takes over and follows changes.
            await env.crashProxy()
            #expect(env.table().contains("10.96.0.50"))
            let whileDown = try await env.fetchFromPod("web-b", "http://10.96.0.50/", count: 3)
            #expect(whileDown == ["web-a", "web-a", "web-a"], "while the proxy is down: \(whileDown)")
            try env.startProxy()
            try await env.setEndpoints("web", ready: [ipB], notReady: [ipA])
            let onlyB = try await retrying({ try await env.fetchFromPod("web-a", "http://10.96.0.50/") },
                                           until: { $0.count == 10 && Set($0) == ["web-b"] })
            #expect(onlyB.count == 10 && Set(onlyB) == ["web-b"], "after restart and change: \(onlyB)")

            // --cleanup removes the table and the service route; a VIP then goes nowhere.
            await env.stopProxy()
            #expect(try await env.cleanup() == 0)
            #expect(env.table().isEmpty)
            let routes = try env.node.inNamespace(["/sbin/ip", "route", "show", "table", "local", "10.96.0.0/16"])
            #expect(routes.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "local routes left: \(routes)")
            let afterCleanup = try env.fetchFromNode("http://10.96.0.50/", count: 1)
            #expect(afterCleanup.first?.hasPrefix("web-") == false, "after cleanup: \(afterCleanup)")
        }
    }

    @Test("userspace: ClusterIP balances from pods and the node, notReady stops traffic, no endpoints refused, affinity")
    func userspace() async throws {
        try await withProxyNode(mode: "userspace") { env in
            let ipA = try await env.startWebPod("web-a")
            let ipB = try await env.startWebPod("web-b")
            try await env.createService("web", clusterIP: "10.96.0.60")
            try await env.setEndpoints("web", ready: [ipA, ipB])
            let fromPod = try await retrying({ try await env.fetchFromPod("web-a", "http://10.96.0.60/") },
                                             until: { Set($0) == ["web-a", "web-b"] })
            #expect(Set(fromPod) == ["web-a", "web-b"], "pod -> VIP answers: \(fromPod)\n\(env.proxy?.stderr.suffix(1500) ?? "")")
            let fromNode = try await retrying({ try env.fetchFromNode("http://10.96.0.60/") }, until: { Set($0) == ["web-a", "web-b"] })
            #expect(Set(fromNode) == ["web-a", "web-b"], "node -> VIP answers: \(fromNode)")
            #expect(env.table().isEmpty, "userspace mode writes no nftables table")

            try await env.setEndpoints("web", ready: [ipA], notReady: [ipB])
            let onlyA = try await retrying({ try await env.fetchFromPod("web-b", "http://10.96.0.60/") },
                                           until: { $0.count == 10 && Set($0) == ["web-a"] })
            #expect(onlyA.count == 10 && Set(onlyA) == ["web-a"], "after notReady: \(onlyA)")

            try await env.createService("sticky", clusterIP: "10.96.0.62", affinity: true)
            try await env.setEndpoints("sticky", ready: [ipA, ipB])
            _ = try await retrying({ try await env.fetchFromPod("web-a", "http://10.96.0.62/", count: 1) },
                                   until: { $0.first?.hasPrefix("web-") == true })
            let sticky = try await env.fetchFromPod("web-a", "http://10.96.0.62/", count: 12)
            #expect(sticky.count == 12 && Set(sticky).count == 1, "affinity answers: \(sticky)")

            try await env.createService("empty", clusterIP: "10.96.0.63")
            let refused = try env.fetchFromNode("http://10.96.0.63/", count: 1)
            #expect(refused.joined().contains("Connection refused"), "no-endpoint answers: \(refused)")
        }
    }

    @Test("bad flags are refused with the flag named")
    func badFlags() async throws {
        for (arguments, expected) in [(["--cluster-cidr", "10.244.0.0/33"], "--cluster-cidr"), (["--service-cidr", "ten"], "--service-cidr"),
                                      (["--mode", "ipvs"], "--mode"), (["--nodeport-addresses", "10.0.0.1"], "--nodeport-addresses"),
                                      (["--service-cidr", "10.255.0.0/16"], "--service-cidr")] {
            let child = try ChildProcess("skiff-proxy", ["--node-name", "n", "--run-dir", "/nonexistent"] + arguments)
            let status = await child.exitStatus(within: .seconds(30))
            let stderr = child.stderr
            await child.stop()
            #expect(status != 0 && status != nil)
            #expect(stderr.contains(expected), "\(arguments): \(stderr)")
        }
    }

    /// Only where the refusal is certain (this namespace has a default route), so the test can
    /// never make the proxy change the machine's own namespace.
    static let inMachineNamespace = getuid() == 0
        && !((try? ProxyNode.ip(["route", "show", "default"])) ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty

    @Test("refuses to run in the machine's own network namespace", .enabled(if: inMachineNamespace))
    func refusesRootNamespace() async throws {
        let child = try ChildProcess("skiff-proxy", ["--node-name", "n", "--run-dir", "/nonexistent", "--table", "skiff-proxy-never"])
        let status = await child.exitStatus(within: .seconds(30))
        let stderr = child.stderr
        await child.stop()
        #expect(status != 0 && status != nil)
        #expect(stderr.contains("refusing to run"), "\(stderr)")
    }
}
