import SkiffAPI
import SkiffValidation
import SkiffWire
import Testing

/// Pods and pod templates: one change to a valid pod, exactly its errors.
@Suite struct ValidationPodTests {
    static let c0 = "spec.containers[0]"

    static let creates: [Change<Pod>] = [
        Change("no containers", [.required("spec.containers")]) { $0.spec?.containers = [] },
        Change("container name not a DNS label", [.invalid("\(c0).name")]) { $0.spec?.containers[0].name = "Web_1" },
        Change("container without a name", [.required("\(c0).name")]) { $0.spec?.containers[0].name = nil },
        Change("two containers with one name", [.duplicate("spec.containers[1].name")]) {
            $0.spec?.containers.append(Fixtures.container())
        },
        Change("init container named like a container", [.duplicate("spec.initContainers[0].name")]) {
            $0.spec?.initContainers = [with(Fixtures.container()) { $0.livenessProbe = nil }]
        },
        Change("init container with a probe", [.forbidden("spec.initContainers[0].livenessProbe")]) {
            $0.spec?.initContainers = [Fixtures.container("init")]
        },
        Change("sidecar init container with a probe", []) {
            $0.spec?.initContainers = [with(Fixtures.container("proxy")) { $0.restartPolicy = "Always" }]
        },
        Change("init container restart policy other than Always", [.notSupported("spec.initContainers[0].restartPolicy")]) {
            $0.spec?.initContainers = [with(Fixtures.container("init")) { $0.livenessProbe = nil; $0.restartPolicy = "OnFailure" }]
        },
        Change("regular container with a restart policy", [.forbidden("\(c0).restartPolicy")]) {
            $0.spec?.containers[0].restartPolicy = "Always"
        },
        Change("no image", [.required("\(c0).image")]) { $0.spec?.containers[0].image = "" },
        Change("image with surrounding spaces", [.invalid("\(c0).image")]) { $0.spec?.containers[0].image = " nginx " },
        Change("pull policy unknown", [.notSupported("\(c0).imagePullPolicy")]) { $0.spec?.containers[0].imagePullPolicy = "Sometimes" },
        Change("pull policy not defaulted", [.required("\(c0).imagePullPolicy")]) { $0.spec?.containers[0].imagePullPolicy = nil },
        Change("termination message policy unknown", [.notSupported("\(c0).terminationMessagePolicy")]) {
            $0.spec?.containers[0].terminationMessagePolicy = "Stdout"
        },
        // Ports
        Change("container port missing", [.required("\(c0).ports[0].containerPort")]) { $0.spec?.containers[0].ports[0].containerPort = nil },
        Change("container port out of range", [.invalid("\(c0).ports[0].containerPort")]) {
            $0.spec?.containers[0].ports[0].containerPort = 70000
        },
        Change("host port out of range", [.invalid("\(c0).ports[0].hostPort")]) { $0.spec?.containers[0].ports[0].hostPort = -1 },
        Change("protocol unknown", [.notSupported("\(c0).ports[0].protocol")]) { $0.spec?.containers[0].ports[0].protocol = "HTTP" },
        Change("protocol not defaulted", [.required("\(c0).ports[0].protocol")]) { $0.spec?.containers[0].ports[0].protocol = nil },
        Change("port name with an underscore", [.invalid("\(c0).ports[0].name")]) { $0.spec?.containers[0].ports[0].name = "http_web" },
        Change("port name without a letter", [.invalid("\(c0).ports[0].name")]) { $0.spec?.containers[0].ports[0].name = "8080" },
        Change("two ports with one name", [.duplicate("\(c0).ports[1].name")]) {
            $0.spec?.containers[0].ports.append(ContainerPort(name: "http", containerPort: 8080, protocol: "TCP"))
        },
        Change("two containers on one host port", [.duplicate("spec.containers[1].ports[0].hostPort")]) {
            $0.spec?.containers[0].ports[0].hostPort = 8080
            $0.spec?.containers.append(with(Fixtures.container("sidecar")) { $0.ports[0].hostPort = 8080 })
        },
        Change("host network with a host port unlike the container port", [.invalid("\(c0).ports[0].hostPort")]) {
            $0.spec?.hostNetwork = true
            $0.spec?.containers[0].ports[0].hostPort = 8080
        },
        // Environment
        Change("env name with '='", [.invalid("\(c0).env[0].name")]) { $0.spec?.containers[0].env[0].name = "A=B" },
        Change("env name with a dot and dash is fine now", []) { $0.spec?.containers[0].env[0].name = "my.env-name" },
        Change("env without a name", [.required("\(c0).env[0].name")]) { $0.spec?.containers[0].env[0].name = nil },
        Change("env source with two references", [.invalid("\(c0).env[1].valueFrom")]) {
            $0.spec?.containers[0].env[1].valueFrom?.secretKeyRef = SecretKeySelector(name: "web", key: "token")
        },
        Change("env source with no reference", [.invalid("\(c0).env[1].valueFrom")]) {
            $0.spec?.containers[0].env[1].valueFrom = EnvVarSource()
        },
        Change("env with both a value and a source", [.invalid("\(c0).env[1].valueFrom")]) {
            $0.spec?.containers[0].env[1].value = "web"
        },
        Change("env field path not offered", [.notSupported("\(c0).env[1].valueFrom.fieldRef.fieldPath")]) {
            $0.spec?.containers[0].env[1].valueFrom?.fieldRef?.fieldPath = "spec.hostname"
        },
        Change("env from a label by key", []) {
            $0.spec?.containers[0].env[1].valueFrom?.fieldRef?.fieldPath = "metadata.labels['app']"
        },
        Change("env secret key that is no config key", [.invalid("\(c0).env[1].valueFrom.secretKeyRef.key")]) {
            $0.spec?.containers[0].env[1].valueFrom = EnvVarSource(secretKeyRef: SecretKeySelector(name: "web", key: "a/b"))
        },
        Change("envFrom with no source", [.invalid("\(c0).envFrom[0]")]) { $0.spec?.containers[0].envFrom = [EnvFromSource()] },
        // Resources
        Change("request above its limit", [.invalid("\(c0).resources.requests")]) {
            $0.spec?.containers[0].resources?.requests["cpu"] = "1"
        },
        Change("negative memory", [.invalid("\(c0).resources.limits[memory]")]) {
            $0.spec?.containers[0].resources?.limits["memory"] = "-1Mi"
            $0.spec?.containers[0].resources?.requests["memory"] = nil
        },
        Change("unknown resource without a domain",
               [.invalid("\(c0).resources.limits[gpu]"), .invalid("\(c0).resources.limits[gpu]")]) {
            $0.spec?.containers[0].resources?.limits["gpu"] = "1"
        },
        Change("extended resource requested without a limit", [.required("\(c0).resources.limits")]) {
            $0.spec?.containers[0].resources?.requests["example.com/gpu"] = "1"
        },
        Change("extended resource as a whole number in both", []) {
            $0.spec?.containers[0].resources?.requests["example.com/gpu"] = "2"
            $0.spec?.containers[0].resources?.limits["example.com/gpu"] = "2"
        },
        Change("extended resource in fractions", [.invalid("\(c0).resources.limits[example.com/gpu]"),
                                                   .invalid("\(c0).resources.requests[example.com/gpu]")]) {
            $0.spec?.containers[0].resources?.requests["example.com/gpu"] = "500m"
            $0.spec?.containers[0].resources?.limits["example.com/gpu"] = "500m"
        },
        Change("hugepages alone", [.forbidden("\(c0).resources")]) {
            $0.spec?.containers[0].resources = ResourceRequirements(limits: ["hugepages-2Mi": "4Mi"], requests: ["hugepages-2Mi": "4Mi"])
        },
        // Pod-level fields
        Change("restart policy unknown", [.notSupported("spec.restartPolicy")]) { $0.spec?.restartPolicy = "Sometimes" },
        Change("restart policy not defaulted", [.required("spec.restartPolicy")]) { $0.spec?.restartPolicy = nil },
        Change("DNS policy unknown", [.notSupported("spec.dnsPolicy")]) { $0.spec?.dnsPolicy = "Google" },
        Change("DNS policy None without a config", [.required("spec.dnsConfig")]) { $0.spec?.dnsPolicy = "None" },
        Change("DNS policy None with a nameserver", []) {
            $0.spec?.dnsPolicy = "None"
            $0.spec?.dnsConfig = PodDNSConfig(nameservers: ["1.1.1.1"])
        },
        Change("negative grace period", [.invalid("spec.terminationGracePeriodSeconds")]) { $0.spec?.terminationGracePeriodSeconds = -1 },
        Change("grace period not defaulted", [.required("spec.terminationGracePeriodSeconds")]) {
            $0.spec?.terminationGracePeriodSeconds = nil
        },
        Change("zero deadline", [.invalid("spec.activeDeadlineSeconds")]) { $0.spec?.activeDeadlineSeconds = 0 },
        Change("node selector key with a space", [.invalid("spec.nodeSelector")]) { $0.spec?.nodeSelector = ["disk type": "ssd"] },
        Change("node name not a subdomain", [.invalid("spec.nodeName")]) { $0.spec?.nodeName = "Node_1" },
        Change("service account name not a subdomain", [.invalid("spec.serviceAccountName")]) { $0.spec?.serviceAccountName = "Builder!" },
        Change("hostname not a label", [.invalid("spec.hostname")]) { $0.spec?.hostname = "web.example" },
        // Volumes and mounts
        Change("two volumes with one name", [.duplicate("spec.volumes[1].name")]) {
            $0.spec?.volumes.append(Volume(name: "cache", emptyDir: EmptyDirVolumeSource()))
        },
        Change("volume name not a label", [.invalid("spec.volumes[0].name"), .notFound("\(c0).volumeMounts[0].name")]) {
            $0.spec?.volumes[0].name = "Cache"
        },
        Change("volume without a source", [.required("spec.volumes[0]"), .notFound("\(c0).volumeMounts[0].name")]) {
            $0.spec?.volumes[0].emptyDir = nil
        },
        Change("volume with two sources", [.forbidden("spec.volumes[0].hostPath"), .notFound("\(c0).volumeMounts[0].name")]) {
            $0.spec?.volumes[0].hostPath = HostPathVolumeSource(path: "/tmp")
        },
        Change("config map volume without a name", [.required("spec.volumes[1].configMap.name")]) {
            $0.spec?.volumes.append(Volume(name: "config", configMap: ConfigMapVolumeSource()))
        },
        Change("secret volume with a mode above 0777", [.invalid("spec.volumes[1].secret.defaultMode")]) {
            $0.spec?.volumes.append(Volume(name: "certs", secret: SecretVolumeSource(secretName: "web-tls", defaultMode: 0o1777)))
        },
        Change("config map item escaping the volume", [.invalid("spec.volumes[1].configMap.items[0].path")]) {
            $0.spec?.volumes.append(Volume(name: "config", configMap: ConfigMapVolumeSource(
                name: "web", items: [KeyToPath(key: "a", path: "../etc/passwd")])))
        },
        Change("host path with a backstep", [.invalid("spec.volumes[1].hostPath.path")]) {
            $0.spec?.volumes.append(Volume(name: "logs", hostPath: HostPathVolumeSource(path: "/var/log/../../etc")))
        },
        Change("mount of an unknown volume", [.notFound("\(c0).volumeMounts[0].name")]) {
            $0.spec?.containers[0].volumeMounts[0].name = "data"
        },
        Change("mount without a path", [.required("\(c0).volumeMounts[0].mountPath")]) {
            $0.spec?.containers[0].volumeMounts[0].mountPath = nil
        },
        Change("mount at a relative path", [.invalid("\(c0).volumeMounts[0].mountPath")]) {
            $0.spec?.containers[0].volumeMounts[0].mountPath = "cache"
        },
        Change("two mounts at one path", [.invalid("\(c0).volumeMounts[1].mountPath")]) {
            $0.spec?.containers[0].volumeMounts.append(VolumeMount(name: "cache", mountPath: "/cache"))
        },
        Change("mount subPath climbing out", [.invalid("\(c0).volumeMounts[0].subPath")]) {
            $0.spec?.containers[0].volumeMounts[0].subPath = "../secrets"
        },
        // Probes
        Change("probe without a handler", [.required("\(c0).livenessProbe")]) { $0.spec?.containers[0].livenessProbe?.httpGet = nil },
        Change("probe with two handlers", [.forbidden("\(c0).livenessProbe.tcpSocket")]) {
            $0.spec?.containers[0].livenessProbe?.tcpSocket = TCPSocketAction(port: 80)
        },
        Change("probe every 0 seconds", [.invalid("\(c0).livenessProbe.periodSeconds")]) {
            $0.spec?.containers[0].livenessProbe?.periodSeconds = 0
        },
        Change("liveness needing two successes", [.invalid("\(c0).livenessProbe.successThreshold")]) {
            $0.spec?.containers[0].livenessProbe?.successThreshold = 2
        },
        Change("readiness needing two successes", []) {
            let probe = $0.spec?.containers[0].livenessProbe
            $0.spec?.containers[0].readinessProbe = probe.map { with($0) { $0.successThreshold = 2 } }
        },
        Change("probe port by an upper-case name",
               [.invalid("\(c0).livenessProbe.httpGet.port"), .invalid("\(c0).livenessProbe.httpGet.port")]) {
            $0.spec?.containers[0].livenessProbe?.httpGet?.port = .string("HTTP")
        },
        Change("exec probe without a command", [.required("\(c0).livenessProbe.exec.command")]) {
            $0.spec?.containers[0].livenessProbe = Probe(exec: ExecAction(), periodSeconds: 10)
        },
        Change("preStop sleeping past the grace period", [.invalid("\(c0).lifecycle.preStop.sleep")]) {
            $0.spec?.containers[0].lifecycle = Lifecycle(preStop: LifecycleHandler(sleep: SleepAction(seconds: 60)))
        },
        // Scheduling
        Change("toleration operator unknown", [.notSupported("spec.tolerations[0].operator")]) {
            $0.spec?.tolerations = [Toleration(key: "dedicated", operator: "Within", value: "gpu")]
        },
        Change("toleration effect unknown", [.notSupported("spec.tolerations[0].effect")]) {
            $0.spec?.tolerations = [Toleration(key: "dedicated", operator: "Equal", value: "gpu", effect: "Evict")]
        },
        Change("toleration Exists with a value", [.invalid("spec.tolerations[0].operator")]) {
            $0.spec?.tolerations = [Toleration(key: "dedicated", operator: "Exists", value: "gpu")]
        },
        Change("toleration of every key needs Exists", [.invalid("spec.tolerations[0].operator")]) {
            $0.spec?.tolerations = [Toleration(operator: "Equal")]
        },
        Change("toleration seconds without NoExecute", [.invalid("spec.tolerations[0].effect")]) {
            $0.spec?.tolerations = [Toleration(key: "node.kubernetes.io/unreachable", operator: "Exists",
                                               effect: "NoSchedule", tolerationSeconds: 300)]
        },
        Change("node affinity with no terms", [.required("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms")]) {
            $0.spec?.affinity = Affinity(nodeAffinity: NodeAffinity(requiredDuringSchedulingIgnoredDuringExecution: NodeSelector()))
        },
        Change("node affinity operator unknown",
               [.invalid("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator")]) {
            $0.spec?.affinity = Affinity(nodeAffinity: NodeAffinity(requiredDuringSchedulingIgnoredDuringExecution: NodeSelector(
                nodeSelectorTerms: [NodeSelectorTerm(matchExpressions: [NodeSelectorRequirement(key: "zone", operator: "Near", values: ["a"])])])))
        },
        Change("node affinity In without values",
               [.required("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values")]) {
            $0.spec?.affinity = Affinity(nodeAffinity: NodeAffinity(requiredDuringSchedulingIgnoredDuringExecution: NodeSelector(
                nodeSelectorTerms: [NodeSelectorTerm(matchExpressions: [NodeSelectorRequirement(key: "zone", operator: "In")])])))
        },
        Change("preferred term weighing 0", [.invalid("spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight")]) {
            $0.spec?.affinity = Affinity(nodeAffinity: NodeAffinity(preferredDuringSchedulingIgnoredDuringExecution: [
                PreferredSchedulingTerm(weight: 0, preference: NodeSelectorTerm(matchExpressions: [
                    NodeSelectorRequirement(key: "zone", operator: "Exists")]))]))
        },
        Change("pod anti-affinity without a topology key",
               [.required("spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey"),
                .invalid("spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey"),
                .invalid("spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey")]) {
            $0.spec?.affinity = Affinity(podAntiAffinity: PodAntiAffinity(requiredDuringSchedulingIgnoredDuringExecution: [
                PodAffinityTerm(labelSelector: Fixtures.selector)]))
        },
        Change("topology spread with no skew", [.invalid("spec.topologySpreadConstraints[0].maxSkew")]) {
            $0.spec?.topologySpreadConstraints = [TopologySpreadConstraint(maxSkew: 0, topologyKey: "zone",
                                                                           whenUnsatisfiable: "DoNotSchedule")]
        },
        Change("run as a negative user", [.invalid("spec.securityContext.runAsUser")]) { $0.spec?.securityContext?.runAsUser = -1 },
        Change("bound to a node while still gated", [.forbidden("spec.nodeName")]) {
            $0.spec?.nodeName = "node-1"
            $0.spec?.schedulingGates = [PodSchedulingGate(name: "example.com/quota")]
        },
    ]

