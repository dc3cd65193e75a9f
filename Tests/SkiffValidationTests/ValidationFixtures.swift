import SkiffAPI
import SkiffValidation
import SkiffWire
import Testing

/// Valid objects of every kind, as they reach validation: defaulted, with the namespace and
/// metadata the apiserver sets. Each test changes one thing and expects exactly its errors.
enum Fixtures {
    static let labels = ["app": "web"]

    static func container(_ name: String = "web") -> Container {
        with(Container()) {
            $0.name = name
            $0.image = "nginx:1.25"
            $0.ports = [ContainerPort(name: "http", containerPort: 80, protocol: "TCP")]
            $0.env = [EnvVar(name: "LOG_LEVEL", value: "info"),
                      EnvVar(name: "POD_NAME", valueFrom: EnvVarSource(
                        fieldRef: ObjectFieldSelector(apiVersion: "v1", fieldPath: "metadata.name")))]
            $0.resources = ResourceRequirements(limits: ["cpu": "500m", "memory": "128Mi"],
                                                requests: ["cpu": "250m", "memory": "64Mi"])
            $0.volumeMounts = [VolumeMount(name: "cache", mountPath: "/cache")]
            $0.livenessProbe = Probe(httpGet: HTTPGetAction(path: "/healthz", port: .string("http"), scheme: "HTTP"),
                                     timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3)
            $0.terminationMessagePath = "/dev/termination-log"
            $0.terminationMessagePolicy = "File"
            $0.imagePullPolicy = "IfNotPresent"
        }
    }

    static func podSpec(restartPolicy: String = "Always") -> PodSpec {
        with(PodSpec()) {
            $0.containers = [container()]
            $0.volumes = [Volume(name: "cache", emptyDir: EmptyDirVolumeSource())]
            $0.restartPolicy = restartPolicy
            $0.terminationGracePeriodSeconds = 30
            $0.dnsPolicy = "ClusterFirst"
            $0.schedulerName = "default-scheduler"
            $0.securityContext = PodSecurityContext()
        }
    }

    static func template(labels: [String: String] = labels, restartPolicy: String = "Always") -> PodTemplateSpec {
        PodTemplateSpec(metadata: ObjectMeta(labels: labels), spec: podSpec(restartPolicy: restartPolicy))
    }

    /// Metadata as the apiserver completes it on create.
    static func meta(_ name: String, namespace: String? = "default", labels: [String: String] = [:]) -> ObjectMeta {
        ObjectMeta(name: name, namespace: namespace, uid: "6a3c5f3e-0b1d-4c53-9d0e-6f1c2a7b8e90", generation: 1,
                   creationTimestamp: Time(seconds: 1_700_000_000), labels: labels)
    }

    static let selector = SkiffWire.LabelSelector(matchLabels: labels)

    static var pod: Pod { Pod(metadata: meta("web", labels: labels), spec: podSpec()) }

    static var podTemplate: PodTemplate { PodTemplate(metadata: meta("web-template"), template: template()) }

    static var replicationController: ReplicationController {
        ReplicationController(metadata: meta("web", labels: labels),
                              spec: ReplicationControllerSpec(replicas: 2, selector: labels, template: template()))
    }

    static var service: Service {
        Service(metadata: meta("web"), spec: with(ServiceSpec()) {
            $0.ports = [ServicePort(name: "http", protocol: "TCP", port: 80, targetPort: .int(8080))]
            $0.selector = labels
            $0.clusterIP = "10.96.0.10"
            $0.clusterIPs = ["10.96.0.10"]
            $0.type = "ClusterIP"
            $0.sessionAffinity = "None"
            $0.internalTrafficPolicy = "Cluster"
        })
    }

    static var endpoints: Endpoints {
        Endpoints(metadata: meta("web"), subsets: [EndpointSubset(
            addresses: [EndpointAddress(ip: "10.244.1.5", nodeName: "node-1")],
            ports: [EndpointPort(name: "http", port: 8080, protocol: "TCP")])])
    }

    static var configMap: ConfigMap {
        ConfigMap(metadata: meta("web-config"), data: ["app.properties": "color=blue"], binaryData: ["logo.png": [0x89, 0x50]])
    }

    static var secret: Secret {
        Secret(metadata: meta("web-secret"), data: ["password": Array("s3cret".utf8)], type: "Opaque")
    }

    static var serviceAccount: ServiceAccount { ServiceAccount(metadata: meta("builder")) }

    static var event: Event {
        Event(metadata: meta("web.17a3c4e2b9d1f0a5"),
              involvedObject: ObjectReference(kind: "Pod", namespace: "default", name: "web", apiVersion: "v1"),
              reason: "Scheduled", message: "Successfully assigned default/web to node-1", count: 1, type: "Normal")
    }

    static var persistentVolumeClaim: PersistentVolumeClaim {
        PersistentVolumeClaim(metadata: meta("data"), spec: claimSpec(),
                              status: PersistentVolumeClaimStatus(phase: "Pending"))
    }

