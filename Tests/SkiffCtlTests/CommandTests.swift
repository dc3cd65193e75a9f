/// The commands end to end against the in-memory fake: what they print, what they send, and
/// that a bad manifest sends nothing.
import Foundation
import SkiffAPI
import SkiffCtl
import SkiffWire
import Testing

@Suite struct ApplyTests {
    static let deployment = webDeploymentManifest

    @Test func createsThenLeavesUnchangedThenConfiguresKeepingStatus() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let file = try directory.write("deploy.yaml", Self.deployment)
        let test = TestSession()

        #expect(try await test.run(ApplyCommand.self, ["-f", file]))
        #expect(try await test.run(ApplyCommand.self, ["-f", file]))
        let deployments = try ResourceArguments.resolve("deploy")
        test.client.modify(deployments, "web") { object in
            object = { var d = object as! Deployment; d.status = DeploymentStatus(replicas: 2, readyReplicas: 2); return d }()
        }
        try directory.write("deploy.yaml", Self.deployment.replacingOccurrences(of: "replicas: 2", with: "replicas: 4"))
        #expect(try await test.run(ApplyCommand.self, ["-f", file]))

        #expect(test.output.lines == ["deployment.apps/web created", "deployment.apps/web unchanged",
                                      "deployment.apps/web configured"])
        let live = try #require(test.client.stored(deployments, "web") as? Deployment)
        #expect(live.spec?.replicas == 4)
        #expect(live.status?.readyReplicas == 2)
        #expect(test.client.writes.count == 2)
        #expect(test.client.writes[0] == "create deployments.apps default/web")
        #expect(test.client.writes[1].hasPrefix("patch deployments.apps default/web {"))
        #expect(!test.client.writes[1].contains("status"))
        #expect(test.errors.lines.isEmpty)
    }

    @Test func aBadDocumentSendsNothingFromAnyFile() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let good = try directory.write("a.yaml", Self.deployment)
        let bad = try directory.write("b.yaml", Self.deployment + "---\n" + Self.deployment
                                      .replacingOccurrences(of: "name: web\n", with: "name: api\n")
                                      .replacingOccurrences(of: "replicas: 2", with: "replicas: three"))
        let test = TestSession()
        #expect(try await !test.run(ApplyCommand.self, ["-f", good, "-f", bad]))
        #expect(test.errors.lines == ["error: \(bad): Deployment \"api\": spec.replicas: expected Int32, got \"three\""])
        #expect(test.client.calls.isEmpty)
        #expect(test.output.lines.isEmpty)
    }

    @Test func directoryAndStandardInput() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        try directory.write("2-svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80}]\n")
        try directory.write("1-ns.json", #"{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}"#)
        let test = TestSession(namespace: "shop", standardInput: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n")
        #expect(try await test.run(ApplyCommand.self, ["-f", directory.path, "-f", "-"]))
        #expect(test.output.lines == ["namespace/shop created", "service/web created", "configmap/cfg created"])
        #expect(test.client.writes == ["create namespaces /shop", "create services shop/web", "create configmaps shop/cfg"])
    }

    @Test func aManifestInAnotherNamespaceThanTheOneGivenIsRefused() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let file = try directory.write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: prod}\n")
        let test = TestSession(namespace: "dev")
        #expect(try await !test.run(ApplyCommand.self, ["-f", file]))
        #expect(test.errors.lines == ["error: \(file): the namespace from the provided object \"prod\" does not match the namespace \"dev\". You must pass '--namespace=prod' to perform this operation."])
        #expect(test.client.calls.isEmpty)
    }

    @Test func outputName() async throws {
        let test = TestSession(standardInput: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
        #expect(try await test.run(ApplyCommand.self, ["-f", "-", "-o", "name"]))
        #expect(test.output.lines == ["configmap/c"])
    }
}

