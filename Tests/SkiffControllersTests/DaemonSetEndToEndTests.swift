/// End to end: the daemonset controller as its own process, the scheduler and fake-runtime
/// nodes: one pod per node, on nodes added later, never on a node whose taint it does not
/// tolerate.
import Foundation
import SkiffClient
import SkiffTestSupport
import SkiffWire
import Testing

@Suite("DaemonSets across nodes", .serialized, .enabled(if: jobNodeTestsUnavailable == nil))
struct DaemonSetEndToEndTests {
    /// Node name -> number of the DaemonSet's pods scheduled there.
    func podsPerNode(_ cluster: TestCluster) async throws -> [String: Int] {
        let pods = try await cluster.pods("app=agent").filter { $0.metadata?.deletionTimestamp == nil }
        return pods.reduce(into: [:]) { counts, pod in counts[pod.spec?.nodeName ?? "", default: 0] += 1 }
    }

    @Test("a DaemonSet runs one pod on every node, on a node added later, and not on a tainted node")
    func everyNode() async throws {
        try await withCluster { cluster in
            try await cluster.addNode(fakeRuntime: true)
            try await cluster.addNode(fakeRuntime: true)
            try await cluster.addNode(fakeRuntime: true, arguments: ["--register-with-taints", "dedicated=db:NoSchedule"])
            try cluster.startController("daemonset")
            try await cluster.apply("""
                apiVersion: apps/v1
                kind: DaemonSet
                metadata: {name: agent}
                spec:
                  selector: {matchLabels: {app: agent}}
                  template:
                    metadata: {labels: {app: agent}}
                    spec:
                      containers:
                      - {name: main, image: busybox, command: ["sleep", "3600"]}
                """)
            let client = cluster.client
            try await cluster.waitFor("one agent on node-1 and node-2", { try await self.podsPerNode(cluster) }) {
                $0 == ["node-1": 1, "node-2": 1]
            }
            let ready = try await cluster.waitFor("status counting two ready nodes", {
                try await client.get(DaemonSet.self, name: "agent", namespace: "default").status
            }) { $0?.desiredNumberScheduled == 2 && $0?.numberReady == 2 && $0?.numberAvailable == 2 }
            #expect(ready?.currentNumberScheduled == 2)
            #expect(ready?.updatedNumberScheduled == 2)
            #expect(ready?.numberMisscheduled == 0)
            #expect(ready?.numberUnavailable == 0)

            try await cluster.addNode(fakeRuntime: true)
            try await cluster.waitFor("an agent on the new node-4", { try await self.podsPerNode(cluster) }) {
                $0 == ["node-1": 1, "node-2": 1, "node-4": 1]
            }
            // The tainted node-3 still has none; every pod is pinned to its node by affinity.
            let pods = try await cluster.pods("app=agent")
            for pod in pods {
                let term = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms.first
                #expect(term?.matchFields.first?.values == [pod.spec?.nodeName ?? ""])
                #expect(pod.metadata?.labels["controller-revision-hash"] != nil)
            }
        }
    }

    @Test("a toleration lets the DaemonSet onto the tainted node; a changed template rolls out node by node")
    func tolerationAndRollout() async throws {
        try await withCluster { cluster in
            try await cluster.addNode(fakeRuntime: true)
            try await cluster.addNode(fakeRuntime: true, arguments: ["--register-with-taints", "dedicated=db:NoSchedule"])
            try cluster.startController("daemonset")
            let manifest = { (version: String) in """
                apiVersion: apps/v1
                kind: DaemonSet
                metadata: {name: agent}
                spec:
                  selector: {matchLabels: {app: agent}}
                  template:
                    metadata: {labels: {app: agent}, annotations: {version: "\(version)"}}
                    spec:
                      tolerations: [{key: dedicated, operator: Equal, value: db, effect: NoSchedule}]
                      containers:
                      - {name: main, image: busybox, command: ["sleep", "3600"]}
                """ }
            try await cluster.apply(manifest("1"))
            try await cluster.waitFor("an agent on both nodes", { try await self.podsPerNode(cluster) }) {
                $0 == ["node-1": 1, "node-2": 1]
            }
            let first = Set(try await cluster.pods("app=agent").compactMap(\.metadata?.uid))
            try await cluster.apply(manifest("2"))
            let client = cluster.client
            try await cluster.waitFor("every agent replaced by the new template", timeout: .seconds(90), {
                let pods = try await cluster.pods("app=agent")
                let status = try await client.get(DaemonSet.self, name: "agent", namespace: "default").status
                return (pods, status)
            }) { (pods: [Pod], status: DaemonSetStatus?) -> Bool in
                guard pods.count == 2, status?.updatedNumberScheduled == 2, status?.numberAvailable == 2 else { return false }
                return pods.allSatisfy { pod in
                    !first.contains(pod.metadata?.uid ?? "") && pod.metadata?.annotations["version"] == "2"
                }
            }
        }
    }
}
