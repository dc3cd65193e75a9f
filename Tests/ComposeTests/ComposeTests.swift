/// The supervised cluster as a user runs it: `compose/up --nodes 2` in a temporary directory
/// (with this build's executables), pods on both nodes reaching each other across the
/// cluster's fabric, a killed component restarted by supervisord, `compose/scale`,
/// `compose/status`, `compose/logs`, and `compose/down` leaving nothing behind.
import Foundation
import SkiffClient
import SkiffControllers
import SkiffTestSupport
import SkiffWire
import Testing

let composeUnavailable: String? = {
    var reason = TestNode.missingCapability
    if reason == nil, !FileManager.default.isExecutableFile(atPath: "/usr/bin/supervisord") {
        reason = "/usr/bin/supervisord is missing (scripts/install-deps installs supervisor)"
    }
    if let reason { print("skipping compose tests: \(reason)") }
    return reason
}()

/// compose/ in this checkout.
let composeDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("compose").path

@Suite("compose", .serialized, .enabled(if: composeUnavailable == nil))
struct ComposeTests {
    static func skiffctl(_ arguments: [String], state: String) async throws -> (status: Int32?, stdout: String, stderr: String) {
        var full = arguments
        full.insert(contentsOf: ["--run-dir", state + "/run", "--kubeconfig", state + "/kubeconfig"],
                    at: arguments.firstIndex(of: "--") ?? arguments.endIndex)
        let child = try ChildProcess("skiffctl", full)
        let status = await child.exitStatus(within: .seconds(60))
        let (output, errors) = (child.stdout, child.stderr)
        await child.stop()
        return (status, output, errors)
    }

    /// The cluster's admin, as skiffctl finds it: the kubeconfig compose/up writes.
    static func adminConfig(_ state: String) -> ClientConfig {
        var config = ClientConfig(runDirectory: state + "/run", timeout: .seconds(10), component: "test")
        config.kubeconfig = state + "/kubeconfig"
        return config
    }

    @Test("compose/up --nodes 2 runs a cluster whose pods reach each other across nodes; down removes it all")
    func twoNodeCluster() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-compose-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let compose = Compose(directory: composeDirectory, state: state,
                              bin: (try Products.path(of: "skiff-kubelet") as NSString).deletingLastPathComponent)
        let up = try await compose.run("up", ["--nodes", "2"])
        do {
            #expect(up.status == 0, "compose/up: \(up.output)")
            #expect(up.output.contains("Skiff is up: 2 node(s)"))
            let client = try APIClient(ComposeTests.adminConfig(state))
            defer { Task { await client.close() } }
            let nodes = try await client.list(Node.self).items
            #expect(Set(nodes.compactMap { $0.metadata?.name }) == ["node-1", "node-2"])

            // One pod per node, placed by the scheduler through nodeSelector.
            for (name, node, command) in [("server", "node-2", ["sh", "-c", "mkdir /www; hostname > /www/index.html; httpd -f -p 80 -h /www"]),
                                          ("client", "node-1", ["sleep", "3600"])] {
                _ = try await client.create(Pod(metadata: ObjectMeta(name: name, namespace: "default"),
                                                spec: PodSpec(containers: [Container(name: "main", image: "busybox", command: command)],
                                                              nodeSelector: ["kubernetes.io/hostname": node])))
            }
            let running = await eventually(timeout: .seconds(60), interval: .milliseconds(200)) {
                let pods = (try? await client.list(Pod.self, namespace: "default"))?.items ?? []
                return pods.count == 2 && pods.allSatisfy { $0.status?.phase == "Running" }
            }
            #expect(running)
            let server = try await client.get(Pod.self, name: "server", namespace: "default")
            #expect(server.spec?.nodeName == "node-2")
            let ip = try #require(server.status?.podIP)
            #expect(ip.hasPrefix("10.244.2."))
            let fetched = try await Self.skiffctl(["exec", "client", "--", "timeout", "5", "wget", "-qO-", "http://\(ip)/"], state: state)
            #expect(fetched.status == 0 && fetched.stdout == "server\n", "pod-to-pod across nodes")

            // kill -9 of a component: supervisord starts it again.
            // Store, apiserver, scheduler, DNS, two kubelets, two proxies and every controller,
            // one process each.
            let controllers = Controllers.all.map { "\($0.name)-0" }
            let allRunning = await eventually(timeout: .seconds(30), interval: .milliseconds(200)) {
                let processes = (try? await compose.processes()) ?? [:]
                return processes.count == 8 + controllers.count && processes.values.allSatisfy { $0.state == "RUNNING" }
            }
            let before = try await compose.processes()
            #expect(allRunning, "\(before)")
            #expect(Set(controllers).isSubset(of: Set(before.keys)), "\(before.keys.sorted())")
            let schedulerPid = try #require(Int32(before["scheduler-0"]?.pid ?? ""))
            kill(schedulerPid, SIGKILL)
            let restarted = await eventually(timeout: .seconds(30), interval: .milliseconds(200)) {
                guard let now = try? await compose.processes()["scheduler-0"] else { return false }
                return now.state == "RUNNING" && now.pid != String(schedulerPid) && now.restarts == "1"
            }
            #expect(restarted)

            let scaled = try await compose.run("scale", ["scheduler", "2"])
            #expect(scaled.status == 0 && scaled.output == "scheduler scaled to 2\n")
            let two = await eventually(timeout: .seconds(30), interval: .milliseconds(200)) {
                (try? await compose.processes())?["scheduler-1"]?.state == "RUNNING"
            }
            #expect(two)
            // Three ReplicaSet controllers share the work; a ReplicaSet still converges.
            let three = try await compose.run("scale", ["replicaset", "3"])
            #expect(three.status == 0 && three.output == "replicaset scaled to 3\n", "\(three.output)")
            let leases = await eventually(timeout: .seconds(30), interval: .milliseconds(200)) {
                let held = try? await client.list(Lease.self, namespace: "kube-system", labelSelector: "skiff.io/controller-shard=replicaset")
                return held?.items.count == 3
            }
            #expect(leases, "three replicaset controllers hold shard leases")
            let unknown = try await compose.run("scale", ["nonsense", "2"])
            #expect(unknown.status != 0 && unknown.output.contains("cannot scale 'nonsense'"))
            let logs = try await compose.run("logs", ["kubelet-node-1"])
            #expect(logs.status == 0 && logs.output.contains("node registered"))
        } catch {
            _ = try? await compose.run("down")
            throw error
        }
        let down = try await compose.run("down")
        #expect(down.status == 0, "compose/down: \(down.output)")
        let namespaces = (try? String(decoding: FileManager.default.contentsOfDirectory(atPath: "/run/netns").joined(separator: " ").utf8, as: UTF8.self)) ?? ""
        let id = try #require(Self.clusterID(state))
        #expect(!namespaces.contains("skiff-\(id)-"), "namespaces left: \(namespaces)")
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        #expect(!mounts.contains(state))
    }

    /// The id compose/lib.sh derives from the state directory (sha256, first 6 hex digits).
    static func clusterID(_ state: String) -> String? {
        let output = try? Program.check("/bin/sh", ["-c", "printf '%s' \"$1\" | sha256sum | cut -c1-6", "sh", state])
        return output?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
