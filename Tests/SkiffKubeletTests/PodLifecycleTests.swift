/// End to end with the real runtime: a busybox pod as a real container with its own IP, its
/// environment, logs and exec; OOM kill; restarts with CrashLoopBackOff; restart policies;
/// graceful termination; images missing and then imported.
import Foundation
import SkiffBus
import SkiffClient
import SkiffTestSupport
import SkiffWire
import Testing

@Suite("Pods on a real node", .serialized, .enabled(if: nodeTestsUnavailable == nil))
struct PodLifecycleTests {
    @Test("a busybox pod runs as a real container with its own IP, environment, logs and exec")
    func busyboxPod() async throws {
        try await withNode { cluster in
            try await cluster.apply("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings}
                data: {GREETING: hello, COLOR: blue}
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: creds}
                stringData: {password: s3cret}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: web, labels: {app: web}}
                spec:
                  nodeName: node-1
                  containers:
                  - name: main
                    image: busybox
                    workingDir: /tmp
                    command: ["sh", "-c"]
                    args:
                    - echo "greeting=$GREETING color=$CFG_COLOR password=$PASSWORD pod=$POD_NAME ns=$POD_NAMESPACE ip=$POD_IP node=$NODE_NAME app=$APP cwd=$(pwd) both=$BOTH expanded=$(POD_NAME)"; sleep 3600
                    envFrom:
                    - configMapRef: {name: settings}
                      prefix: CFG_
                    env:
                    - name: GREETING
                      valueFrom: {configMapKeyRef: {name: settings, key: GREETING}}
                    - name: PASSWORD
                      valueFrom: {secretKeyRef: {name: creds, key: password}}
                    - name: POD_NAME
                      valueFrom: {fieldRef: {fieldPath: metadata.name}}
                    - name: POD_NAMESPACE
                      valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
                    - name: POD_IP
                      valueFrom: {fieldRef: {fieldPath: status.podIP}}
                    - name: NODE_NAME
                      valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
                    - name: APP
                      valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}
                    - name: BOTH
                      value: $(GREETING)-$(POD_NAME)
                """)
            let pod = try await cluster.waitRunning("web")
            let ip = try #require(pod.status?.podIP)
            #expect(ip.hasPrefix("10.244.1."))
            #expect(pod.status?.podIPs.map(\.ip) == [ip])
            let status = try #require(cluster.containerStatus(pod))
            #expect(status.state?.running?.startedAt != nil)
            #expect(status.ready == true && status.restartCount == 0)
            #expect(status.containerID?.hasPrefix("skiff://") == true)

            let expected = "greeting=hello color=blue password=s3cret pod=web ns=default ip=\(ip) node=node-1 app=web cwd=/tmp both=hello-web expanded=web"
            let logged = await eventually(timeout: .seconds(10)) {
                (try? await cluster.skiffctl(["logs", "web"]))?.stdout == expected + "\n"
            }
            let printed = try await cluster.skiffctl(["logs", "web"]).stdout
            #expect(logged, "skiffctl logs web printed \(printed)")
            // The same log through an object that selects the pod (kubectl's TYPE/NAME).
            try await cluster.apply("""
                apiVersion: v1
                kind: Service
                metadata: {name: web}
                spec:
                  selector: {app: web}
                  ports: [{port: 80}]
                """)
            let viaService = try await cluster.skiffctl(["logs", "service/web"])
            #expect(viaService.status == 0 && viaService.stdout == expected + "\n", "\(viaService.stderr)")

            let hostname = try await cluster.skiffctl(["exec", "web", "--", "hostname"])
            #expect(hostname.status == 0 && hostname.stdout == "web\n")
            let address = try await cluster.skiffctl(["exec", "web", "--", "ip", "-4", "-o", "addr", "show", "eth0"])
            #expect(address.stdout.contains("inet \(ip)/24"))
            let failing = try await cluster.skiffctl(["exec", "web", "--", "sh", "-c", "echo oops >&2; exit 7"])
            #expect(failing.status == 7)
            #expect(failing.stderr == "oops\ncommand terminated with exit code 7\n")
            let pid = try await cluster.skiffctl(["exec", "web", "--", "sh", "-c", "echo $$"])
            #expect(pid.stdout != "1\n", "exec runs beside the container's process, in its PID namespace")
            // A command past its timeout is killed inside the container too.
            let slow = try await cluster.skiffctl(["exec", "web", "--timeout", "1", "--", "sleep", "300"])
            #expect(slow.status == 1 && slow.stderr.contains("timed out"))
            let left = try await cluster.skiffctl(["exec", "web", "--", "sh", "-c", "ps -o args | grep -cx 'sleep 300' || true"])
            #expect(left.stdout == "0\n", "sleep processes left: \(left.stdout)")
            let noContainer = try await cluster.skiffctl(["exec", "web", "-c", "nope", "--", "ls"])
            #expect(noContainer.status == 1 && noContainer.stderr == "error: container nope is not valid for pod web\n")

            // The node, as `get nodes` shows it.
            let node = try await cluster.client.get(Node.self, name: "node-1")

            // The kubelet serves only callers the apiserver vouches for, and only what they may do.
            let endpoint = try #require(node.metadata?.annotations["skiff.io/kubelet-endpoint"])
            func logsCode(token: String?) async throws -> Int32? {
                let raw = try RequestClient(connectingTo: endpoint, component: "probe", options: RequestClient.Options(token: token))
                defer { Task { await raw.close() } }
                let request = KubeletRequest(logs: ContainerLogRequest(namespace: "default", pod: "web"))
                return try await raw.call(request, replyType: KubeletResponse.self, timeout: .seconds(10)).code
            }
            #expect(try await logsCode(token: nil) == 401)
            #expect(try await logsCode(token: "not-a-token-of-this-cluster") == 401)
            let powerless = try #require(try await cluster.client.createToken(serviceAccount: "default", namespace: "default").status?.token)
            #expect(try await logsCode(token: powerless) == 403)
            #expect(try await logsCode(token: TestCredentials.adminToken) == 200)
            #expect(node.spec?.podCIDR == "10.244.1.0/24")
            #expect(node.status?.allocatable["cpu"]?.milliValue == 4000)
            #expect(node.status?.nodeInfo?.containerRuntimeVersion?.hasPrefix("runc://") == true)
            #expect(node.metadata?.labels["kubernetes.io/hostname"] == "node-1")
        }
    }

    @Test("skiffctl apply of a pod with no node: the scheduler binds it to the node and the kubelet runs it")
    func scheduledPod() async throws {
        try await withNode(scheduler: true) { cluster in
            try await cluster.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: hello}
                spec:
                  containers:
                  - {name: main, image: busybox, command: ["sh", "-c", "echo hello; sleep 3600"], resources: {requests: {cpu: 100m}}}
                """)
            let pod = try await cluster.waitRunning("hello")
            #expect(pod.spec?.nodeName == "node-1")
            #expect(pod.status?.conditions.first { $0.type == "PodScheduled" }?.status == "True")
            let events = try await cluster.client.list(Event.self, namespace: "default", fieldSelector: "involvedObject.name=hello")
            #expect(events.items.contains { $0.reason == "Scheduled" && $0.message == "Successfully assigned default/hello to node-1" })
            #expect(events.items.contains { $0.reason == "Started" && $0.source?.component == "kubelet" })
            let logged = await eventually(timeout: .seconds(10)) { (try? await cluster.skiffctl(["logs", "hello"]))?.stdout == "hello\n" }
            #expect(logged)
        }
    }

    @Test("a container over its memory limit is OOM killed and reported OOMKilled with exit code 137")
    func oomKill() async throws {
        try await withNode { cluster in
            try await cluster.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: hog}
                spec:
                  nodeName: node-1
                  restartPolicy: Never
                  containers:
                  - name: hog
                    image: busybox
                    command: ["sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\\\0' a); echo survived"]
                    resources: {limits: {memory: 32Mi}}
                """)
            let pod = try await cluster.waitForPod("hog", "Failed") { $0.status?.phase == "Failed" }
            let terminated = try #require(cluster.containerStatus(pod)?.state?.terminated)
            #expect(terminated.reason == "OOMKilled")
            #expect(terminated.exitCode == 137)
            #expect(terminated.finishedAt != nil)
        }
    }

    @Test("a crashing container restarts with a growing back-off (CrashLoopBackOff) and logs --previous shows the last run")
    func crashLoop() async throws {
        try await withNode { cluster in
            try await cluster.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: crasher}
                spec:
                  nodeName: node-1
                  containers:
                  - name: main
                    image: busybox
                    command: ["sh", "-c", "echo run at $(date +%s%N); exit 3"]
                """)
            let backingOff = try await cluster.waitForPod("crasher", "in CrashLoopBackOff after restarts") { pod in
                let status = pod.status?.containerStatuses.first
                return (status?.restartCount ?? 0) >= 2 && status?.state?.waiting?.reason == "CrashLoopBackOff"
            }
            let status = try #require(cluster.containerStatus(backingOff))
            #expect(status.lastState?.terminated?.exitCode == 3)
            #expect(status.lastState?.terminated?.reason == "Error")
            #expect(status.state?.waiting?.message?.contains("restarting failed container=main pod=crasher_default(") == true)
            #expect(backingOff.status?.phase == "Running", "Kubernetes reports a restarting pod under Always as Running")
            let previous = try await cluster.skiffctl(["logs", "crasher", "--previous"])
            #expect(previous.status == 0 && previous.stdout.hasPrefix("run at "))

            // The back-off grows: with a 1 s base and 4 s cap the gaps between starts are not all equal.
            let events = try await cluster.client.list(Event.self, namespace: "default",
                                                       fieldSelector: "involvedObject.name=crasher")
            #expect(events.items.contains { $0.reason == "BackOff" && $0.type == "Warning" })
            #expect(events.items.contains { $0.reason == "Started" })
        }
    }

    @Test("restart policies: OnFailure finishes Succeeded after a clean exit, Never ends Failed after a failure")
    func restartPolicies() async throws {
        try await withNode { cluster in
            try await cluster.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: once}
                spec:
                  nodeName: node-1
                  restartPolicy: OnFailure
                  containers:
                  - {name: main, image: busybox, command: ["sh", "-c", "echo done"]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: fails}
                spec:
                  nodeName: node-1
                  restartPolicy: Never
                  initContainers:
                  - {name: setup, image: busybox, command: ["sh", "-c", "echo setup"]}
                  containers:
                  - {name: main, image: busybox, command: ["sh", "-c", "exit 9"]}
                """)
            let once = try await cluster.waitForPod("once", "Succeeded") { $0.status?.phase == "Succeeded" }
            #expect(cluster.containerStatus(once)?.state?.terminated?.reason == "Completed")
            #expect(once.restartCount == 0)
            #expect(once.status?.conditions.first { $0.type == "Ready" }?.reason == "PodCompleted")
            let fails = try await cluster.waitForPod("fails", "Failed") { $0.status?.phase == "Failed" }
            #expect(cluster.containerStatus(fails)?.state?.terminated?.exitCode == 9)
            #expect(fails.status?.initContainerStatuses.first?.state?.terminated?.exitCode == 0)
            #expect(fails.restartCount == 0)
            let setupLog = try await cluster.skiffctl(["logs", "fails", "-c", "setup"])
            #expect(setupLog.stdout == "setup\n")
        }
    }

    @Test("deleting a pod sends SIGTERM, waits the grace period, and removes its containers and the pod")
    func gracefulTermination() async throws {
        try await withNode { cluster in
            let shared = cluster.directory + "/shared"
            try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
            try await cluster.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: polite}
                spec:
                  nodeName: node-1
                  terminationGracePeriodSeconds: 20
                  volumes:
                  - {name: out, hostPath: {path: \(shared)}}
                  containers:
                  - name: main
                    image: busybox
                    volumeMounts: [{name: out, mountPath: /out}]
                    command: ["sh", "-c", "trap 'echo got TERM > /out/term; exit 0' TERM; while true; do sleep 0.2; done"]
                """)
            _ = try await cluster.waitRunning("polite")
            let deleted = try await cluster.skiffctl(["delete", "pod", "polite"])
            #expect(deleted.status == 0)
            let client = cluster.client
            let gone = await eventually(timeout: .seconds(30)) {
                do { _ = try await client.get(Pod.self, name: "polite", namespace: "default"); return false } catch { return true }
            }
            #expect(gone)
            #expect((try? String(contentsOfFile: shared + "/term", encoding: .utf8)) == "got TERM\n")
            let containers = (try? FileManager.default.contentsOfDirectory(atPath: cluster.node.dataDirectory + "/runtime/containers")) ?? []
            #expect(containers.isEmpty)
        }
    }

    @Test("an image that is not in the store gives ErrImagePull, then ImagePullBackOff, and runs once imported")
    func missingImage() async throws {
        try await withNode { cluster in
            try await cluster.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: app}
                spec:
                  nodeName: node-1
                  containers:
                  - {name: main, image: "example/app:v1", command: ["/bin/sh", "-c", "cat /etc/app-version; sleep 3600"]}
                """)
            try await cluster.waitForPod("app", "waiting on its image") {
                ["ErrImagePull", "ImagePullBackOff"].contains($0.status?.containerStatuses.first?.state?.waiting?.reason ?? "")
            }
            try await cluster.waitForPod("app", "in ImagePullBackOff") {
                $0.status?.containerStatuses.first?.state?.waiting?.reason == "ImagePullBackOff"
            }
            // A rootfs directory: busybox plus one file of the app's own.
            let rootfs = cluster.directory + "/app-rootfs"
            try FileManager.default.createDirectory(atPath: rootfs + "/bin", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: rootfs + "/etc", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: rootfs + "/bin/busybox")
            for applet in ["sh", "cat", "sleep"] {
                try FileManager.default.createSymbolicLink(atPath: "\(rootfs)/bin/\(applet)", withDestinationPath: "busybox")
            }
            try "v1\n".write(toFile: rootfs + "/etc/app-version", atomically: true, encoding: .utf8)
            let imported = try await cluster.skiffctl(["image", "import", "example/app:v1", rootfs])
            #expect(imported.status == 0 && imported.stdout == "image/example/app:v1 imported\n")
            _ = try await cluster.waitRunning("app")
            let logged = await eventually(timeout: .seconds(10)) { (try? await cluster.skiffctl(["logs", "app"]))?.stdout == "v1\n" }
            #expect(logged)
        }
    }
}