@Suite struct CreateAndReplaceTests {
    static let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: app, image: nginx}]\n"

    @Test func createTwiceIsAlreadyExists() async throws {
        let test = TestSession(standardInput: Self.pod)
        #expect(try await test.run(CreateFromManifestsCommand.self, ["-f", "-"]))
        #expect(try await !test.run(CreateFromManifestsCommand.self, ["-f", "-"]))
        #expect(test.output.lines == ["pod/web created"])
        #expect(test.errors.lines == [#"Error from server (AlreadyExists): error when creating "STDIN": pods "web" already exists"#])
    }

    @Test func replaceWithAStaleResourceVersionIsAConflict() async throws {
        let test = TestSession(standardInput: Self.pod.replacingOccurrences(of: "{name: web}", with: "{name: web, resourceVersion: \"1\"}"))
        test.client.seed(Pod(metadata: ObjectMeta(name: "web", namespace: "default")))
        #expect(try await !test.run(ReplaceCommand.self, ["-f", "-"]))
        #expect(test.errors.lines == [#"Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again"#])
    }

    @Test func replaceWithoutAResourceVersionReplaces() async throws {
        let test = TestSession(standardInput: Self.pod)
        test.client.seed(Pod(metadata: ObjectMeta(name: "web", namespace: "default")))
        #expect(try await test.run(ReplaceCommand.self, ["-f", "-"]))
        #expect(test.output.lines == ["pod/web replaced"])
        #expect(test.client.writes == ["update pods default/web"])
    }
}

@Suite struct GetTests {
    static func seededPods(_ test: TestSession) {
        test.client.seed(Pod(metadata: ObjectMeta(name: "web", namespace: "default", labels: ["app": "web"]),
                             spec: PodSpec(containers: [Container(name: "app")]), status: PodStatus(phase: "Running")))
        test.client.seed(Pod(metadata: ObjectMeta(name: "db", namespace: "default"),
                             spec: PodSpec(containers: [Container(name: "db")]), status: PodStatus(phase: "Pending")))
        test.client.seed(Pod(metadata: ObjectMeta(name: "api", namespace: "shop"),
                             spec: PodSpec(containers: [Container(name: "api")]), status: PodStatus(phase: "Pending")))
    }

    @Test func tableOfTheNamespace() async throws {
        let test = TestSession()
        Self.seededPods(test)
        #expect(try await test.run(GetCommand.self, ["pods"]))
        #expect(test.output.lines == [
            "NAME   READY   STATUS    RESTARTS   AGE",
            "db     0/1     Pending   0          5m",
            "web    0/1     Running   0          5m",
        ])
        #expect(test.client.calls == ["list pods default"])
    }

    @Test func allNamespacesAndSelectors() async throws {
        let test = TestSession()
        Self.seededPods(test)
        #expect(try await test.run(GetCommand.self, ["po", "-A", "-l", "app!=web", "--field-selector", "status.phase=Pending"]))
        #expect(test.output.lines == [
            "NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE",
            "default     db     0/1     Pending   0          5m",
            "shop        api    0/1     Pending   0          5m",
        ])
        #expect(test.client.calls == ["list pods * -l app!=web --field-selector status.phase=Pending"])
    }

    @Test func emptyNamespaceSaysSo() async throws {
        let test = TestSession(namespace: "empty")
        #expect(try await test.run(GetCommand.self, ["deploy"]))
        #expect(test.output.lines.isEmpty)
        #expect(test.errors.lines == ["No resources found in empty namespace."])
    }

    @Test func missingNameIsNotFoundButTheOthersPrint() async throws {
        let test = TestSession()
        Self.seededPods(test)
        #expect(try await !test.run(GetCommand.self, ["pods", "web", "nope"]))
        #expect(test.output.lines.count == 2)
        #expect(test.errors.lines == [#"Error from server (NotFound): pods "nope" not found"#])
    }

    @Test func unknownTypeAndFormat() async throws {
        let test = TestSession()
        #expect(try await !test.run(GetCommand.self, ["foo"]))
        #expect(try await !test.run(GetCommand.self, ["pods", "-o", "xml"]))
        #expect(test.errors.lines == [
            #"error: the server doesn't have a resource type "foo""#,
            #"error: unable to match a printer suitable for the output format "xml", allowed formats are: json,name,wide,yaml"#,
        ])
        #expect(test.client.calls.isEmpty)
    }

    @Test func outputFormats() async throws {
        let test = TestSession()
        Self.seededPods(test)
        #expect(try await test.run(GetCommand.self, ["pods", "-o", "name"]))
        #expect(test.output.lines == ["pod/db", "pod/web"])

        let single = TestSession()
        Self.seededPods(single)
        #expect(try await single.run(GetCommand.self, ["pod", "web", "-o", "yaml"]))
        #expect(single.output.text.hasPrefix("apiVersion: v1\nkind: Pod\nmetadata:\n"))

        let list = TestSession()
        Self.seededPods(list)
        #expect(try await list.run(GetCommand.self, ["pods", "-o", "json"]))
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(list.output.text.utf8))
        #expect(document["kind"] == .string("List"))
        if case .array(let items)? = document["items"] { #expect(items.count == 2) } else { Issue.record("no items") }
    }

    @Test func severalTypesPrintSeveralTables() async throws {
        let test = TestSession()
        Self.seededPods(test)
        test.client.seed(ConfigMap(metadata: ObjectMeta(name: "cfg", namespace: "default"), data: ["a": "b"]))
        #expect(try await test.run(GetCommand.self, ["cm,po", "--no-headers"]))
        #expect(test.output.lines == ["configmap/cfg   1     5m", "",
                                      "pod/db    0/1   Pending   0     5m", "pod/web   0/1   Running   0     5m"])
    }

    @Test func allMeansTheWorkloadKinds() async throws {
        let test = TestSession()
        Self.seededPods(test)
        test.client.seed(Service(metadata: ObjectMeta(name: "web", namespace: "default"),
                                 spec: ServiceSpec(ports: [ServicePort(port: 80)], clusterIP: "10.96.0.1")))
        test.client.seed(ConfigMap(metadata: ObjectMeta(name: "not-a-workload", namespace: "default")))
        #expect(try await test.run(GetCommand.self, ["all"]))
        #expect(test.output.lines == [
            "NAME      READY   STATUS    RESTARTS   AGE",
            "pod/db    0/1     Pending   0          5m",
            "pod/web   0/1     Running   0          5m",
            "",
            "NAME          TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE",
            "service/web   ClusterIP   10.96.0.1    <none>        80/TCP    5m",
        ])
    }

    @Test func watchPrintsEachChangeAsARow() async throws {
        let test = TestSession()
        Self.seededPods(test)
        let pods = try ResourceArguments.resolve("pods")
        let watching = Task { try await test.run(GetCommand.self, ["pods", "-w"]) }
        try await waitUntil("the watch to start") { test.client.watcherCount == 1 }
        #expect(test.output.lines.count == 3)
        test.client.modify(pods, "db") { object in
            object = { var pod = object as! Pod; pod.status?.phase = "Running"; return pod }()
        }
        try await waitUntil("the change's row") { test.output.lines.count == 4 }
        watching.cancel()
        #expect(try await watching.value)
        #expect(test.output.lines == [
            "NAME   READY   STATUS    RESTARTS   AGE",
            "db     0/1     Pending   0          5m",
            "web    0/1     Running   0          5m",
            "db     0/1     Running   0          5m",
        ])
    }
}

