/// ResourceArguments: every name a user may type for a kind, and the argument shapes.
import SkiffAPI
import SkiffCtl
import Testing

@Suite struct ResourceArgumentsTests {
    static let names: [(String, String)] = [
        ("po", "pods"), ("pod", "pods"), ("pods", "pods"), ("Pod", "pods"),
        ("deploy", "deployments.apps"), ("deployment", "deployments.apps"), ("deployments.apps", "deployments.apps"),
        ("rs", "replicasets.apps"), ("rc", "replicationcontrollers"), ("svc", "services"), ("ns", "namespaces"),
        ("no", "nodes"), ("ds", "daemonsets.apps"), ("sts", "statefulsets.apps"), ("cm", "configmaps"),
        ("pv", "persistentvolumes"), ("pvc", "persistentvolumeclaims"), ("sa", "serviceaccounts"),
        ("ep", "endpoints"), ("ev", "events"), ("hpa", "horizontalpodautoscalers.autoscaling"),
        ("job", "jobs.batch"), ("jobs", "jobs.batch"), ("cj", "cronjobs.batch"), ("secret", "secrets"),
        ("lease", "leases.coordination.k8s.io"), ("roles", "roles.rbac.authorization.k8s.io"),
        ("sc", "storageclasses.storage.k8s.io"), ("ReplicaSet", "replicasets.apps"),
    ]

    @Test(arguments: names)
    func resolvesEveryName(typed: String, resource: String) throws {
        #expect(try ResourceArguments.resolve(typed).groupResource.description == resource)
    }

    @Test func unknownTypeIsKubectlsError() {
        #expect(throws: CtlError("the server doesn't have a resource type \"foo\"")) {
            try ResourceArguments.resolve("foo")
        }
    }

    @Test func typeThenNames() throws {
        let requests = try ResourceArguments.parse(["deploy", "web", "db"])
        #expect(requests.map(\.resource.plural) == ["deployments"])
        #expect(requests.first?.names == ["web", "db"])
    }

    @Test func commaSeparatedTypes() throws {
        let requests = try ResourceArguments.parse(["deploy,svc"])
        #expect(requests.map(\.resource.plural) == ["deployments", "services"])
        #expect(requests.allSatisfy { $0.names.isEmpty })
    }

    @Test func slashFormsGroupByType() throws {
        let requests = try ResourceArguments.parse(["pod/a", "svc/b", "po/c"])
        #expect(requests.map(\.resource.plural) == ["pods", "services"])
        #expect(requests.map(\.names) == [["a", "c"], ["b"]])
    }

    @Test func slashNameAfterTypeIsRefused() {
        #expect(throws: CtlError.self) { try ResourceArguments.parse(["pods", "pod/a"]) }
    }

    @Test func nothingIsRefused() {
        #expect(throws: CtlError("you must specify the type of resource")) { try ResourceArguments.parse([]) }
    }

    @Test func resultNames() throws {
        #expect(try ResourceArguments.resolve("deploy").slashName("web") == "deployment.apps/web")
        #expect(try ResourceArguments.resolve("po").slashName("web") == "pod/web")
        #expect(try ResourceArguments.resolve("po").quotedName("web") == "pod \"web\"")
        #expect(try ResourceArguments.resolve("hpa").quotedName("x") == "horizontalpodautoscaler.autoscaling \"x\"")
    }
}

@Suite struct GlobalOptionPlacementTests {
    static let cases: [([String], [String])] = [
        (["-n", "shop", "get", "pods"], ["get", "-n", "shop", "pods"]),
        (["--run-dir=/tmp/r", "--server", "ipc://x", "apply", "-f", "a.yaml"],
         ["apply", "--run-dir=/tmp/r", "--server", "ipc://x", "-f", "a.yaml"]),
        (["get", "pods", "-n", "shop"], ["get", "pods", "-n", "shop"]),
        (["--help"], ["--help"]),
        (["-n", "shop"], ["-n", "shop"]),
        (["-n", "shop", "rollout", "status", "deploy/web"], ["rollout", "status", "-n", "shop", "deploy/web"]),
        (["--kubeconfig", "k", "auth", "can-i", "get", "pods"], ["auth", "can-i", "--kubeconfig", "k", "get", "pods"]),
        (["-n", "shop", "create", "-f", "a.yaml"], ["create", "-n", "shop", "-f", "a.yaml"]),
        (["-n", "shop", "create", "secret", "generic", "s", "--from-literal", "a=b"],
         ["create", "secret", "generic", "-n", "shop", "s", "--from-literal", "a=b"]),
        (["-n", "shop", "rollout", "status"], ["rollout", "status", "-n", "shop"]),
    ]

    @Test(arguments: cases)
    func globalOptionsMoveAfterTheSubcommand(given: [String], parsed: [String]) {
        #expect(SkiffctlCommand.movingGlobalOptions(given) == parsed)
    }
}
