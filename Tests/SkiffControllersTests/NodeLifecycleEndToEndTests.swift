/// Node lifecycle end to end: a node whose kubelet dies is marked unreachable and tainted, its
/// ReplicaSet's pods come back on the other node, and it is untainted when its kubelet returns.
import SkiffAPI
import SkiffClient
import SkiffControllers
import SkiffTestSupport
import SkiffWire
import Testing

@Suite("Node lifecycle end to end", .serialized, .enabled(if: TestNode.missingCapability == nil))
struct NodeLifecycleEndToEndTests {
    @Test func aSilentNodeIsTaintedAndItsPodsAreReplacedElsewhere() async throws {
        try await withCluster { cluster in
            let first = try await cluster.addNode(fakeRuntime: true)
            let second = try await cluster.addNode(fakeRuntime: true)
            try cluster.startController("replicaset")
            try cluster.startController("node-lifecycle", arguments: ["--option", "node-monitor-grace-seconds=6",
                                                                      "--option", "pod-eviction-seconds=2"])
            try await cluster.apply(LifecycleManifests.replicaSet("web", replicas: 4))
            let placed = try await cluster.waitForPods("web", count: 4, where: { !($0.spec?.nodeName ?? "").isEmpty })
            let victimName = placed.compactMap(\.spec?.nodeName).first ?? first.name
            let (victim, survivor) = victimName == first.name ? (first, second) : (second, first)

            await victim.crashKubelet()
            let tainted = try await cluster.waitFor("\(victim.name) tainted unreachable", {
                try await cluster.client.get(Node.self, name: victim.name)
            }, until: { node in
                let taints = Set((node.spec?.taints ?? []).map { "\($0.key ?? ""):\($0.effect ?? "")" })
                return taints.isSuperset(of: ["\(NodeTaints.unreachable):NoSchedule", "\(NodeTaints.unreachable):NoExecute"])
            })
            let ready = tainted.status?.conditions.first { $0.type == "Ready" }
            #expect(ready?.status == "Unknown")
            #expect(ready?.reason == "NodeStatusUnknown")

            // Evicted after two seconds; the ReplicaSet replaces them on the survivor.
            try await cluster.waitForPods("web", count: 4, where: { $0.spec?.nodeName == survivor.name })
            let left = try await cluster.pods("app=web").filter { $0.spec?.nodeName == victim.name }
            #expect(left.allSatisfy { $0.metadata?.deletionTimestamp != nil })

            try await victim.startKubelet()
            try await cluster.waitFor("\(victim.name) untainted", { try await cluster.client.get(Node.self, name: victim.name) },
                                      until: { node in
                                          !(node.spec?.taints ?? []).contains { $0.key == NodeTaints.unreachable }
                                      })
        }
    }
}
