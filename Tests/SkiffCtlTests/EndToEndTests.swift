/// skiffctl end to end: a real skiff-store and skiff-apiserver (SkiffTestSupport's
/// ControlPlane), driven by skiffctl's commands through the real client, and once through the
/// skiffctl executable itself. Ages are real here, so rows are checked by their other cells.
import Foundation
import SkiffAPI
import SkiffClient
import SkiffCtl
import SkiffTestSupport
import SkiffWire
import Testing
import SkiffCommandLine

/// Commands run against a live apiserver, their lines collected.
struct LiveSession {
    let output = CollectingSink()
    let errors = CollectingSink()
    let session: Session

    init(_ client: APIClient, namespace: String? = nil) {
        session = Session(client: APIResourceClient(client), output: output, errors: errors, namespace: namespace)
    }

    func run<Command: SessionCommand>(_ type: Command.Type, _ arguments: [String]) async throws -> Bool {
        await (try Command.parse(arguments)).execute(in: session)
    }

    /// The output lines since `start`, each split into its table cells.
    func cells(from start: Int = 0) -> [[String]] {
        output.lines.dropFirst(start).map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
    }
}

@Suite(.serialized)
struct EndToEndTests {
    func withPlane(_ body: (ControlPlane, APIClient) async throws -> Void) async throws {
        let plane = try ControlPlane()
        do {
            try await plane.start()
            try await body(plane, plane.newClient(component: "skiffctl-test"))
        } catch {
            await plane.stop()
            throw error
        }
        await plane.stop()
    }

    static let manifest = webDeploymentManifest + """
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings}
        data: {mode: fast}

        """

    @Test func applyGetLabelPatchDescribeReplaceDelete() async throws {
        try await withPlane { _, client in
            let directory = try ScratchDirectory()
            defer { directory.remove() }
            let file = try directory.write("app.yaml", Self.manifest)
            let live = LiveSession(client)

            // apply: created, then unchanged, then configured.
            #expect(try await live.run(ApplyCommand.self, ["-f", file]))
            #expect(try await live.run(ApplyCommand.self, ["-f", file]))
            try directory.write("app.yaml", Self.manifest.replacingOccurrences(of: "replicas: 2", with: "replicas: 3"))
            #expect(try await live.run(ApplyCommand.self, ["-f", file]))
            #expect(live.output.lines == [
                "deployment.apps/web created", "configmap/settings created",
                "deployment.apps/web unchanged", "configmap/settings unchanged",
                "deployment.apps/web configured", "configmap/settings unchanged",
            ], "\(live.errors.lines)")

