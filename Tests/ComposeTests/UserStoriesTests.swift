/// The user's stories on the supervised cluster (`compose/up --nodes 2`), one after another on
/// one cluster, each checked as a user would check it: deploy an app, expose it, reach it by
/// DNS name from pods on both nodes (balanced over its pods), scale, roll out, roll back, a Job,
/// a DaemonSet on both nodes, a StatefulSet keeping its data, a Secret consumed by a pod, kill -9
/// of components with the cluster converging again, and `busctl tap` showing it all happen.
import Foundation
import SkiffClient
import SkiffTestSupport
import SkiffWire
import Testing

@Suite("compose user stories", .serialized, .enabled(if: composeUnavailable == nil))
struct UserStoriesTests {
    /// The app: each pod serves its name and the VERSION of its template on port 8080.
    static func deployment(version: String) -> String {
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 3
          selector: {matchLabels: {app: web}}
          strategy: {rollingUpdate: {maxUnavailable: 1, maxSurge: 1}}
          template:
            metadata: {labels: {app: web}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: main
                image: busybox
                env: [{name: VERSION, value: \(version)}]
                command: ["sh", "-c", "mkdir /www; echo $(hostname) $VERSION > /www/index.html; exec httpd -f -p 8080 -h /www"]
                ports: [{name: http, containerPort: 8080}]
                readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
        """
    }

    static let extras = """
    apiVersion: v1
    kind: Secret
    metadata: {name: login}
    stringData: {password: s3cret-value}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: reader}
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox
        command: ["sh", "-c", "echo password=$PASSWORD; cat /etc/login/password"]
        env: [{name: PASSWORD, valueFrom: {secretKeyRef: {name: login, key: password}}}]
        volumeMounts: [{name: login, mountPath: /etc/login}]
      volumes: [{name: login, secret: {secretName: login}}]
    ---
    apiVersion: batch/v1
    kind: Job
    metadata: {name: count}
    spec:
      completions: 3
      parallelism: 2
      template:
        spec:
          restartPolicy: Never
          containers: [{name: main, image: busybox, command: ["sh", "-c", "echo counted"]}]
    ---
    apiVersion: apps/v1
    kind: DaemonSet
    metadata: {name: agent}
    spec:
      selector: {matchLabels: {app: agent}}
      template:
        metadata: {labels: {app: agent}}
        spec:
          terminationGracePeriodSeconds: 1
          containers: [{name: main, image: busybox, command: ["sleep", "3600"]}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: db}
    spec:
      clusterIP: None
      selector: {app: db}
      ports: [{name: data, port: 5000}]
    ---
    apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: db}
    spec:
      serviceName: db
      replicas: 2
      selector: {matchLabels: {app: db}}
      template:
        metadata: {labels: {app: db}}
        spec:
          terminationGracePeriodSeconds: 1
          containers:
          - name: main
            image: busybox
            command: ["sh", "-c", "[ -f /data/born ] || hostname > /data/born; exec sleep 3600"]
            volumeMounts: [{name: data, mountPath: /data}]
      volumeClaimTemplates:
      - metadata: {name: data}
        spec:
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 1Gi}}
    """

    static func client(_ name: String, node: String) -> Pod {
        Pod(metadata: ObjectMeta(name: name, namespace: "default"),
            spec: PodSpec(containers: [Container(name: "main", image: "busybox", command: ["sleep", "3600"])],
                          terminationGracePeriodSeconds: 1, nodeSelector: ["kubernetes.io/hostname": node]))
    }

    @Test("deploy, expose, reach by name from both nodes, scale, roll out and back, Job, DaemonSet, StatefulSet, Secret, kill -9, busctl tap")
    func stories() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-compose-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let bin = (try Products.path(of: "skiff-kubelet") as NSString).deletingLastPathComponent
        let compose = Compose(directory: composeDirectory, state: state, bin: bin)
        let up = try await compose.run("up", ["--nodes", "2"])
        var tap: ChildProcess?
        do {
            #expect(up.status == 0, "compose/up: \(up.output)")
            let client = try APIClient(ComposeTests.adminConfig(state))
            defer { Task { await client.close() } }
            func ctl(_ arguments: [String]) async throws -> (status: Int32?, stdout: String, stderr: String) {
                try await ComposeTests.skiffctl(arguments, state: state)
            }
            func apply(_ manifest: String) async throws {
                let file = state + "/manifest-\(UUID().uuidString.prefix(6)).yaml"
                try manifest.write(toFile: file, atomically: true, encoding: .utf8)
                let applied = try await ctl(["apply", "-f", file])
                #expect(applied.status == 0, "apply: \(applied.stdout)")
            }
            func waitFor(_ what: String, timeout: Duration = .seconds(120), _ condition: () async -> Bool) async {
                let met = await eventually(timeout: timeout, interval: .milliseconds(250), condition)
                #expect(met, "\(what)")
            }
            /// Fetches http://NAME/ from a pod; the body, trimmed.
            func fetch(from pod: String, _ name: String) async throws -> String {
                let reply = try await ctl(["exec", pod, "--", "timeout", "5", "wget", "-qO-", "http://\(name)/"])
                #expect(reply.status == 0, "\(pod) -> \(name): \(reply.stdout)")
                return reply.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            }

            // The live event stream, watched from the start.
            tap = try ChildProcess(path: bin + "/busctl", name: "busctl", ["tap", "--run-dir", state + "/run"])
            // Subscriptions take a moment to reach the publishers (nanomsg's slow joiner): the
            // story starts once the tap prints the cluster's own traffic (lease renewals).
            let listening = tap
            await waitFor("busctl tap receiving", timeout: .seconds(30)) { listening?.stdout.contains("WatchEvent") == true }

            // Deploy and expose; clients on both nodes.
            try await apply(Self.deployment(version: "v1"))
            let exposed = try await ctl(["expose", "deployment", "web", "--port", "80", "--target-port", "http"])
            #expect(exposed.status == 0 && exposed.stdout == "service/web exposed\n", "\(exposed.stdout)")
            for (name, node) in [("client-1", "node-1"), ("client-2", "node-2")] {
                _ = try await client.create(Self.client(name, node: node))
            }
            await waitFor("three ready web endpoints and two running clients") {
                let endpoints = try? await client.get(Endpoints.self, name: "web", namespace: "default")
                let clients = (try? await client.list(Pod.self, namespace: "default"))?.items.filter { $0.metadata?.name?.hasPrefix("client") == true }
                return endpoints?.subsets.first?.addresses.count == 3
                    && clients?.count == 2 && clients?.allSatisfy { $0.status?.phase == "Running" } == true
            }
            let webPods = Set(try await client.list(Pod.self, namespace: "default", labelSelector: "app=web").items.compactMap(\.metadata?.name))

            // Reached by name from a pod on each node, by full name and by the short one the
            // search path completes, over more than one backend.
            for pod in ["client-1", "client-2"] {
                var answered: Set<String> = []
                for name in Array(repeating: ["web.default.svc.cluster.local", "web"], count: 6).flatMap({ $0 }) {
                    let body = try await fetch(from: pod, name)
                    answered.insert(String(body.split(separator: " ").first ?? ""))
                }
                #expect(answered.isSubset(of: webPods) && answered.count >= 2, "\(pod) reached \(answered) of \(webPods)")
            }

            // The DNS answers, as dig sees them from a node through the kube-dns virtual IP.
            let service = try await client.get(Service.self, name: "web", namespace: "default")
            let clusterIP = try #require(service.spec?.clusterIP)
            let id = try #require(ComposeTests.clusterID(state))
            func dig(_ arguments: [String]) throws -> String {
                try TestNode.run("/sbin/ip", ["netns", "exec", "skiff-\(id)-n2", "dig", "@10.96.0.10", "+time=2", "+tries=3"] + arguments)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            #expect(try dig(["+short", "web.default.svc.cluster.local"]) == clusterIP)
            #expect(try dig(["+short", "-x", clusterIP]) == "web.default.svc.cluster.local.")
            #expect(try dig(["nothing.default.svc.cluster.local"]).contains("status: NXDOMAIN"))
            #expect(try dig(["example.com"]).contains("status: REFUSED"))

            // Scale, then a rolling update, then a rollback.
            #expect(try await ctl(["scale", "deployment", "web", "--replicas", "4"]).status == 0)
            await waitFor("four ready endpoints") {
                (try? await client.get(Endpoints.self, name: "web", namespace: "default"))?.subsets.first?.addresses.count == 4
            }
            try await apply(Self.deployment(version: "v2").replacingOccurrences(of: "replicas: 3", with: "replicas: 4"))
            let rolled = try await ctl(["rollout", "status", "deployment/web", "--timeout", "120s"])
            #expect(rolled.status == 0 && rolled.stdout.contains("successfully rolled out"), "\(rolled.stdout)")
            await waitFor("every answer from v2") {
                let bodies = try? await (0..<4).asyncMap { _ in try await fetch(from: "client-1", "web") }
                return bodies?.allSatisfy { $0.hasSuffix(" v2") } == true
            }
            let undone = try await ctl(["rollout", "undo", "deployment/web"])
            #expect(undone.status == 0, "\(undone.stdout) \(undone.stderr)")
            #expect(try await ctl(["rollout", "status", "deployment/web", "--timeout", "120s"]).status == 0)
            await waitFor("every answer from v1 again") {
                let bodies = try? await (0..<4).asyncMap { _ in try await fetch(from: "client-2", "web") }
                return bodies?.allSatisfy { $0.hasSuffix(" v1") } == true
            }

            // A Secret read by a pod, a Job, a DaemonSet on both nodes, a StatefulSet with storage.
            try await apply(Self.extras)
            await waitFor("the reader finished") {
                (try? await client.get(Pod.self, name: "reader", namespace: "default"))?.status?.phase == "Succeeded"
            }
            #expect(try await ctl(["logs", "reader"]).stdout == "password=s3cret-value\ns3cret-value\n")
            // Encrypted at rest: no file of the store holds the Secret's value.
            for file in try FileManager.default.contentsOfDirectory(atPath: state + "/data") {
                let bytes = FileManager.default.contents(atPath: state + "/data/" + file) ?? Data()
                #expect(bytes.range(of: Data("s3cret-value".utf8)) == nil, "the Secret's value in the store's \(file)")
            }
            await waitFor("the Job complete with 3 succeeded") {
                let job = try? await client.get(Job.self, name: "count", namespace: "default")
                return job?.status?.succeeded == 3 && job?.status?.conditions.contains { $0.type == "Complete" && $0.status == "True" } == true
            }
            await waitFor("a running agent on each node") {
                let agents = (try? await client.list(Pod.self, namespace: "default", labelSelector: "app=agent"))?.items ?? []
                return Set(agents.filter { $0.status?.phase == "Running" }.compactMap(\.spec?.nodeName)) == ["node-1", "node-2"]
            }
            await waitFor("db-0 and db-1 running") {
                let pods = (try? await client.list(Pod.self, namespace: "default", labelSelector: "app=db"))?.items ?? []
                return pods.filter { $0.status?.phase == "Running" }.count == 2
            }
            let born = try await ctl(["exec", "db-0", "--", "cat", "/data/born"])
            #expect(born.stdout == "db-0\n")
            #expect(try dig(["+short", "db-1.db.default.svc.cluster.local"]) ==
                    (try await client.get(Pod.self, name: "db-1", namespace: "default")).status?.podIP)
            // SRV for the headless Service's named port: one record per pod, named by its hostname.
            let srv = try dig(["+short", "SRV", "_data._tcp.db.default.svc.cluster.local"]).split(separator: "\n").map(String.init)
            #expect(srv.count == 2 && srv.contains { $0.hasSuffix(" 5000 db-0.db.default.svc.cluster.local.") }
                    && srv.contains { $0.hasSuffix(" 5000 db-1.db.default.svc.cluster.local.") }, "\(srv)")
            let oldUID = try await client.get(Pod.self, name: "db-0", namespace: "default").metadata?.uid
            _ = try await client.delete(Pod.self, name: "db-0", namespace: "default")
            await waitFor("db-0 back as a new pod") {
                let pod = try? await client.get(Pod.self, name: "db-0", namespace: "default")
                return pod?.metadata?.uid != oldUID && pod?.status?.phase == "Running"
            }
            #expect(try await ctl(["exec", "db-0", "--", "cat", "/data/born"]).stdout == "db-0\n", "the claim kept db-0's data")

            // kill -9 of the apiserver, the DNS server and a proxy: supervisord restarts them and
            // the cluster converges again (a deleted web pod is replaced and served by name).
            let before = try await compose.processes()
            for name in ["apiserver", "dns", "proxy-node-2"] {
                guard let pid = Int32(before[name]?.pid ?? "") else { Issue.record("no pid for \(name): \(before)"); continue }
                kill(pid, SIGKILL)
            }
            await waitFor("the killed components running again") {
                let now = (try? await compose.processes()) ?? [:]
                return ["apiserver", "dns", "proxy-node-2"].allSatisfy { now[$0]?.state == "RUNNING" && now[$0]?.pid != before[$0]?.pid }
            }
            let victim = try #require(try await client.list(Pod.self, namespace: "default", labelSelector: "app=web").items.first?.metadata?.name)
            await waitFor("the apiserver answering a delete") {
                (try? await client.delete(Pod.self, name: victim, namespace: "default")) != nil
            }
            await waitFor("four ready web endpoints without \(victim)") {
                let endpoints = try? await client.get(Endpoints.self, name: "web", namespace: "default")
                let names = endpoints?.subsets.flatMap(\.addresses).compactMap(\.targetRef?.name) ?? []
                return names.count == 4 && !names.contains(victim)
            }
            await waitFor("web reached by name from node-2 again") {
                let reply = try? await ctl(["exec", "client-2", "--", "timeout", "5", "wget", "-qO-", "http://web/"])
                return reply?.status == 0 && reply?.stdout.hasSuffix(" v1\n") == true
            }

            // busctl tap saw it happen.
            let tapped = tap?.stdout ?? ""
            #expect(tapped.contains("WatchEvent ADDED Deployment default/web"), "\(tapped.prefix(2000))")
            #expect(tapped.contains("WatchEvent ADDED Pod default/reader"))
            #expect(!tapped.contains("s3cret-value"), "a secret value in busctl tap output")
        } catch {
            await tap?.stop()
            _ = try? await compose.run("down")
            throw error
        }
        await tap?.stop()
        let down = try await compose.run("down")
        #expect(down.status == 0, "compose/down: \(down.output)")
    }
}

extension Range where Bound == Int {
    /// Runs `body` for each element in turn, collecting the results.
    func asyncMap<T>(_ body: (Int) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for index in self { results.append(try await body(index)) }
        return results
    }
}