    @Test(arguments: creates)
    func creating(_ change: Change<Pod>) {
        expectCreate(change.applied(to: Fixtures.pod), change.expected)
    }

    static let updates: [Change<Pod>] = [
        Change("new image", []) { $0.spec?.containers[0].image = "nginx:1.26" },
        Change("new labels", []) { $0.metadata?.labels["tier"] = "frontend" },
        Change("a deadline added", []) { $0.spec?.activeDeadlineSeconds = 600 },
        Change("a toleration added", []) {
            $0.spec?.tolerations.append(Toleration(key: "dedicated", operator: "Exists", effect: "NoSchedule"))
        },
        Change("a node assigned", [.forbidden("spec")]) { $0.spec?.nodeName = "node-2" },
        Change("a container added", [.forbidden("spec.containers")]) { $0.spec?.containers.append(Fixtures.container("sidecar")) },
        Change("resources changed", [.forbidden("spec")]) { $0.spec?.containers[0].resources?.limits["cpu"] = "1" },
        Change("a volume added", [.forbidden("spec")]) { $0.spec?.volumes.append(Volume(name: "tmp", emptyDir: EmptyDirVolumeSource())) },
        Change("an image emptied", [.required("spec.containers[0].image")]) { $0.spec?.containers[0].image = "" },
        Change("namespace changed", [.invalid("metadata.namespace")]) { $0.metadata?.namespace = "other" },
        Change("uid changed", [.invalid("metadata.uid")]) { $0.metadata?.uid = "another" },
    ]