            // get: kubectl's columns, and the object as YAML.
            var start = live.output.lines.count
            #expect(try await live.run(GetCommand.self, ["deploy"]))
            #expect(live.cells(from: start).map { Array($0.prefix(4)) }
                    == [["NAME", "READY", "UP-TO-DATE", "AVAILABLE"], ["web", "0/3", "0", "0"]])
            start = live.output.lines.count
            #expect(try await live.run(GetCommand.self, ["cm", "settings", "-o", "yaml"]))
            let yaml = live.output.lines.dropFirst(start).joined(separator: "\n")
            #expect(yaml.hasPrefix("apiVersion: v1\ndata:\n  mode: fast\nkind: ConfigMap\nmetadata:\n"))

            // label: refused without --overwrite, then applied.
            #expect(try await !live.run(LabelCommand.self, ["deploy", "web", "app=api"]))
            #expect(live.errors.lines.last == "error: 'app' already has a value (web), and --overwrite is false")
            #expect(try await live.run(LabelCommand.self, ["deploy", "web", "app=api", "tier=fe", "--overwrite"]))
            let labeled = try await client.get(Deployment.self, name: "web", namespace: "default")
            #expect(labeled.metadata?.labels == ["app": "api", "tier": "fe"])

            // patch, then the same patch again.
            #expect(try await live.run(PatchCommand.self, ["deploy/web", "-p", #"{"spec":{"replicas":5}}"#]))
            #expect(try await live.run(PatchCommand.self, ["deploy/web", "-p", #"{"spec":{"replicas":5}}"#]))
            #expect(Array(live.output.lines.suffix(3)) == ["deployment.apps/web labeled", "deployment.apps/web patched",
                                                          "deployment.apps/web patched (no change)"])
            let patched = try await client.get(Deployment.self, name: "web", namespace: "default")
            #expect(patched.spec?.replicas == 5)

            // describe: the deployment with its own events.
            let uid = try #require(patched.metadata?.uid)
            for (name, reason, about) in [("web.1", "ScalingReplicaSet", uid), ("web.2", "Stale", "another-uid")] {
                _ = try await client.create(Event(
                    metadata: ObjectMeta(name: name, namespace: "default"),
                    involvedObject: ObjectReference(kind: "Deployment", namespace: "default", name: "web", uid: about,
                                                    apiVersion: "apps/v1"),
                    reason: reason, message: "Scaled up replica set web-1 to 5",
                    source: EventSource(component: "deployment-controller"),
                    firstTimestamp: Time(Date()), lastTimestamp: Time(Date()), count: 1, type: "Normal"))
            }
            start = live.output.lines.count
            #expect(try await live.run(DescribeCommand.self, ["deployment", "web"]))
            let description = Array(live.output.lines.dropFirst(start))
            #expect(description.first == "Name:                   web")
            #expect(description.contains { $0.hasPrefix("Replicas:") && $0.hasSuffix("5 desired | 0 updated | 0 total | 0 available | 0 unavailable") })
            let events = Array(description.drop { $0 != "Events:" })
            #expect(events.count == 4, "\(description)")
            #expect(events.last?.hasPrefix("  Normal  ScalingReplicaSet  ") == true)
            #expect(events.last?.hasSuffix("  deployment-controller  Scaled up replica set web-1 to 5") == true)

            // replace with a stale resourceVersion: a conflict, nothing written.
            let stale = try directory.write("stale.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings, resourceVersion: "\(try await client.get(ConfigMap.self, name: "settings", namespace: "default").metadata?.resourceVersion ?? "")"}
                data: {mode: slow}

                """)
            #expect(try await live.run(PatchCommand.self, ["cm", "settings", "-p", #"{"data":{"mode":"medium"}}"#]))
            #expect(try await !live.run(ReplaceCommand.self, ["-f", stale]))
            #expect(live.errors.lines.last == #"Error from server (Conflict): error when replacing "\#(stale)": Operation cannot be fulfilled on configmaps "settings": the object has been modified; please apply your changes to the latest version and try again"#)
            #expect(try await client.get(ConfigMap.self, name: "settings", namespace: "default").data == ["mode": "medium"])

            // get a missing object: the server's NotFound, one line.
            #expect(try await !live.run(GetCommand.self, ["pods", "nope"]))
            #expect(live.errors.lines.last == #"Error from server (NotFound): pods "nope" not found"#)
        }
    }

    @Test func watchSeesAChange() async throws {
        try await withPlane { _, client in
            _ = try await client.create(ConfigMap(metadata: ObjectMeta(name: "cfg", namespace: "default"), data: ["a": "1"]))
            let live = LiveSession(client)
            let watching = Task { try await live.run(GetCommand.self, ["configmaps", "-w"]) }
            defer { watching.cancel() }
            try await waitUntil("the initial table") { live.output.lines.count == 2 }
            #expect(live.cells().map { Array($0.prefix(2)) } == [["NAME", "DATA"], ["cfg", "1"]])
            _ = try await client.patch(ConfigMap.self, name: "cfg", namespace: "default",
                                       mergePatch: Array(#"{"data":{"b":"2"}}"#.utf8))
            try await waitUntil("the change's row") { live.output.lines.count == 3 }
            #expect(live.cells(from: 2).map { Array($0.prefix(2)) } == [["cfg", "2"]])
            watching.cancel()
            #expect(try await watching.value)
        }
    }

    @Test func deleteWaitsForFinalizers() async throws {
        try await withPlane { _, client in
            _ = try await client.create(ConfigMap(metadata: ObjectMeta(name: "held", namespace: "default",
                                                                       finalizers: ["example.com/hold"])))
            let live = LiveSession(client)
            let deleting = Task { try await live.run(DeleteCommand.self, ["configmap", "held", "--wait"]) }
            try await waitUntil("the delete call") { !live.output.lines.isEmpty }
            #expect(live.output.lines == [#"configmap "held" deleted"#])
            let marked = try await client.get(ConfigMap.self, name: "held", namespace: "default")
            #expect(marked.metadata?.deletionTimestamp != nil)
            _ = try await client.patch(ConfigMap.self, name: "held", namespace: "default",
                                       mergePatch: Array(#"{"metadata":{"finalizers":null}}"#.utf8))
            #expect(try await deleting.value, "\(live.errors.lines)")
            await #expect(throws: APIError.self) { try await client.get(ConfigMap.self, name: "held", namespace: "default") }
        }
    }

    @Test func theExecutable() async throws {
        try await withPlane { plane, _ in
            let directory = try ScratchDirectory()
            defer { directory.remove() }
            let file = try directory.write("app.yaml", Self.manifest)
            let good = try await Self.skiffctl(["apply", "-f", file], plane: plane)
            #expect(good.status == 0)
            #expect(good.stdout == "deployment.apps/web created\nconfigmap/settings created\n")
            let names = try await Self.skiffctl(["get", "deploy,cm", "-o", "name", "-n", "default"], plane: plane)
            #expect(names.stdout.split(separator: "\n").contains("deployment.apps/web"))
            let missing = try await Self.skiffctl(["get", "pod", "nope"], plane: plane)
            #expect(missing.status == 1)
            #expect(missing.stderr == "Error from server (NotFound): pods \"nope\" not found\n")
            let bad = try directory.write("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: 3}\n")
            let refused = try await Self.skiffctl(["apply", "-f", bad], plane: plane)
            #expect(refused.status == 1)
            #expect(refused.stderr == "error: \(bad): Pod \"p\": spec.containers: expected a list, got 3\n")
        }
    }

    @Test func authCanIAnswersForTheCallerAndAsAnotherUser() async throws {
        try await withPlane { plane, _ in
            let asAdmin = try await Self.skiffctl(["auth", "can-i", "delete", "secrets", "-n", "kube-system"], plane: plane)
            #expect(asAdmin.status == 0 && asAdmin.stdout == "yes\n")
            let scheduler = try await Self.skiffctl(["auth", "can-i", "create", "pods/binding", "--as", "system:kube-scheduler"], plane: plane)
            #expect(scheduler.status == 0 && scheduler.stdout == "yes\n", "\(scheduler.stderr)")
            let stranger = try await Self.skiffctl(["auth", "can-i", "get", "secrets", "--as", "nobody"], plane: plane)
            #expect(stranger.status == 1 && stranger.stdout == "no\n")
            // No credentials at all: the apiserver refuses, and skiffctl says so.
            let child = try ChildProcess("skiffctl", ["--run-dir", plane.runDirectory, "--token", "wrong-token-0123456789",
                                                      "get", "pods"])
            #expect(await child.exitStatus(within: .seconds(60)) == 1)
            #expect(child.stderr.contains("Unauthorized"), "\(child.stderr)")
            await child.stop()
        }
    }

    /// kubectl's Secret recipe: `create secret generic` from literals, read back base64 in -o yaml,
    /// and the values stay out of `get` and `describe`.
    @Test func createSecretGenericAndReadItBack() async throws {
        try await withPlane { plane, _ in
            let created = try await Self.skiffctl(["-n", "default", "create", "secret", "generic", "db-user-pass",
                                                   "--from-literal", "username=admin", "--from-literal", "password=S!B*d$zDsb="],
                                                  plane: plane)
            #expect(created.status == 0 && created.stdout == "secret/db-user-pass created\n", "\(created.stderr)")
            let yaml = try await Self.skiffctl(["get", "secret", "db-user-pass", "-o", "yaml"], plane: plane)
            #expect(yaml.stdout.contains("username: YWRtaW4="), "\(yaml.stdout)")
            #expect(yaml.stdout.contains("password: UyFCKmQkekRzYj0="), "\(yaml.stdout)")
            #expect(yaml.stdout.contains("type: Opaque"))
            let again = try await Self.skiffctl(["create", "secret", "generic", "db-user-pass", "--from-literal", "a=b"], plane: plane)
            #expect(again.status == 1 && again.stderr == "Error from server (AlreadyExists): secrets \"db-user-pass\" already exists\n",
                    "\(again.stderr)")
        }
    }

    static func skiffctl(_ arguments: [String], plane: ControlPlane) async throws -> (status: Int32?, stdout: String, stderr: String) {
        let child = try ChildProcess("skiffctl", ["--run-dir", plane.runDirectory] + arguments)
        let status = await child.exitStatus(within: .seconds(60))
        let result = (status, child.stdout, child.stderr)
        await child.stop()
        return result
    }
}