@Suite struct DescribeTests {
    @Test func podWithItsOwnEventsOnly() async throws {
        let test = TestSession()
        let pod = test.client.seed(Pod(metadata: ObjectMeta(name: "web", namespace: "default", labels: ["app": "web"]),
                                       spec: PodSpec(containers: [Container(name: "app", image: "nginx")], nodeName: "node-1"),
                                       status: PodStatus(phase: "Running")))
        let uid = try #require(pod.metadata?.uid)
        func event(_ name: String, object: String, uid: String, reason: String, at seconds: Int64) -> Event {
            Event(metadata: ObjectMeta(name: name, namespace: "default"),
                  involvedObject: ObjectReference(kind: "Pod", namespace: "default", name: object, uid: uid),
                  reason: reason, message: "\(reason) happened", source: EventSource(component: "kubelet"),
                  lastTimestamp: Time(seconds: created.seconds + seconds), type: "Normal")
        }
        test.client.seed(event("e2", object: "web", uid: uid, reason: "Started", at: 200))
        test.client.seed(event("e1", object: "web", uid: uid, reason: "Pulled", at: 100))
        test.client.seed(event("e3", object: "web", uid: "an-earlier-web", reason: "Killing", at: 50))
        test.client.seed(event("e4", object: "db", uid: "uid-db", reason: "Failed", at: 60))

        #expect(try await test.run(DescribeCommand.self, ["pod", "web"]))
        let lines = test.output.lines
        #expect(lines.first == "Name:             web")
        #expect(lines.contains("Node:             node-1"))
        #expect(lines.contains("Status:           Running"))
        #expect(lines.contains("    Image:        nginx"))
        #expect(Array(lines.suffix(5)) == [
            "Events:",
            "  Type    Reason   Age    From     Message",
            "  ----    ------   ----   ----     -------",
            "  Normal  Pulled   3m20s  kubelet  Pulled happened",
            "  Normal  Started  100s   kubelet  Started happened",
        ])
        #expect(test.client.calls.contains(
            "list events default --field-selector involvedObject.name=web,involvedObject.namespace=default,involvedObject.uid=\(uid)"))
    }

    @Test func noEvents() async throws {
        let test = TestSession()
        test.client.seed(Namespace(metadata: ObjectMeta(name: "shop")))
        #expect(try await test.run(DescribeCommand.self, ["ns/shop"]))
        #expect(test.output.lines == [
            "Name:               shop",
            "CreationTimestamp:  Tue, 14 Nov 2023 22:13:20 +0000",
            "Labels:             <none>",
            "Annotations:        <none>",
            "Status:             Active",
            "Events:             <none>",
        ])
    }
}