    static func claimSpec(storage: Quantity = "1Gi") -> PersistentVolumeClaimSpec {
        PersistentVolumeClaimSpec(accessModes: ["ReadWriteOnce"],
                                  resources: VolumeResourceRequirements(requests: ["storage": storage]),
                                  storageClassName: "standard", volumeMode: "Filesystem")
    }

    static var node: Node {
        Node(metadata: meta("node-1", namespace: nil),
             spec: NodeSpec(podCIDR: "10.244.1.0/24", podCIDRs: ["10.244.1.0/24"],
                            taints: [Taint(key: "dedicated", value: "gpu", effect: "NoSchedule")]),
             status: NodeStatus(capacity: ["cpu": "4", "memory": "8Gi"], allocatable: ["cpu": "4", "memory": "8Gi"]))
    }

    static var namespace: Namespace {
        Namespace(metadata: meta("team-a", namespace: nil, labels: ["kubernetes.io/metadata.name": "team-a"]),
                  spec: NamespaceSpec(finalizers: ["kubernetes"]))
    }

    static var persistentVolume: PersistentVolume {
        PersistentVolume(metadata: meta("pv-data", namespace: nil), spec: with(PersistentVolumeSpec()) {
            $0.capacity = ["storage": "10Gi"]
            $0.hostPath = HostPathVolumeSource(path: "/data", type: "")
            $0.accessModes = ["ReadWriteOnce"]
            $0.persistentVolumeReclaimPolicy = "Retain"
            $0.storageClassName = "standard"
            $0.volumeMode = "Filesystem"
        })
    }

    static var replicaSet: ReplicaSet {
        ReplicaSet(metadata: meta("web-5d8f", labels: labels),
                   spec: ReplicaSetSpec(replicas: 2, selector: selector, template: template()))
    }

    static var daemonSet: DaemonSet {
        DaemonSet(metadata: meta("log-agent"), spec: DaemonSetSpec(
            selector: selector, template: template(),
            updateStrategy: DaemonSetUpdateStrategy(type: "RollingUpdate",
                                                    rollingUpdate: RollingUpdateDaemonSet(maxUnavailable: 1, maxSurge: 0)),
            revisionHistoryLimit: 10))
    }

    static var statefulSet: StatefulSet {
        var template = template(labels: ["app": "db"])
        template.spec?.containers[0].volumeMounts.append(VolumeMount(name: "data", mountPath: "/var/lib/data"))
        return StatefulSet(metadata: meta("db"), spec: with(StatefulSetSpec()) {
            $0.replicas = 3
            $0.selector = SkiffWire.LabelSelector(matchLabels: ["app": "db"])
            $0.template = template
            $0.volumeClaimTemplates = [PersistentVolumeClaim(metadata: ObjectMeta(name: "data"), spec: claimSpec())]
            $0.serviceName = "db"
            $0.podManagementPolicy = "OrderedReady"
            $0.updateStrategy = StatefulSetUpdateStrategy(type: "RollingUpdate",
                                                          rollingUpdate: RollingUpdateStatefulSetStrategy(partition: 0))
            $0.revisionHistoryLimit = 10
            $0.persistentVolumeClaimRetentionPolicy = StatefulSetPersistentVolumeClaimRetentionPolicy(
                whenDeleted: "Retain", whenScaled: "Retain")
        })
    }

    static var controllerRevision: ControllerRevision {
        ControllerRevision(metadata: meta("db-7c9d"), data: Array("{}".utf8), revision: 1)
    }

    static var job: Job {
        Job(metadata: meta("pi"), spec: with(JobSpec()) {
            $0.parallelism = 1
            $0.completions = 1
            $0.backoffLimit = 6
            $0.template = template(labels: ["job-name": "pi"], restartPolicy: "Never")
            $0.completionMode = "NonIndexed"
            $0.suspend = false
            $0.podReplacementPolicy = "TerminatingOrFailed"
        })
    }

    static var cronJob: CronJob {
        CronJob(metadata: meta("hello"), spec: with(CronJobSpec()) {
            $0.schedule = "*/5 * * * *"
            $0.concurrencyPolicy = "Allow"
            $0.suspend = false
            $0.jobTemplate = JobTemplateSpec(spec: JobSpec(template: template(labels: [:], restartPolicy: "OnFailure")))
            $0.successfulJobsHistoryLimit = 3
            $0.failedJobsHistoryLimit = 1
        })
    }

    static var horizontalPodAutoscaler: HorizontalPodAutoscaler {
        HorizontalPodAutoscaler(metadata: meta("web"), spec: HorizontalPodAutoscalerSpec(
            scaleTargetRef: CrossVersionObjectReference(kind: "Deployment", name: "web", apiVersion: "apps/v1"),
            minReplicas: 1, maxReplicas: 5,
            metrics: [MetricSpec(type: "Resource", resource: ResourceMetricSource(
                name: "cpu", target: MetricTarget(type: "Utilization", averageUtilization: 80)))]))
    }

