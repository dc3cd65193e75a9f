/// The cluster as on several machines: `compose/up --transport tcp` puts the control plane in a
/// network namespace of its own (the "control-plane host") listening on tcp://, and each node's
/// kubelet and proxy reach it only over tcp, with run directories of their own. Pods still run,
/// log, and reach a Service by name across the hosts.
import Foundation
import SkiffTestSupport
import Testing

@Suite("compose over tcp", .serialized, .enabled(if: composeUnavailable == nil))
struct SeveralHostsTests {
    @Test("compose/up --transport tcp: nodes reach the control plane only over tcp; pods run, log and find a Service by name")
    func overTCP() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-compose-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let compose = Compose(directory: composeDirectory, state: state,
                              bin: (try Products.path(of: "skiff-kubelet") as NSString).deletingLastPathComponent)
        let up = try await compose.run("up", ["--nodes", "2", "--transport", "tcp"])
        do {
            #expect(up.status == 0, "compose/up: \(up.output)")
            #expect(up.output.contains("reach it over tcp only"), "\(up.output)")
            let id = try #require(ComposeTests.clusterID(state))
            /// skiffctl on the control-plane host, where the apiserver's tcp address is reachable.
            func ctl(_ arguments: [String]) async throws -> (status: Int32?, stdout: String) {
                let child = try ChildProcess(path: "/usr/bin/nsenter", name: "skiffctl",
                                             ["--net=/run/netns/skiff-\(id)-fabric", "--", try Products.path(of: "skiffctl"),
                                              "--run-dir", state + "/run", "--kubeconfig", state + "/kubeconfig"] + arguments,
                                             environment: ["SKIFF_BUS_KEY_FILE": state + "/secrets/bus.key"])
                let status = await child.exitStatus(within: .seconds(60))
                let output = child.stdout
                await child.stop()
                return (status, output)
            }

            // The apiserver is registered with its tcp address; the kubelets registered in their
            // own run directories, not the control plane's, and serve on their node addresses.
            let registered = try String(contentsOfFile: state + "/run/endpoints/" + (try FileManager.default
                .contentsOfDirectory(atPath: state + "/run/endpoints").first { $0.hasPrefix("apiserver") && $0.hasSuffix(".rep.json") } ?? ""),
                                        encoding: .utf8)
            #expect(registered.contains("10.250.0.2:6443"), "\(registered)")
            let shared = try FileManager.default.contentsOfDirectory(atPath: state + "/run/endpoints")
            #expect(!shared.contains { $0.hasPrefix("kubelet") }, "\(shared)")
            let own = try FileManager.default.contentsOfDirectory(atPath: state + "/hosts/node-1/run/endpoints")
            #expect(own.contains { $0.hasPrefix("kubelet") }, "\(own)")
            let nodes = try await ctl(["get", "nodes", "-o", "yaml"])
            #expect(nodes.stdout.contains("tcp://10.250.0.11:10250") && nodes.stdout.contains("tcp://10.250.0.12:10250"),
                    "kubelet endpoints: \(nodes.stdout.prefix(400))")