@Suite struct DeleteTests {
    @Test func byNameSelectorAndAll() async throws {
        let test = TestSession()
        GetTests.seededPods(test)
        test.client.seed(ConfigMap(metadata: ObjectMeta(name: "a", namespace: "default", labels: ["x": "1"])))
        test.client.seed(ConfigMap(metadata: ObjectMeta(name: "b", namespace: "default")))
        #expect(try await test.run(DeleteCommand.self, ["pod", "web", "--grace-period", "5"]))
        #expect(try await test.run(DeleteCommand.self, ["cm", "-l", "x=1"]))
        #expect(try await test.run(DeleteCommand.self, ["configmaps", "--all"]))
        #expect(test.output.lines == [#"pod "web" deleted"#, #"configmap "a" deleted"#, #"configmap "b" deleted"#])
        #expect(test.client.writes == ["delete pods default/web grace=5", "delete configmaps default/a",
                                       "delete configmaps default/b"])
    }

    @Test func missingIsNotFoundUnlessIgnored() async throws {
        let test = TestSession()
        #expect(try await !test.run(DeleteCommand.self, ["deploy", "web"]))
        #expect(test.errors.lines == [#"Error from server (NotFound): deployments.apps "web" not found"#])
        #expect(try await test.run(DeleteCommand.self, ["deploy", "web", "--ignore-not-found"]))
    }

    @Test func aTypeWithoutNamesNeedsAll() async throws {
        let test = TestSession()
        #expect(try await !test.run(DeleteCommand.self, ["pods"]))
        #expect(test.client.calls.isEmpty)
    }

    @Test func byManifest() async throws {
        let test = TestSession(standardInput: CreateAndReplaceTests.pod)
        test.client.seed(Pod(metadata: ObjectMeta(name: "web", namespace: "default")))
        #expect(try await test.run(DeleteCommand.self, ["-f", "-"]))
        #expect(test.output.lines == [#"pod "web" deleted"#])
    }

    @Test func waitReturnsOnlyOnceTheObjectIsGone() async throws {
        let test = TestSession()
        let pods = try ResourceArguments.resolve("pods")
        test.client.seed(Pod(metadata: ObjectMeta(name: "web", namespace: "default", finalizers: ["example.com/hold"])))
        let deleting = Task { try await test.run(DeleteCommand.self, ["pod", "web", "--wait"]) }
        try await waitUntil("the wait to watch the pod") { test.client.watcherCount == 1 }
        #expect(test.output.lines == [#"pod "web" deleted"#])
        #expect(test.client.stored(pods, "web")?.metadata?.deletionTimestamp != nil)
        test.client.finishDeletion(pods, "web")
        #expect(try await deleting.value)
        #expect(test.client.stored(pods, "web") == nil)
    }

    @Test func waitGivesUpAtTheTimeout() async throws {
        let test = TestSession()
        test.client.seed(Pod(metadata: ObjectMeta(name: "web", namespace: "default", finalizers: ["example.com/hold"])))
        #expect(try await !test.run(DeleteCommand.self, ["pod", "web", "--wait", "--timeout", "50ms"]))
        #expect(test.errors.lines == ["error: timed out waiting for the condition on pods/web"])
    }
}

@Suite struct EditTests {
    static func seeded() -> TestSession {
        let test = TestSession()
        test.client.seed(Deployment(metadata: ObjectMeta(name: "web", namespace: "default", labels: ["app": "web"]),
                                    spec: DeploymentSpec(replicas: 1)))
        return test
    }