    @Test(arguments: updates)
    func updating(_ change: Change<Pod>) {
        expectUpdate(change.applied(to: Fixtures.pod), from: Fixtures.pod, change.expected)
    }

    @Test func aDeadlineMayOnlyShorten() {
        let old = with(Fixtures.pod) { $0.spec?.activeDeadlineSeconds = 600 }
        expectUpdate(with(old) { $0.spec?.activeDeadlineSeconds = 300 }, from: old, [])
        expectUpdate(with(old) { $0.spec?.activeDeadlineSeconds = 900 }, from: old, [.invalid("spec.activeDeadlineSeconds")])
        expectUpdate(with(old) { $0.spec?.activeDeadlineSeconds = nil }, from: old, [.invalid("spec.activeDeadlineSeconds")])
    }

    @Test func anExistingTolerationMayOnlyChangeItsSeconds() {
        let toleration = Toleration(key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300)
        let old = with(Fixtures.pod) { $0.spec?.tolerations = [toleration] }
        expectUpdate(with(old) { $0.spec?.tolerations[0].tolerationSeconds = 60 }, from: old, [])
        expectUpdate(with(old) { $0.spec?.tolerations = [] }, from: old, [.forbidden("spec.tolerations")])
    }

    @Test func aPodBeingDeletedTakesNoNewFinalizers() {
        let old = with(Fixtures.pod) { $0.metadata?.deletionTimestamp = Time(seconds: 1_700_000_100) }
        expectUpdate(with(old) { $0.metadata?.finalizers = ["example.com/cleanup"] }, from: old, [.forbidden("metadata.finalizers")])
    }

    static let templates: [Change<PodTemplate>] = [
        Change("valid", []) { _ in },
        Change("template without containers", [.required("template.spec.containers")]) { $0.template?.spec?.containers = [] },
        Change("template label value too long", [.invalid("template.metadata.labels")]) {
            $0.template?.metadata?.labels["app"] = String(repeating: "a", count: 64)
        },
        Change("no template", [.required("template")]) { $0.template = nil },
    ]

    @Test(arguments: templates)
    func podTemplates(_ change: Change<PodTemplate>) {
        expectCreate(change.applied(to: Fixtures.podTemplate), change.expected)
    }
}
