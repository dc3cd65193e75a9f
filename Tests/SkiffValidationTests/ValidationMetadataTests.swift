import SkiffAPI
import SkiffValidation
import SkiffWire
import Testing

/// Metadata every object shares, checked on a ConfigMap, plus each kind's own name format.
@Suite struct ValidationMetadataTests {
    static let changes: [Change<ConfigMap>] = [
        Change("no name", [.required("metadata.name")]) { $0.metadata?.name = nil },
        Change("a generated name instead", []) { $0.metadata?.name = nil; $0.metadata?.generateName = "web-config-" },
        Change("a generated name from a bad prefix", [.invalid("metadata.generateName")]) {
            $0.metadata?.name = nil
            $0.metadata?.generateName = "Web-"
        },
        Change("name with capitals", [.invalid("metadata.name")]) { $0.metadata?.name = "WebConfig" },
        Change("name of 254 characters", [.invalid("metadata.name")]) { $0.metadata?.name = String(repeating: "a", count: 254) },
        Change("name of 253 characters", []) { $0.metadata?.name = String(repeating: "a", count: 253) },
        Change("namespace not a label", [.invalid("metadata.namespace")]) { $0.metadata?.namespace = "team.a" },
        Change("negative generation", [.invalid("metadata.generation")]) { $0.metadata?.generation = -1 },
        Change("label key with a space", [.invalid("metadata.labels")]) { $0.metadata?.labels["my app"] = "web" },
        Change("label key with a bad prefix", [.invalid("metadata.labels")]) { $0.metadata?.labels["Example.com/app"] = "web" },
        Change("label key with a prefix", []) { $0.metadata?.labels["app.kubernetes.io/name"] = "web" },
        Change("label value too long", [.invalid("metadata.labels")]) {
            $0.metadata?.labels["app"] = String(repeating: "v", count: 64)
        },
        Change("label value empty", []) { $0.metadata?.labels["canary"] = "" },
        Change("annotation key with two slashes", [.invalid("metadata.annotations")]) {
            $0.metadata?.annotations["example.com/a/b"] = "x"
        },
        Change("annotation key in capitals", []) { $0.metadata?.annotations["Example.com/Owner"] = "ops" },
        Change("annotations beyond 256 KiB", [.tooLong("metadata.annotations")]) {
            $0.metadata?.annotations["a"] = String(repeating: "x", count: 200 * 1024)
            $0.metadata?.annotations["b"] = String(repeating: "x", count: 100 * 1024)
        },
        Change("owner reference with nothing", [.required("metadata.ownerReferences[0].apiVersion"),
                                                 .required("metadata.ownerReferences[0].kind"),
                                                 .required("metadata.ownerReferences[0].name"),
                                                 .required("metadata.ownerReferences[0].uid")]) {
            $0.metadata?.ownerReferences = [OwnerReference()]
        },
        Change("owner reference with a bad API version", [.invalid("metadata.ownerReferences[0].apiVersion")]) {
            $0.metadata?.ownerReferences = [OwnerReference(apiVersion: "apps/v1/beta", kind: "Deployment", name: "web", uid: "1")]
        },
        Change("two controllers", [.invalid("metadata.ownerReferences")]) {
            $0.metadata?.ownerReferences = [
                OwnerReference(apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: "1", controller: true),
                OwnerReference(apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-5d8f", uid: "2", controller: true),
            ]
        },
        Change("owned by an event", [.invalid("metadata.ownerReferences[0]")]) {
            $0.metadata?.ownerReferences = [OwnerReference(apiVersion: "v1", kind: "Event", name: "e", uid: "1")]
        },
        Change("finalizer without a domain", [.invalid("metadata.finalizers[0]")]) { $0.metadata?.finalizers = ["cleanup"] },
        Change("finalizer with a domain", []) { $0.metadata?.finalizers = ["example.com/cleanup"] },
        Change("standard finalizer", []) { $0.metadata?.finalizers = ["foregroundDeletion"] },
        Change("finalizer not qualified", [.invalid("metadata.finalizers")]) { $0.metadata?.finalizers = ["example.com/clean up"] },
        Change("orphaning and foreground deletion at once", [.invalid("metadata.finalizers")]) {
            $0.metadata?.finalizers = ["orphan", "foregroundDeletion"]
        },
    ]

    @Test(arguments: changes)
    func metadata(_ change: Change<ConfigMap>) {
        expectCreate(change.applied(to: Fixtures.configMap), change.expected)
    }

    static let updates: [Change<ConfigMap>] = [
        Change("labels changed", []) { $0.metadata?.labels["v"] = "2" },
        Change("renamed", [.invalid("metadata.name")]) { $0.metadata?.name = "other" },
        Change("moved", [.invalid("metadata.namespace")]) { $0.metadata?.namespace = "other" },
        Change("another creation time", [.invalid("metadata.creationTimestamp")]) {
            $0.metadata?.creationTimestamp = Time(seconds: 1)
        },
        Change("system fields left out", []) {
            $0.metadata?.uid = nil
            $0.metadata?.creationTimestamp = nil
            $0.metadata?.generation = nil
        },
        Change("generation decremented", [.invalid("metadata.generation")]) { $0.metadata?.generation = 0 },
        Change("bad label added", [.invalid("metadata.labels")]) { $0.metadata?.labels["bad key"] = "x" },
    ]

    @Test(arguments: updates)
    func metadataUpdates(_ change: Change<ConfigMap>) {
        expectUpdate(change.applied(to: Fixtures.configMap), from: Fixtures.configMap, change.expected)
    }

    @Test(arguments: [
        ("Pod", "web-0.example", true), ("Pod", "web_0", false),
        ("Service", "web", true), ("Service", "1web", false), ("Service", "web.example", false),
        ("Namespace", "team-a", true), ("Namespace", "team.a", false),
        ("Node", "node-1.example.com", true), ("Node", "Node-1", false),
        ("StatefulSet", "db", true), ("StatefulSet", "db.v1", false),
        ("Role", "system:pod-reader", true), ("Role", "pods/reader", false), ("Role", "..", false),
        ("ClusterRoleBinding", "system:node", true), ("ClusterRoleBinding", "a%20b", false),
        ("Deployment", "nginx-deployment", true), ("Deployment", "-nginx", false),
        ("CronJob", String(repeating: "c", count: 52), true), ("CronJob", String(repeating: "c", count: 53), false),
    ])
    func eachKindHasItsNameFormat(_ kind: String, _ name: String, _ valid: Bool) throws {
        let object = with(try #require(Fixtures.byKind[kind])) { $0.metadata?.name = name }
        let nameErrors = Validation.validateCreate(object).filter { $0.field == "metadata.name" }
        #expect(nameErrors.isEmpty == valid, "\(nameErrors.map(\.description))")
    }
}