    @Test func patchThenTheSamePatchChangesNothing() async throws {
        let test = Self.seeded()
        #expect(try await test.run(PatchCommand.self, ["deploy", "web", "-p", #"{"spec":{"replicas":5}}"#]))
        #expect(try await test.run(PatchCommand.self, ["deployment/web", "-p", "spec: {replicas: 5}", "--type", "merge"]))
        #expect(test.output.lines == ["deployment.apps/web patched", "deployment.apps/web patched (no change)"])
        let deployments = try ResourceArguments.resolve("deploy")
        #expect((test.client.stored(deployments, "web") as? Deployment)?.spec?.replicas == 5)
    }

    @Test func patchRefusesOtherTypesAndNonObjects() async throws {
        let test = Self.seeded()
        #expect(try await !test.run(PatchCommand.self, ["deploy", "web", "-p", "[]", "--type", "json"]))
        #expect(try await !test.run(PatchCommand.self, ["deploy", "web", "-p", "[1]"]))
        #expect(test.client.writes.isEmpty)
    }

    @Test func labelNeedsOverwriteToChangeAValue() async throws {
        let test = Self.seeded()
        #expect(try await !test.run(LabelCommand.self, ["deploy", "web", "app=api"]))
        #expect(test.errors.lines == ["error: 'app' already has a value (web), and --overwrite is false"])
        #expect(test.client.writes.isEmpty)
        #expect(try await test.run(LabelCommand.self, ["deploy", "web", "app=api", "tier=fe", "--overwrite"]))
        #expect(try await test.run(LabelCommand.self, ["deploy", "web", "app=api"]))
        #expect(try await test.run(LabelCommand.self, ["deploy/web", "tier-"]))
        #expect(test.output.lines == ["deployment.apps/web labeled", "deployment.apps/web not labeled",
                                      "deployment.apps/web labeled"])
        let deployments = try ResourceArguments.resolve("deploy")
        #expect(test.client.stored(deployments, "web")?.metadata?.labels == ["app": "api"])
    }

    @Test func annotate() async throws {
        let test = Self.seeded()
        #expect(try await test.run(AnnotateCommand.self, ["deploy", "web", "note=rolled out by hand"]))
        #expect(test.output.lines == ["deployment.apps/web annotated"])
        let deployments = try ResourceArguments.resolve("deploy")
        #expect(test.client.stored(deployments, "web")?.metadata?.annotations == ["note": "rolled out by hand"])
    }

    @Test func scale() async throws {
        let test = Self.seeded()
        #expect(try await test.run(ScaleCommand.self, ["deploy", "web", "--replicas", "4"]))
        #expect(try await !test.run(ScaleCommand.self, ["deploy", "web", "--replicas", "2", "--current-replicas", "3"]))
        #expect(try await !test.run(ScaleCommand.self, ["configmap", "web", "--replicas", "2"]))
        #expect(test.output.lines == ["deployment.apps/web scaled"])
        #expect(test.errors.lines == ["error: Expected replicas to be 3, was 4", "error: configmaps cannot be scaled"])
    }
}