    static var lease: Lease {
        Lease(metadata: meta("node-1", namespace: "kube-node-lease"),
              spec: LeaseSpec(holderIdentity: "node-1", leaseDurationSeconds: 40))
    }

    static let rbacGroup = "rbac.authorization.k8s.io"

    static var role: Role {
        Role(metadata: meta("pod-reader"), rules: [PolicyRule(verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["pods"])])
    }

    static var clusterRole: ClusterRole {
        ClusterRole(metadata: meta("system:health-reader", namespace: nil), rules: [
            PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["nodes"]),
            PolicyRule(verbs: ["get"], nonResourceURLs: ["/healthz"]),
        ])
    }

    static var roleBinding: RoleBinding {
        RoleBinding(metadata: meta("read-pods"),
                    subjects: [Subject(kind: "User", apiGroup: rbacGroup, name: "jane")],
                    roleRef: RoleRef(apiGroup: rbacGroup, kind: "Role", name: "pod-reader"))
    }

    static var clusterRoleBinding: ClusterRoleBinding {
        ClusterRoleBinding(metadata: meta("builders-read-health", namespace: nil),
                           subjects: [Subject(kind: "ServiceAccount", apiGroup: "", name: "builder", namespace: "default")],
                           roleRef: RoleRef(apiGroup: rbacGroup, kind: "ClusterRole", name: "system:health-reader"))
    }

    static var storageClass: StorageClass {
        StorageClass(metadata: meta("standard", namespace: nil), provisioner: "example.com/hostpath",
                     parameters: ["type": "ssd"], reclaimPolicy: "Delete", volumeBindingMode: "WaitForFirstConsumer")
    }

    /// One valid object per kind the apiserver serves, by kind.
    static var byKind: [String: any APIObject] {
        let all: [any APIObject] = [
            pod, podTemplate, replicationController, service, endpoints, configMap, secret, serviceAccount, event,
            persistentVolumeClaim, node, namespace, persistentVolume, deployment, replicaSet,
            daemonSet, statefulSet, controllerRevision, job, cronJob, horizontalPodAutoscaler, lease, role,
            clusterRole, roleBinding, clusterRoleBinding, storageClass,
        ]
        return Dictionary(uniqueKeysWithValues: all.map { (type(of: $0).kind, $0) })
    }
}

func with<Value>(_ value: Value, _ change: (inout Value) -> Void) -> Value {
    var copy = value
    change(&copy)
    return copy
}

/// One expected error: its type and its field path.
struct Problem: Hashable, Sendable, Comparable, CustomStringConvertible {
    let kind: FieldError.Kind
    let field: String

    static func required(_ field: String) -> Problem { Problem(kind: .required, field: field) }
    static func invalid(_ field: String) -> Problem { Problem(kind: .invalid, field: field) }
    static func notSupported(_ field: String) -> Problem { Problem(kind: .notSupported, field: field) }
    static func duplicate(_ field: String) -> Problem { Problem(kind: .duplicate, field: field) }
    static func forbidden(_ field: String) -> Problem { Problem(kind: .forbidden, field: field) }
    static func notFound(_ field: String) -> Problem { Problem(kind: .notFound, field: field) }
    static func tooLong(_ field: String) -> Problem { Problem(kind: .tooLong, field: field) }

    var description: String { "\(field): \(kind.rawValue)" }
    static func < (lhs: Problem, rhs: Problem) -> Bool { lhs.description < rhs.description }
}

func problems(_ errors: [FieldError]) -> [Problem] {
    errors.map { Problem(kind: $0.kind, field: $0.field) }.sorted()
}

/// A named change to a valid object and the errors it must cause, for table tests.
struct Change<Object: Sendable>: Sendable, CustomTestStringConvertible {
    let name: String
    let expected: [Problem]
    let apply: @Sendable (inout Object) -> Void

    init(_ name: String, _ expected: [Problem], _ apply: @escaping @Sendable (inout Object) -> Void) {
        self.name = name
        self.expected = expected.sorted()
        self.apply = apply
    }

    var testDescription: String { name }

    func applied(to object: Object) -> Object { with(object, apply) }
}

/// Expects creating `object` to fail with exactly `expected`, and shows every error otherwise.
func expectCreate(_ object: any APIObject, _ expected: [Problem], sourceLocation: SourceLocation = #_sourceLocation) {
    let errors = Validation.validateCreate(object)
    #expect(problems(errors) == expected.sorted(), "\(errors.map(\.description))", sourceLocation: sourceLocation)
}

func expectUpdate(_ object: any APIObject, from old: any APIObject, _ expected: [Problem],
                  sourceLocation: SourceLocation = #_sourceLocation) {
    let errors = Validation.validateUpdate(object, old: old)
    #expect(problems(errors) == expected.sorted(), "\(errors.map(\.description))", sourceLocation: sourceLocation)
}
