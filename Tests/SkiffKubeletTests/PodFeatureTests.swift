/// End to end with the real runtime: probes of each kind, every volume type, pod-to-pod
/// traffic, and a kubelet restart that adopts running containers and removes orphans.
import Foundation
import SkiffClient
import SkiffTestSupport
import SkiffWire
import Testing

@Suite("Pod features on a real node", .serialized, .enabled(if: nodeTestsUnavailable == nil))
struct PodFeatureTests {
    @Test("a failing exec liveness probe restarts the container")
    func livenessExec() async throws {
        try await withNode { cluster in
            try await cluster.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: live}
                spec:
                  nodeName: node-1
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: main
                    image: busybox
                    command: ["sh", "-c", "touch /tmp/healthy; sleep 2; rm /tmp/healthy; sleep 3600"]
                    livenessProbe:
                      exec: {command: ["cat", "/tmp/healthy"]}
                      periodSeconds: 1
                      failureThreshold: 2
                """)
            let restarted = try await cluster.waitForPod("live", "restarted by its liveness probe") { pod in
                pod.restartCount >= 1 && pod.status?.containerStatuses.first?.state?.running != nil
            }
            #expect(restarted.status?.containerStatuses.first?.lastState?.terminated != nil)
            let events = try await cluster.client.list(Event.self, namespace: "default", fieldSelector: "involvedObject.name=live")
            #expect(events.items.contains { $0.reason == "Killing" && $0.message == "Stopping container main" })
        }
    }

    @Test("httpGet and tcpSocket readiness probes decide readiness; a startup probe holds the others back")
    func readinessAndStartup() async throws {
        try await withNode { cluster in
            try await cluster.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: web}
                spec:
                  nodeName: node-1
                  containers:
                  - name: http
                    image: busybox
                    command: ["sh", "-c", "mkdir -p /www; echo ok > /www/ready.html; httpd -f -p 8080 -h /www"]
                    ports: [{name: web, containerPort: 8080}]
                    readinessProbe:
                      httpGet: {path: /ready.html, port: web}
                      periodSeconds: 1
                      failureThreshold: 1
                  - name: tcp
                    image: busybox
                    command: ["sh", "-c", "sleep 2; mkdir /www; httpd -f -p 9090 -h /www"]
                    startupProbe:
                      exec: {command: ["true"]}
                      periodSeconds: 1
                    readinessProbe:
                      tcpSocket: {port: 9090}
                      periodSeconds: 1
                """)
            let ready = try await cluster.waitRunning("web")
            #expect(ready.status?.containerStatuses.allSatisfy { $0.ready == true && $0.started == true } == true)