@Suite struct CreateFromFlagsTests {
    @Test func genericSecretFromLiteralsAndFiles() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let certificate = try scratch.write("tls.crt", "CERT")
        try scratch.write("conf/a.conf", "A")
        try scratch.write("conf/b.conf", "B")
        let test = TestSession(namespace: "shop")
        #expect(try await test.run(CreateGenericSecretCommand.self, [
            "db", "--from-literal", "user=admin", "--from-literal", "password=s3=cret", "--from-file", certificate,
            "--from-file", "renamed=\(certificate)", "--from-file", scratch.path + "/conf"]), "\(test.errors.lines)")
        #expect(test.output.lines == ["secret/db created"])
        let secret = try #require(test.client.stored(try resource("secrets"), "db", namespace: "shop") as? Secret)
        #expect(secret.type == "Opaque")
        #expect(secret.data == ["user": Array("admin".utf8), "password": Array("s3=cret".utf8), "tls.crt": Array("CERT".utf8),
                                "renamed": Array("CERT".utf8), "a.conf": Array("A".utf8), "b.conf": Array("B".utf8)])
    }

    @Test(arguments: [
        (["s", "--from-literal", "novalue"], "error: invalid literal source novalue, expected key=value"),
        (["s", "--from-literal", "=v"], "error: invalid literal source =v, expected key=value"),
        (["s", "--from-literal", "a=1", "--from-literal", "a=2"], "error: cannot add key a, another key by that name already exists"),
        (["s", "--from-literal", "bad key=1"],
         "error: \"bad key\" is not a valid key name: a valid config key must consist of alphanumeric characters, '-', '_' or '.'"),
        (["s", "--from-file", "/nonexistent/file"], "error: error reading /nonexistent/file: no such file or directory"),
    ])
    func badSourcesCreateNothing(arguments: [String], message: String) async throws {
        let test = TestSession()
        #expect(try await !test.run(CreateGenericSecretCommand.self, arguments))
        #expect(test.errors.lines == [message])
        #expect(test.client.writes.isEmpty)
    }

    @Test func configMapKeepsTextInDataAndBytesInBinaryData() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let binary = scratch.path + "/blob"
        try Data([0xFF, 0xFE, 0x00]).write(to: URL(fileURLWithPath: binary))
        let test = TestSession()
        #expect(try await test.run(CreateConfigMapCommand.self, ["settings", "--from-literal", "mode=fast", "--from-file", binary]))
        #expect(test.output.lines == ["configmap/settings created"])
        let configMap = try #require(test.client.stored(try resource("configmaps"), "settings") as? ConfigMap)
        #expect(configMap.data == ["mode": "fast"])
        #expect(configMap.binaryData == ["blob": [0xFF, 0xFE, 0x00]])
    }

    @Test func namespaceAndAnExistingOne() async throws {
        let test = TestSession()
        #expect(try await test.run(CreateNamespaceCommand.self, ["shop"]))
        #expect(try await !test.run(CreateNamespaceCommand.self, ["shop"]))
        #expect(test.output.lines == ["namespace/shop created"])
        #expect(test.errors.lines == [#"Error from server (AlreadyExists): namespaces "shop" already exists"#])
    }

    @Test func dryRunPrintsTheManifestAndSendsNothing() async throws {
        let test = TestSession()
        #expect(try await test.run(CreateGenericSecretCommand.self, ["s", "--from-literal", "a=b", "--dry-run=client", "-o", "yaml"]))
        #expect(test.output.lines.joined(separator: "\n") == "apiVersion: v1\ndata:\n  a: Yg==\nkind: Secret\nmetadata:\n  name: s\ntype: Opaque")
        #expect(test.client.writes.isEmpty)
        let named = TestSession(namespace: "shop")
        #expect(try await named.run(CreateNamespaceCommand.self, ["team", "--dry-run=client"]))
        #expect(named.output.lines == ["namespace/team created (dry run)"])
        #expect(named.client.writes.isEmpty)
        let refused = TestSession()
        #expect(try await !refused.run(CreateConfigMapCommand.self, ["c", "--dry-run=server"]))
        #expect(refused.errors.lines == ["error: Invalid dry-run value (server): only none and client are supported"])
    }

    @Test func tlsSecretHoldsTheCertificateAndKey() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let cert = try scratch.write("c.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
        let key = try scratch.write("k.pem", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n")
        let test = TestSession()
        #expect(try await test.run(CreateTLSSecretCommand.self, ["site", "--cert", cert, "--key", key]), "\(test.errors.lines)")
        let secret = try #require(test.client.stored(try resource("secrets"), "site") as? Secret)
        #expect(secret.type == "kubernetes.io/tls")
        #expect(secret.data.keys.sorted() == ["tls.crt", "tls.key"])
        #expect(secret.data["tls.key"] == Array("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n".utf8))
        let swapped = TestSession()
        #expect(try await !swapped.run(CreateTLSSecretCommand.self, ["site", "--cert", key, "--key", key]))
        #expect(swapped.errors.lines == ["error: failed to load key pair: \(key) holds no PEM certificate block"])
        #expect(swapped.client.writes.isEmpty)
    }

    /// `create -f` still reaches the manifests command through the group's default.
    @Test func createGroupRoutesToItsSubcommands() throws {
        #expect(try CreateCommand.parseAsRoot(["-f", "pod.yaml"]) is CreateFromManifestsCommand)
        #expect(try CreateCommand.parseAsRoot(["secret", "generic", "s", "--from-literal", "a=b"]) is CreateGenericSecretCommand)
        #expect(try CreateCommand.parseAsRoot(["configmap", "c"]) is CreateConfigMapCommand)
        #expect(try CreateCommand.parseAsRoot(["ns", "n"]) is CreateNamespaceCommand)
        #expect(try CreateCommand.parseAsRoot(["secret", "tls", "t", "--cert", "c", "--key", "k"]) is CreateTLSSecretCommand)
    }

    func resource(_ plural: String) throws -> ResourceInfo {
        try #require(ResourceCatalog.resource(group: "", plural: plural))
    }
}