            // The bus over tcp: every message is sealed with the cluster's key. busctl with the key
            // gets the apiserver's Pong; without it, no answer at all (the apiserver drops the
            // request and says so in its log). The store answers nobody but the apiserver.
            func startBusctl(_ arguments: [String], keyed: Bool, confidential: Bool = false) throws -> ChildProcess {
                var environment: [String: String] = [:]
                if keyed { environment["SKIFF_BUS_KEY_FILE"] = state + "/secrets/bus.key" }
                if confidential { environment["SKIFF_BUS_CONFIDENTIAL_KEY_FILE"] = state + "/secrets/confidential.key" }
                return try ChildProcess(path: "/usr/bin/nsenter", name: "busctl",
                                        ["--net=/run/netns/skiff-\(id)-fabric", "--", try Products.path(of: "busctl")] + arguments,
                                        environment: environment)
            }
            func busctl(_ arguments: [String], keyed: Bool) async throws -> (status: Int32?, output: String) {
                let child = try startBusctl(arguments, keyed: keyed)
                let status = await child.exitStatus(within: .seconds(30))
                let output = child.stdout + child.stderr
                await child.stop()
                return (status, output)
            }
            let ping = ["call", "--connect", "tcp://10.250.0.2:6443", "--type", "skiff.wire.v1.Ping", "--timeout", "3"]
            let keyedPing = try await busctl(ping, keyed: true)
            #expect(keyedPing.status == 0 && keyedPing.output.contains("component: apiserver"), "\(keyedPing.output)")
            let unkeyedPing = try await busctl(ping, keyed: false)
            #expect(unkeyedPing.status == 1 && unkeyedPing.output.contains("Timeout"), "\(unkeyedPing.output)")
            let dropped = await eventually(timeout: .seconds(10)) {
                (try? String(contentsOfFile: state + "/log/apiserver.log", encoding: .utf8))?.contains("did not open with the bus key") == true
            }
            #expect(dropped, "the apiserver logs the request it dropped")
            let status = try await busctl(["call", "--connect", "ipc://\(state)/run/store.sock", "--type", "skiff.store.v1.StoreStatusRequest"], keyed: true)
            #expect(status.status == 1 && status.output.contains("Unauthenticated"), "\(status.output)")
            // busctl tap hears the apiserver's bookmarks (every --bookmark-seconds) with the key only.
            let tap = ["tap", "--run-dir", state + "/run", "--filter", "b/"]
            let keyedTap = try await busctl(tap + ["--count", "1", "--timeout", "20"], keyed: true)
            #expect(keyedTap.status == 0 && keyedTap.output.contains("b/"), "\(keyedTap.output)")
            let unkeyedTap = try await busctl(tap + ["--timeout", "8"], keyed: false)
            #expect(unkeyedTap.status == 1 && unkeyedTap.output.contains("no messages within"), "\(unkeyedTap.output)")
            for directory in ["/run", "/hosts/node-1/run", "/secrets"] {
                let mode = (try FileManager.default.attributesOfItem(atPath: state + directory)[.posixPermissions] as? Int) ?? 0
                #expect(mode == 0o700, "\(directory) has mode \(String(mode, radix: 8))")
            }
            // Secret events are sealed with the confidential key, which the kubelets do not hold:
            // a tap with the bus key alone hears them and cannot open one; with the confidential
            // key it prints them.
            let secretsTap = ["tap", "--run-dir", state + "/run", "--filter", "w/secrets/"]
            let busKeyOnly = try startBusctl(secretsTap + ["--timeout", "20"], keyed: true)
            let bothKeys = try startBusctl(secretsTap + ["--count", "1", "--timeout", "60"], keyed: true, confidential: true)
            func createSecret(_ name: String) async throws {
                let file = state + "/\(name).yaml"
                try "{apiVersion: v1, kind: Secret, metadata: {name: \(name)}, stringData: {password: hunter2}}"
                    .write(toFile: file, atomically: true, encoding: .utf8)
                #expect(try await ctl(["apply", "-f", file]).status == 0)
            }
            var created = 0
            while bothKeys.isRunning && created < 20 {
                created += 1
                try await createSecret("tapped-\(created)")
                _ = await bothKeys.exitStatus(within: .seconds(2))
            }
            try await createSecret("tapped-last")
            #expect(await bothKeys.exitStatus(within: .seconds(10)) == 0, "\(bothKeys.stdout) \(bothKeys.stderr)")
            #expect(bothKeys.stdout.contains("WatchEvent ADDED Secret default/tapped-"), "\(bothKeys.stdout)")
            #expect(await busKeyOnly.exitStatus(within: .seconds(40)) == 1, "\(busKeyOnly.stderr)")
            #expect(!busKeyOnly.stdout.contains("Secret"), "\(busKeyOnly.stdout)")
            #expect(busKeyOnly.stderr.contains("did not open with this process's keys"), "\(busKeyOnly.stderr)")
            await bothKeys.stop()
            await busKeyOnly.stop()
            for secret in ["bus.key", "confidential.key", "store.token"] {
                let mode = (try FileManager.default.attributesOfItem(atPath: state + "/secrets/" + secret)[.posixPermissions] as? Int) ?? 0
                #expect(mode == 0o600, "\(secret) has mode \(String(mode, radix: 8))")
            }

            let manifest = state + "/web.yaml"
            try """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              replicas: 2
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers:
                  - name: main
                    image: busybox
                    command: ["sh", "-c", "mkdir /www; hostname > /www/index.html; echo serving; exec httpd -f -p 80 -h /www"]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: client}
            spec:
              nodeSelector: {kubernetes.io/hostname: node-2}
              containers: [{name: main, image: busybox, command: ["sleep", "3600"]}]
            """.write(toFile: manifest, atomically: true, encoding: .utf8)
            #expect(try await ctl(["apply", "-f", manifest]).status == 0)
            #expect(try await ctl(["expose", "deployment", "web", "--port", "80"]).status == 0)
            let running = await eventually(timeout: .seconds(120), interval: .milliseconds(500)) {
                let pods = (try? await ctl(["get", "pods", "--no-headers"]))?.stdout ?? ""
                let lines = pods.split(separator: "\n")
                return lines.count == 3 && lines.allSatisfy { $0.contains("Running") }
            }
            #expect(running, "three pods running")
            let web = try await ctl(["get", "pods", "-l", "app=web", "-o", "name"])
            let first = try #require(web.stdout.split(separator: "\n").first.map { String($0.split(separator: "/").last ?? "") })
            let logs = try await ctl(["logs", first])
            #expect(logs.status == 0 && logs.stdout == "serving\n", "logs over tcp: \(logs.stdout)")
            let reached = await eventually(timeout: .seconds(60), interval: .milliseconds(500)) {
                let reply = try? await ctl(["exec", "client", "--", "timeout", "5", "wget", "-qO-", "http://web/"])
                return reply?.status == 0 && reply?.stdout.hasPrefix("web-") == true
            }
            #expect(reached, "a pod on node-2 reaches the Service by name")
        } catch {
            _ = try? await compose.run("down")
            throw error
        }
        let down = try await compose.run("down")
        #expect(down.status == 0, "compose/down: \(down.output)")
        #expect(!FileManager.default.fileExists(atPath: state + "/hosts"))
    }
}