            // The page goes away: the HTTP probe now gets 404 and the pod stops being ready.
            let removed = try await cluster.skiffctl(["exec", "web", "-c", "http", "--", "rm", "/www/ready.html"])
            #expect(removed.status == 0)
            let unready = try await cluster.waitForPod("web", "unready") { pod in
                pod.status?.conditions.first { $0.type == "Ready" }?.status == "False"
            }
            #expect(unready.status?.conditions.first { $0.type == "Ready" }?.message == "containers with unready status: [http]")
            #expect(unready.status?.containerStatuses.first { $0.name == "tcp" }?.ready == true)
            _ = try await cluster.skiffctl(["exec", "web", "-c", "http", "--", "sh", "-c", "echo ok > /www/ready.html"])
            _ = try await cluster.waitRunning("web")
        }
    }

    @Test("volumes: emptyDir (also in memory), hostPath, configMap and secret files that follow updates, downwardAPI, persistentVolumeClaim")
    func volumes() async throws {
        try await withNode { cluster in
            let host = cluster.directory + "/host-data"
            let claimed = cluster.directory + "/pv-data"
            try FileManager.default.createDirectory(atPath: claimed, withIntermediateDirectories: true)
            try "from the volume\n".write(toFile: claimed + "/seed", atomically: true, encoding: .utf8)
            try await cluster.apply("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: conf}
                data: {app.properties: "mode=one\\n", other: x}
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: key}
                stringData: {token: abc123}
                ---
                apiVersion: v1
                kind: PersistentVolume
                metadata: {name: pv1}
                spec:
                  capacity: {storage: 1Gi}
                  accessModes: [ReadWriteOnce]
                  hostPath: {path: \(claimed)}
                ---
                apiVersion: v1
                kind: PersistentVolumeClaim
                metadata: {name: claim}
                spec:
                  accessModes: [ReadWriteOnce]
                  resources: {requests: {storage: 1Gi}}
                  volumeName: pv1
                """)
            // No binder runs in this test: mark the claim Bound as the binder would.
            var claim = try await cluster.client.get(PersistentVolumeClaim.self, name: "claim", namespace: "default")
            claim.status = PersistentVolumeClaimStatus(phase: "Bound")
            _ = try await cluster.client.updateStatus(claim)
            try await cluster.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: vols, labels: {tier: backend}}
                spec:
                  nodeName: node-1
                  volumes:
                  - {name: scratch, emptyDir: {}}
                  - {name: fast, emptyDir: {medium: Memory, sizeLimit: 16Mi}}
                  - {name: host, hostPath: {path: \(host), type: DirectoryOrCreate}}
                  - {name: conf, configMap: {name: conf, items: [{key: app.properties, path: config/app.properties}]}}
                  - {name: key, secret: {secretName: key}}
                  - {name: info, downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}}
                  - {name: data, persistentVolumeClaim: {claimName: claim}}
                  containers:
                  - name: writer
                    image: busybox
                    command: ["sh", "-c", "echo shared > /scratch/note; echo host > /host/from-pod; sleep 3600"]
                    volumeMounts: [{name: scratch, mountPath: /scratch}, {name: host, mountPath: /host}]
                  - name: reader
                    image: busybox
                    command: ["sleep", "3600"]
                    volumeMounts:
                    - {name: scratch, mountPath: /scratch}
                    - {name: fast, mountPath: /fast}
                    - {name: conf, mountPath: /etc/app}
                    - {name: key, mountPath: /etc/key, readOnly: true}
                    - {name: info, mountPath: /etc/info}
                    - {name: data, mountPath: /data}
                """)
            _ = try await cluster.waitRunning("vols")
            func read(_ command: String) async throws -> String {
                try await cluster.skiffctl(["exec", "vols", "-c", "reader", "--", "sh", "-c", command]).stdout
            }
            let shared = await eventually(timeout: .seconds(10)) { (try? await read("cat /scratch/note")) == "shared\n" }
            #expect(shared, "the two containers share the emptyDir")
            #expect(try await read("grep ' /fast ' /proc/mounts | cut -d' ' -f3") == "tmpfs\n")
            #expect(try await read("cat /etc/app/config/app.properties") == "mode=one\n")
            #expect(try await read("ls /etc/app") == "config\n", "only the listed item is projected")
            // Neither file ends in a newline; skiffctl ends its output with one.
            #expect(try await read("cat /etc/key/token") == "abc123\n")
            #expect(try await read("cat /etc/info/labels") == "tier=\"backend\"\n")
            #expect(try await read("cat /data/seed") == "from the volume\n")
            #expect(try await read("touch /etc/key/x 2>&1; echo $?") != "0\n", "a readOnly mount refuses writes")
            let fromPod = await eventually(timeout: .seconds(10)) {
                (try? String(contentsOfFile: host + "/from-pod", encoding: .utf8)) == "host\n"
            }
            #expect(fromPod)

            // An update to the ConfigMap reaches the mounted file without a restart.
            var conf = try await cluster.client.get(ConfigMap.self, name: "conf", namespace: "default")
            conf.data["app.properties"] = "mode=two\n"
            _ = try await cluster.client.update(conf)
            let updated = await eventually(timeout: .seconds(20)) {
                (try? await read("cat /etc/app/config/app.properties")) == "mode=two\n"
            }
            #expect(updated)
            #expect(try await cluster.pod("vols").restartCount == 0)
        }
    }

    @Test("pods reach each other by IP across the node's bridge")
    func podToPod() async throws {
        try await withNode { cluster in
            try await cluster.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: server}
                spec:
                  nodeName: node-1
                  containers:
                  - name: main
                    image: busybox
                    command: ["sh", "-c", "mkdir /www; hostname > /www/index.html; httpd -f -p 80 -h /www"]
                    readinessProbe: {tcpSocket: {port: 80}, periodSeconds: 1}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: client}
                spec:
                  nodeName: node-1
                  containers:
                  - {name: main, image: busybox, command: ["sleep", "3600"]}
                """)
            let server = try await cluster.waitRunning("server")
            let client = try await cluster.waitRunning("client")
            let serverIP = try #require(server.status?.podIP)
            #expect(serverIP != client.status?.podIP)
            // (busybox-static's wget crashes on -T; `timeout` bounds it instead.)
            let fetched = try await cluster.skiffctl(["exec", "client", "--", "timeout", "5", "wget", "-qO-", "http://\(serverIP)/"])
            #expect(fetched.status == 0 && fetched.stdout == "server\n")
            // The node reaches the pod too (probes depend on it).
            let fromNode = try cluster.node.inNamespace(["/usr/bin/timeout", "5", "/bin/busybox", "wget", "-qO-", "http://\(serverIP)/"])
            #expect(fromNode == "server\n")
            // And nothing leaves: an address outside the cluster is unreachable from a pod.
            let outside = try await cluster.skiffctl(["exec", "client", "--", "timeout", "3", "wget", "-qO-", "http://192.0.2.10/"])
            #expect(outside.status != 0)
        }
    }

    @Test("a restarted kubelet adopts the running containers and removes those of pods deleted meanwhile")
    func restartAdopts() async throws {
        try await withNode { cluster in
            try await cluster.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: keep}
                spec:
                  nodeName: node-1
                  containers:
                  - {name: main, image: busybox, command: ["sleep", "3600"]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: gone}
                spec:
                  nodeName: node-1
                  containers:
                  - {name: main, image: busybox, command: ["sleep", "3600"]}
                """)
            let before = try await cluster.waitRunning("keep")
            _ = try await cluster.waitRunning("gone")
            let containerID = try #require(before.status?.containerStatuses.first?.containerID)

            await cluster.node.crashKubelet()
            let forced = try await cluster.skiffctl(["delete", "pod", "gone", "--force"])
            #expect(forced.status == 0)
            try await cluster.node.startKubelet()

            let containers = cluster.node.dataDirectory + "/runtime/containers"
            let cleaned = await eventually(timeout: .seconds(30)) {
                ((try? FileManager.default.contentsOfDirectory(atPath: containers)) ?? []).count == 1
            }
            #expect(cleaned, "the orphan's container is removed and no duplicate is started")
            let after = try await cluster.waitRunning("keep")
            #expect(after.status?.containerStatuses.first?.containerID == containerID)
            #expect(after.restartCount == 0)
            let logs = try await cluster.skiffctl(["exec", "keep", "--", "echo", "still here"])
            #expect(logs.stdout == "still here\n")
        }
    }

    @Test("the kubelet measures pods and the node from cgroups: skiffctl top, with CPU limits applied")
    func usage() async throws {
        try await withNode(kubeletArguments: ["--metrics-seconds", "1"]) { cluster in
            try await cluster.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: busy}
                spec:
                  nodeName: node-1
                  containers:
                  - name: spin
                    image: busybox
                    command: ["sh", "-c", "while true; do :; done"]
                    resources: {limits: {cpu: 200m, memory: 64Mi}}
                """)
            _ = try await cluster.waitRunning("busy")
            // Wait for a report covering a full period of spinning.
            var cpu = 0
            let measured = await eventually(timeout: .seconds(20), interval: .milliseconds(500)) {
                guard let top = try? await cluster.skiffctl(["top", "pods"]), top.status == 0,
                      let line = top.stdout.split(separator: "\n").first(where: { $0.hasPrefix("busy ") }),
                      let value = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first,
                      let milli = Int(value.dropLast()) else { return false }
                cpu = milli
                return milli >= 100
            }
            #expect(measured, "top pods showed \(cpu)m")
            // The CFS quota holds it near its 200m limit (some slack for the sampling period).
            #expect(cpu <= 260)
            let nodes = try await cluster.skiffctl(["top", "nodes"])
            #expect(nodes.status == 0)
            #expect(nodes.stdout.hasPrefix("NAME     CPU(cores)   CPU%   MEMORY(bytes)   MEMORY%\nnode-1   "))
            let perContainer = try await cluster.skiffctl(["top", "pods", "--containers"])
            #expect(perContainer.stdout.contains("busy   spin "))
        }
    }

    @Test("static pods run from the manifest directory, mirrored into the API; the mirror comes back when deleted")
    func staticPods() async throws {
        let plane = try ControlPlane()
        let manifests = plane.directory + "/manifests"
        try FileManager.default.createDirectory(atPath: manifests, withIntermediateDirectories: true)
        try """
            apiVersion: v1
            kind: Pod
            metadata: {name: static-web, labels: {role: static}}
            spec:
              containers:
              - {name: main, image: busybox, command: ["sleep", "3600"]}
            """.write(toFile: manifests + "/web.yaml", atomically: true, encoding: .utf8)
        try "kind: Deployment\n".write(toFile: manifests + "/not-a-pod.yaml", atomically: true, encoding: .utf8)
        let node = try TestNode(plane: plane)
        do {
            try await plane.start()
            try await node.startKubelet(["--manifest-dir", manifests])
            let cluster = Cluster(plane: plane, node: node, client: plane.client!, directory: plane.directory)
            let running = try await cluster.waitRunning("static-web-node-1")
            #expect(running.metadata?.annotations["kubernetes.io/config.mirror"] != nil)
            #expect(running.metadata?.annotations["kubernetes.io/config.source"] == "file")
            #expect(running.metadata?.ownerReferences.first?.kind == "Node")
            #expect(running.spec?.nodeName == "node-1")
            let containerID = running.status?.containerStatuses.first?.containerID
            // exec and logs reach the static pod through its mirror.
            let hostname = try await cluster.skiffctl(["exec", "static-web-node-1", "--", "hostname"])
            #expect(hostname.status == 0 && hostname.stdout == "static-web-node-1\n")

            // Deleting the mirror does not stop the static pod: the kubelet mirrors it again.
            let firstUID = running.metadata?.uid
            _ = try await cluster.skiffctl(["delete", "pod", "static-web-node-1"])
            let again = try await cluster.waitForPod("static-web-node-1", "mirrored again") { pod in
                pod.metadata?.uid != firstUID && pod.status?.phase == "Running"
            }
            #expect(again.status?.containerStatuses.first?.containerID == containerID)
            #expect(again.restartCount == 0)

            // Removing the manifest removes the pod.
            try FileManager.default.removeItem(atPath: manifests + "/web.yaml")
            let client = cluster.client
            let gone = await eventually(timeout: .seconds(30)) {
                do { _ = try await client.get(Pod.self, name: "static-web-node-1", namespace: "default"); return false } catch { return true }
            }
            #expect(gone)
            let emptied = await eventually(timeout: .seconds(30)) {
                ((try? FileManager.default.contentsOfDirectory(atPath: node.dataDirectory + "/runtime/containers")) ?? []).isEmpty
            }
            #expect(emptied)
            #expect(node.kubelet?.stderr.contains("not-a-pod.yaml: a static pod manifest holds one object of kind Pod") == true)
        } catch {
            await node.teardown()
            await plane.stop()
            throw error
        }
        await node.teardown()
        await plane.stop()
    }

    @Test("logs -f follows a container until it exits")
    func followLogs() async throws {
        try await withNode { cluster in
            try await cluster.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: talker}
                spec:
                  nodeName: node-1
                  restartPolicy: Never
                  containers:
                  - name: main
                    image: busybox
                    command: ["sh", "-c", "sleep 1; for i in 1 2 3; do echo line $i; sleep 0.5; done"]
                """)
            try await cluster.waitForPod("talker", "started") { $0.status?.containerStatuses.first?.state?.running != nil }
            // Started before the output: it must wait for the lines and end when the container does.
            let followed = try await cluster.skiffctl(["logs", "talker", "-f"])
            #expect(followed.status == 0)
            #expect(followed.stdout == "line 1\nline 2\nline 3\n")
            let tail = try await cluster.skiffctl(["logs", "talker", "--tail", "1"])
            #expect(tail.stdout == "line 3\n")
        }
    }

    @Test("a hostNetwork pod shares the node's network namespace and hostname")
    func hostNetwork() async throws {
        try await withNode { cluster in
            try await cluster.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: hosty}
                spec:
                  nodeName: node-1
                  hostNetwork: true
                  containers:
                  - {name: main, image: busybox, command: ["sleep", "3600"]}
                """)
            _ = try await cluster.waitRunning("hosty")
            func names(_ listing: String) -> [String] {
                listing.split(separator: "\n").compactMap { $0.split(separator: ":").dropFirst().first?.trimmingCharacters(in: .whitespaces) }
            }
            let inPod = try await cluster.skiffctl(["exec", "hosty", "--", "ip", "-o", "link"])
            let onNode = try cluster.node.inNamespace(["ip", "-o", "link"])
            #expect(inPod.status == 0 && names(inPod.stdout) == names(onNode), "the pod sees the node's interfaces")
            // The node shares the machine's UTS namespace, so the pod's hostname is the machine's.
            let hostname = try await cluster.skiffctl(["exec", "hosty", "--", "hostname"])
            #expect(hostname.stdout == ProcessInfo.processInfo.hostName + "\n")
        }
    }

    @Test("a container's log is rotated past --container-log-max-size; logs reads the current file")
    func logRotation() async throws {
        try await withNode(kubeletArguments: ["--container-log-max-size", "4Ki"]) { cluster in
            try await cluster.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: chatty}
                spec:
                  nodeName: node-1
                  restartPolicy: Never
                  containers:
                  - name: main
                    image: busybox
                    command: ["sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done; echo last"]
                """)
            let done = try await cluster.waitForPod("chatty", "Succeeded") { $0.status?.phase == "Succeeded" }
            let uid = try #require(done.metadata?.uid)
            let log = "\(cluster.node.dataDirectory)/logs/default_chatty_\(uid)/main/0.log"
            let current = try #require(FileManager.default.attributesOfItem(atPath: log)[.size] as? Int)
            let rotated = try #require(FileManager.default.attributesOfItem(atPath: log + ".1")[.size] as? Int)
            #expect(current <= 4096 && rotated <= 4096 && rotated > 0)
            let shown = try await cluster.skiffctl(["logs", "chatty", "--tail", "1"])
            #expect(shown.stdout == "last\n")
        }
    }

    @Test("the node renews its Lease and reports Ready with its capacity, labels and taints")
    func heartbeats() async throws {
        try await withNode(kubeletArguments: ["--node-labels", "disk=ssd,zone=a", "--register-with-taints", "dedicated=infra:NoSchedule"]) { cluster in
            let client = cluster.client
            let first = try await client.get(Lease.self, name: "node-1", namespace: "kube-node-lease")
            #expect(first.spec?.holderIdentity == "node-1")
            #expect(first.spec?.leaseDurationSeconds == 40)
            #expect(first.metadata?.ownerReferences.first?.kind == "Node")
            let node = try await client.get(Node.self, name: "node-1")
            let ready = try #require(node.status?.conditions.first { $0.type == "Ready" })
            #expect(ready.status == "True" && ready.reason == "KubeletReady")
            #expect(node.status?.capacity["memory"] == "8Gi")
            #expect(node.status?.capacity["pods"] == "110")
            #expect(node.metadata?.labels["disk"] == "ssd" && node.metadata?.labels["zone"] == "a")
            #expect(node.spec?.taints.map { "\($0.key ?? "")=\($0.value ?? ""):\($0.effect ?? "")" } == ["dedicated=infra:NoSchedule"])
            // The Lease is renewed: its renewTime moves on.
            let renewed = await eventually(timeout: .seconds(30), interval: .milliseconds(500)) {
                let lease = try? await client.get(Lease.self, name: "node-1", namespace: "kube-node-lease")
                return lease?.spec?.renewTime != nil && lease?.spec?.renewTime != first.spec?.renewTime
            }
            #expect(renewed)
        }
    }
}

@Suite("Kubelet safety and the fake runtime", .serialized, .enabled(if: nodeTestsUnavailable == nil))
struct KubeletModeTests {
    @Test("the kubelet refuses to run pods in a network namespace with a default route")
    func refusesDefaultRoute() async throws {
        let plane = try ControlPlane()
        defer { Task { await plane.stop() } }
        try await plane.start()
        let node = try TestNode(plane: plane)
        // A default route inside the test's own namespace, through a veth whose peer is there too:
        // nothing can leave, but the kubelet must still refuse.
        try node.inNamespace(["ip", "link", "add", "a0", "type", "veth", "peer", "name", "a1"])
        try node.inNamespace(["ip", "addr", "add", "10.254.0.1/30", "dev", "a0"])
        try node.inNamespace(["ip", "link", "set", "a0", "up"])
        try node.inNamespace(["ip", "route", "add", "default", "via", "10.254.0.2"])
        do {
            try await node.startKubelet()
            Issue.record("the kubelet started")
        } catch {
            #expect("\(error)".contains("refusing to run pods: this network namespace has a default route"))
        }
        await node.teardown()
        await plane.stop()
    }

    @Test("with the fake runtime a kubelet runs pods in memory, for logic and scale runs")
    func fakeRuntime() async throws {
        try await withNode(kubeletArguments: ["--runtime", "fake"]) { cluster in
            for index in 0..<20 {
                _ = try await cluster.client.create(Pod(metadata: ObjectMeta(name: "p\(index)", namespace: "default"),
                                                        spec: PodSpec(containers: [Container(name: "c", image: "busybox")],
                                                                      nodeName: "node-1")))
            }
            let client = cluster.client
            let running = await eventually(timeout: .seconds(30), interval: .milliseconds(100)) {
                let pods = (try? await client.list(Pod.self, namespace: "default"))?.items ?? []
                return pods.count == 20 && pods.allSatisfy { $0.status?.phase == "Running" && $0.status?.podIP != nil }
            }
            #expect(running)
            let ips = Set(try await client.list(Pod.self, namespace: "default").items.compactMap { $0.status?.podIP })
            #expect(ips.count == 20)
            #expect(!FileManager.default.fileExists(atPath: cluster.node.dataDirectory + "/runtime"))
        }
    }
}
