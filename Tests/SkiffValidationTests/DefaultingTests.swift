import SkiffAPI
import SkiffValidation
import SkiffWire
import Testing
import Yams

/// Defaulting fills in what Kubernetes' defaulters fill in, keeps what the user set, and gives
/// the same result applied once or twice. Manifests come from the Kubernetes documentation.
@Suite struct DefaultingTests {
    static func defaulted<Object: APIObject>(_ type: Object.Type, _ yaml: String) throws -> Object {
        var object = try YAMLDecoder().decode(Object.self, from: yaml)
        Defaulting.apply(to: &object)
        return object
    }

    // MARK: secrets

    @Test func aSecretsStringDataIsMergedIntoDataAndNotKept() throws {
        let secret = try Self.defaulted(Secret.self, """
            apiVersion: v1
            kind: Secret
            metadata: {name: creds}
            data: {username: YWRtaW4=, password: b2xk}
            stringData: {password: s3cret, token: abc}
            """)
        #expect(secret.type == "Opaque")
        #expect(secret.data == ["username": Array("admin".utf8), "password": Array("s3cret".utf8), "token": Array("abc".utf8)])
        #expect(secret.stringData.isEmpty)
    }

    // MARK: pods

    @Test func aPodGetsThePodDefaults() throws {
        let pod = try Self.defaulted(Pod.self, DocumentationManifests.pod)
        let spec = try #require(pod.spec)
        #expect(spec.restartPolicy == "Always")
        #expect(spec.dnsPolicy == "ClusterFirst")
        #expect(spec.terminationGracePeriodSeconds == 30)
        #expect(spec.schedulerName == "default-scheduler")
        #expect(spec.securityContext == PodSecurityContext())
        #expect(spec.enableServiceLinks == true)
        #expect(spec.hostNetwork == nil)
    }

    @Test func everyContainerGetsTheContainerDefaults() throws {
        let spec = try #require(try Self.defaulted(Pod.self, DocumentationManifests.pod).spec)
        let initContainer = try #require(spec.initContainers.first)
        #expect(initContainer.imagePullPolicy == "Always")   // busybox: no tag means latest
        #expect(initContainer.terminationMessagePath == "/dev/termination-log")
        #expect(initContainer.terminationMessagePolicy == "File")

        let web = spec.containers[0]
        #expect(web.imagePullPolicy == "IfNotPresent")
        #expect(web.terminationMessagePath == "/dev/termination-log")
        #expect(web.terminationMessagePolicy == "File")
        #expect(web.ports.map(\.protocol) == ["TCP", "UDP"])
        #expect(web.env.map { $0.valueFrom?.fieldRef?.apiVersion } == ["v1", "v1"])
        #expect(web.env.map { $0.valueFrom?.fieldRef?.fieldPath } == ["spec.nodeName", "metadata.namespace"])
        // A Pod's requests default to its limits, resource by resource.
        #expect(web.resources?.requests == ["cpu": Quantity("250m"), "memory": Quantity("128Mi")])
        #expect(web.resources?.limits == ["cpu": Quantity("500m"), "memory": Quantity("128Mi")])

        #expect(spec.containers[1].imagePullPolicy == "IfNotPresent")   // pinned by digest
        #expect(spec.containers[1].terminationMessagePolicy == "FallbackToLogsOnError")
        #expect(spec.containers[2].imagePullPolicy == "Never")
    }

    @Test func probesAndHooksGetTheirDefaults() throws {
        let web = try #require(try Self.defaulted(Pod.self, DocumentationManifests.pod).spec?.containers.first)
        let liveness = try #require(web.livenessProbe)
        #expect(liveness.initialDelaySeconds == 3)
        #expect(liveness.timeoutSeconds == 1)
        #expect(liveness.periodSeconds == 3)
        #expect(liveness.successThreshold == 1)
        #expect(liveness.failureThreshold == 3)
        #expect(liveness.httpGet?.scheme == "HTTP")
        #expect(liveness.httpGet?.path == "/healthz")
        #expect(liveness.httpGet?.httpHeaders.count == 1)

        let readiness = try #require(web.readinessProbe)
        #expect([readiness.timeoutSeconds, readiness.periodSeconds, readiness.successThreshold,
                 readiness.failureThreshold] == [1, 10, 1, 3])
        #expect(readiness.initialDelaySeconds == nil)
        #expect(readiness.httpGet == nil)
        #expect(web.startupProbe == nil)

        let preStop = try #require(web.lifecycle?.preStop?.httpGet)
        #expect(preStop.path == "/")
        #expect(preStop.scheme == "HTTP")
        #expect(preStop.port == .string("http"))
    }

    @Test func volumesGetTheirDefaults() throws {
        let volumes = try #require(try Self.defaulted(Pod.self, DocumentationManifests.pod).spec?.volumes)
        #expect(volumes.map(\.name) == ["config", "secret", "host", "podinfo", "all-in-one", "scratch"])
        #expect(volumes[0].configMap?.defaultMode == 0o644)
        #expect(volumes[1].secret?.defaultMode == 256)
        #expect(volumes[2].hostPath?.type == "")
        #expect(volumes[3].downwardAPI?.defaultMode == 0o644)
        #expect(volumes[3].downwardAPI?.items.first?.fieldRef?.apiVersion == "v1")
        let projected = try #require(volumes[4].projected)
        #expect(projected.defaultMode == 0o644)
        #expect(projected.sources[0].serviceAccountToken?.expirationSeconds == 3600)
        #expect(projected.sources[1].downwardAPI?.items.first?.fieldRef?.apiVersion == "v1")
        #expect(volumes[5].ephemeral?.volumeClaimTemplate?.spec?.volumeMode == "Filesystem")
        // A volume without a source stays without one.
        #expect(volumes.allSatisfy { $0.emptyDir == nil })
    }

    @Test(arguments: [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.25", "IfNotPresent"),
        ("localhost:5000/nginx", "Always"),
        ("localhost:5000/team/nginx:1.25", "IfNotPresent"),
        ("nginx@sha256:4b3b3a3b3c3d3e3f4b3b3a3b3c3d3e3f4b3b3a3b3c3d3e3f4b3b3a3b3c3d3e3f", "IfNotPresent"),
        ("nginx:latest@sha256:4b3b3a3b3c3d3e3f4b3b3a3b3c3d3e3f4b3b3a3b3c3d3e3f4b3b3a3b3c3d3e3f", "Always"),
        ("", "IfNotPresent"),
    ])
    func thePullPolicyFollowsTheImageTag(_ image: String, _ policy: String) {
        var pod = Pod(spec: PodSpec(containers: [Container(name: "c", image: image)]))
        Defaulting.apply(to: &pod)
        #expect(pod.spec?.containers.first?.imagePullPolicy == policy)
    }

    @Test func onTheHostNetworkContainerPortsAreHostPorts() {
        var pod = Pod(spec: PodSpec(containers: [Container(name: "c", image: "x:1", ports: [
            ContainerPort(containerPort: 80), ContainerPort(hostPort: 8443, containerPort: 443),
        ])], hostNetwork: true))
        Defaulting.apply(to: &pod)
        #expect(pod.spec?.containers.first?.ports.map(\.hostPort) == [80, 8443])
    }

    @Test func aPodTemplateGetsTheSpecDefaultsButNotThePodOnlyOnes() throws {
        let template = try Self.defaulted(PodTemplate.self, DocumentationManifests.podTemplate)
        let spec = try #require(template.template?.spec)
        #expect(spec.restartPolicy == "Always")
        #expect(spec.dnsPolicy == "ClusterFirst")
        #expect(spec.schedulerName == "default-scheduler")
        #expect(spec.securityContext == PodSecurityContext())
        #expect(spec.terminationGracePeriodSeconds == 30)
        #expect(spec.containers.first?.imagePullPolicy == "IfNotPresent")
        // Kubernetes leaves these to the pods the template stamps out.
        #expect(spec.enableServiceLinks == nil)
        #expect(template.template?.metadata?.labels == ["app": "worker"])
    }

    // MARK: workloads

    @Test func aDeploymentGetsItsDefaults() throws {
        let deployment = try Self.defaulted(Deployment.self, DocumentationManifests.deployment)
        let spec = try #require(deployment.spec)
        #expect(spec.replicas == 3)
        #expect(spec.strategy?.type == "RollingUpdate")
        #expect(spec.strategy?.rollingUpdate?.maxUnavailable == .string("25%"))
        #expect(spec.strategy?.rollingUpdate?.maxSurge == .string("25%"))
        #expect(spec.revisionHistoryLimit == 10)
        #expect(spec.progressDeadlineSeconds == 600)
        #expect(spec.minReadySeconds == nil)
        let pod = try #require(spec.template?.spec)
        #expect(pod.restartPolicy == "Always")
        #expect(pod.containers.first?.imagePullPolicy == "IfNotPresent")
        #expect(pod.containers.first?.ports.first?.protocol == "TCP")
        #expect(pod.enableServiceLinks == nil)
    }

    @Test func aRecreateDeploymentGetsNoRollingUpdate() {
        var deployment = Deployment(spec: DeploymentSpec(strategy: DeploymentStrategy(type: "Recreate")))
        Defaulting.apply(to: &deployment)
        #expect(deployment.spec?.strategy == DeploymentStrategy(type: "Recreate"))
        #expect(deployment.spec?.replicas == 1)
    }

    @Test func aReplicaSetDefaultsToOneReplica() throws {
        let replicaSet = try Self.defaulted(ReplicaSet.self, DocumentationManifests.replicaSet)
        #expect(replicaSet.spec?.replicas == 1)
        #expect(replicaSet.spec?.template?.spec?.containers.first?.imagePullPolicy == "IfNotPresent")
        #expect(replicaSet.metadata?.labels == ["app": "guestbook", "tier": "frontend"])
    }

    @Test func aReplicationControllerTakesItsSelectorAndLabelsFromItsTemplate() throws {
        let controller = try Self.defaulted(ReplicationController.self, DocumentationManifests.replicationController)
        #expect(controller.spec?.replicas == 3)
        #expect(controller.spec?.selector == ["app": "nginx"])
        #expect(controller.metadata?.labels == ["app": "nginx"])
        #expect(controller.spec?.template?.spec?.containers.first?.imagePullPolicy == "Always")
        #expect(controller.spec?.template?.spec?.restartPolicy == "Always")
    }

    @Test func aReplicationControllerKeepsItsOwnSelectorAndLabels() {
        var controller = ReplicationController(
            metadata: ObjectMeta(labels: ["owner": "me"]),
            spec: ReplicationControllerSpec(selector: ["app": "web"],
                                            template: PodTemplateSpec(metadata: ObjectMeta(labels: ["app": "web", "v": "2"]))))
        Defaulting.apply(to: &controller)
        #expect(controller.spec?.selector == ["app": "web"])
        #expect(controller.metadata?.labels == ["owner": "me"])
        #expect(controller.spec?.replicas == 1)
    }

    @Test func aDaemonSetGetsItsDefaults() throws {
        let daemonSet = try Self.defaulted(DaemonSet.self, DocumentationManifests.daemonSet)
        let spec = try #require(daemonSet.spec)
        #expect(spec.updateStrategy?.type == "RollingUpdate")
        #expect(spec.updateStrategy?.rollingUpdate?.maxUnavailable == .int(1))
        #expect(spec.updateStrategy?.rollingUpdate?.maxSurge == .int(0))
        #expect(spec.revisionHistoryLimit == 10)
        #expect(spec.template?.spec?.volumes.first?.hostPath?.type == "")
        #expect(spec.template?.spec?.tolerations.first?.operator == "Exists")
        // Templates do not copy limits into requests.
        #expect(spec.template?.spec?.containers.first?.resources?.requests
                == ["cpu": Quantity("100m"), "memory": Quantity("200Mi")])
    }

    @Test func aStatefulSetGetsItsDefaults() throws {
        let statefulSet = try Self.defaulted(StatefulSet.self, DocumentationManifests.statefulSet)
        let spec = try #require(statefulSet.spec)
        #expect(spec.replicas == 3)
        #expect(spec.podManagementPolicy == "OrderedReady")
        #expect(spec.updateStrategy?.type == "RollingUpdate")
        #expect(spec.updateStrategy?.rollingUpdate?.partition == 0)
        #expect(spec.updateStrategy?.rollingUpdate?.maxUnavailable == nil)
        #expect(spec.persistentVolumeClaimRetentionPolicy?.whenDeleted == "Retain")
        #expect(spec.persistentVolumeClaimRetentionPolicy?.whenScaled == "Retain")
        #expect(spec.revisionHistoryLimit == 10)
        #expect(spec.template?.spec?.terminationGracePeriodSeconds == 10)
        let claim = try #require(spec.volumeClaimTemplates.first)
        #expect(claim.spec?.volumeMode == "Filesystem")
        #expect(claim.spec?.storageClassName == "my-storage-class")
        #expect(claim.status?.phase == "Pending")
    }

    @Test func aJobGetsItsDefaults() throws {
        let job = try Self.defaulted(Job.self, DocumentationManifests.job)
        let spec = try #require(job.spec)
        #expect(spec.completions == 1)
        #expect(spec.parallelism == 1)
        #expect(spec.backoffLimit == 4)
        #expect(spec.completionMode == "NonIndexed")
        #expect(spec.suspend == false)
        #expect(spec.podReplacementPolicy == "TerminatingOrFailed")
        #expect(spec.template?.spec?.restartPolicy == "Never")
        #expect(spec.template?.spec?.dnsPolicy == "ClusterFirst")
        // The job's labels default to its template's.
        #expect(job.metadata?.labels == ["app": "pi"])
    }

    @Test(arguments: [
        (nil, nil, 1, 1),
        (3, nil, 3, nil),
        (nil, 5, 1, 5),
        (2, 4, 2, 4),
    ] as [(Int32?, Int32?, Int32?, Int32?)])
    func completionsDefaultOnlyWhenNeitherIsSet(_ parallelism: Int32?, _ completions: Int32?,
                                                 _ expectedParallelism: Int32?, _ expectedCompletions: Int32?) {
        var job = Job(spec: JobSpec(parallelism: parallelism, completions: completions))
        Defaulting.apply(to: &job)
        #expect(job.spec?.parallelism == expectedParallelism)
        #expect(job.spec?.completions == expectedCompletions)
    }

    @Test func aJobWithPerIndexLimitsOrAFailurePolicyDefaultsDifferently() {
        var job = Job(spec: JobSpec(
            podFailurePolicy: PodFailurePolicy(rules: [PodFailurePolicyRule(
                action: "Ignore", onPodConditions: [PodFailurePolicyOnPodConditionsPattern(type: "DisruptionTarget")])]),
            backoffLimitPerIndex: 1, completionMode: "Indexed"))
        Defaulting.apply(to: &job)
        #expect(job.spec?.backoffLimit == Int32.max)
        #expect(job.spec?.podReplacementPolicy == "Failed")
        #expect(job.spec?.completionMode == "Indexed")
        #expect(job.spec?.podFailurePolicy?.rules.first?.onPodConditions.first?.status == "True")
    }

    @Test func aCronJobGetsItsDefaultsAndItsPodTemplateTheirs() throws {
        let cronJob = try Self.defaulted(CronJob.self, DocumentationManifests.cronJob)
        let spec = try #require(cronJob.spec)
        #expect(spec.concurrencyPolicy == "Allow")
        #expect(spec.suspend == false)
        #expect(spec.successfulJobsHistoryLimit == 3)
        #expect(spec.failedJobsHistoryLimit == 1)
        let jobSpec = try #require(spec.jobTemplate?.spec)
        #expect(jobSpec.template?.spec?.restartPolicy == "OnFailure")
        #expect(jobSpec.template?.spec?.schedulerName == "default-scheduler")
        #expect(jobSpec.template?.spec?.containers.first?.imagePullPolicy == "IfNotPresent")
        // The job's own defaults wait until a Job is made from the template.
        #expect(jobSpec.backoffLimit == nil)
        #expect(jobSpec.completions == nil)
    }

    @Test func aHorizontalPodAutoscalerGetsItsDefaults() throws {
        let autoscaler = try Self.defaulted(HorizontalPodAutoscaler.self, DocumentationManifests.horizontalPodAutoscaler)
        let spec = try #require(autoscaler.spec)
        #expect(spec.minReplicas == 1)
        #expect(spec.maxReplicas == 10)
        #expect(spec.metrics == [MetricSpec(type: "Resource", resource: ResourceMetricSource(
            name: "cpu", target: MetricTarget(type: "Utilization", averageUtilization: 80)))])
        let scaleDown = try #require(spec.behavior?.scaleDown)
        #expect(scaleDown.stabilizationWindowSeconds == 300)
        #expect(scaleDown.selectPolicy == "Max")
        #expect(scaleDown.policies == [HPAScalingPolicy(type: "Pods", value: 4, periodSeconds: 60)])
        let scaleUp = try #require(spec.behavior?.scaleUp)
        #expect(scaleUp.stabilizationWindowSeconds == 0)
        #expect(scaleUp.selectPolicy == "Max")
        #expect(scaleUp.policies == [HPAScalingPolicy(type: "Pods", value: 4, periodSeconds: 15),
                                     HPAScalingPolicy(type: "Percent", value: 100, periodSeconds: 15)])
    }

    @Test func anAutoscalerWithMetricsAndNoBehaviorKeepsThem() {
        let memory = MetricSpec(type: "Resource", resource: ResourceMetricSource(
            name: "memory", target: MetricTarget(type: "AverageValue", averageValue: Quantity("500Mi"))))
        var autoscaler = HorizontalPodAutoscaler(spec: HorizontalPodAutoscalerSpec(minReplicas: 2, metrics: [memory]))
        Defaulting.apply(to: &autoscaler)
        #expect(autoscaler.spec?.metrics == [memory])
        #expect(autoscaler.spec?.minReplicas == 2)
        #expect(autoscaler.spec?.behavior == nil)
    }

    // MARK: the rest of the core kinds

    @Test func aServiceGetsItsDefaults() throws {
        let service = try Self.defaulted(Service.self, DocumentationManifests.service)
        let spec = try #require(service.spec)
        #expect(spec.type == "ClusterIP")
        #expect(spec.sessionAffinity == "None")
        #expect(spec.sessionAffinityConfig == nil)
        #expect(spec.internalTrafficPolicy == "Cluster")
        #expect(spec.externalTrafficPolicy == nil)
        #expect(spec.allocateLoadBalancerNodePorts == nil)
        #expect(spec.ports.map(\.protocol) == ["TCP", "TCP"])
        #expect(spec.ports.map(\.targetPort) == [.int(80), .int(9377)])
        // Addresses are the apiserver's to allocate, not defaults.
        #expect(spec.clusterIP == nil)
        #expect(spec.ipFamilyPolicy == nil)
    }

    @Test func aLoadBalancerGetsTheExternalDefaults() throws {
        let service = try Self.defaulted(Service.self, DocumentationManifests.loadBalancer)
        let spec = try #require(service.spec)
        #expect(spec.type == "LoadBalancer")
        #expect(spec.externalTrafficPolicy == "Cluster")
        #expect(spec.internalTrafficPolicy == "Cluster")
        #expect(spec.allocateLoadBalancerNodePorts == true)
        #expect(spec.sessionAffinityConfig?.clientIP?.timeoutSeconds == 10800)
        #expect(spec.ports.first?.targetPort == .string("http"))
    }

    @Test func anExternalNameServiceHasNoTrafficPolicies() {
        var service = Service(spec: ServiceSpec(type: "ExternalName", externalName: "db.example.com"))
        Defaulting.apply(to: &service)
        #expect(service.spec?.internalTrafficPolicy == nil)
        #expect(service.spec?.externalTrafficPolicy == nil)
        #expect(service.spec?.sessionAffinity == "None")
    }

    @Test func volumesAndClaimsGetTheirDefaults() throws {
        let volume = try Self.defaulted(PersistentVolume.self, DocumentationManifests.persistentVolume)
        #expect(volume.spec?.persistentVolumeReclaimPolicy == "Retain")
        #expect(volume.spec?.volumeMode == "Filesystem")
        #expect(volume.status?.phase == "Pending")
        let claim = try Self.defaulted(PersistentVolumeClaim.self, DocumentationManifests.persistentVolumeClaim)
        #expect(claim.spec?.volumeMode == "Filesystem")
        #expect(claim.spec?.storageClassName == "slow")
        #expect(claim.status?.phase == "Pending")
        let storageClass = try Self.defaulted(StorageClass.self, DocumentationManifests.storageClass)
        #expect(storageClass.reclaimPolicy == "Delete")
        #expect(storageClass.volumeBindingMode == "Immediate")
    }

    @Test func aSecretIsOpaqueByDefault() throws {
        #expect(try Self.defaulted(Secret.self, DocumentationManifests.secret).type == "Opaque")
        var typed = Secret(type: "kubernetes.io/tls")
        Defaulting.apply(to: &typed)
        #expect(typed.type == "kubernetes.io/tls")
    }

    @Test func aNamespaceIsActiveAndLabelledWithItsName() throws {
        let namespace = try Self.defaulted(Namespace.self, DocumentationManifests.namespace)
        #expect(namespace.status?.phase == "Active")
        #expect(namespace.metadata?.labels == ["name": "development", "kubernetes.io/metadata.name": "development"])
    }

    @Test func roleBindingsNameTheirAPIGroups() throws {
        let binding = try Self.defaulted(RoleBinding.self, DocumentationManifests.roleBinding)
        #expect(binding.roleRef?.apiGroup == "rbac.authorization.k8s.io")
        #expect(binding.subjects.map(\.apiGroup) == ["rbac.authorization.k8s.io", ""])
    }

    @Test func endpointPortsAreTCPByDefault() {
        var endpoints = Endpoints(subsets: [EndpointSubset(ports: [EndpointPort(port: 80), EndpointPort(port: 53, protocol: "UDP")])])
        Defaulting.apply(to: &endpoints)
        #expect(endpoints.subsets.first?.ports.map(\.protocol) == ["TCP", "UDP"])
    }

    @Test func aNodeOffersItsCapacityWhenItReportsNoAllocatable() {
        var node = Node(status: NodeStatus(capacity: ["cpu": Quantity("4"), "pods": Quantity("110")]))
        Defaulting.apply(to: &node)
        #expect(node.status?.allocatable == ["cpu": Quantity("4"), "pods": Quantity("110")])
    }

    @Test func kindsWithoutDefaultsAreLeftAlone() {
        var configMap = ConfigMap(metadata: ObjectMeta(name: "c"), data: ["k": "v"])
        Defaulting.apply(to: &configMap)
        #expect(configMap == ConfigMap(metadata: ObjectMeta(name: "c"), data: ["k": "v"]))
        var lease = Lease()
        Defaulting.apply(to: &lease)
        #expect(lease == Lease())
    }

    // MARK: idempotence and respect for the user's values

    static let manifests: [(String, any APIObject.Type)] = [
        (DocumentationManifests.pod, Pod.self), (DocumentationManifests.deployment, Deployment.self),
        (DocumentationManifests.replicaSet, ReplicaSet.self),
        (DocumentationManifests.replicationController, ReplicationController.self),
        (DocumentationManifests.daemonSet, DaemonSet.self), (DocumentationManifests.statefulSet, StatefulSet.self),
        (DocumentationManifests.job, Job.self), (DocumentationManifests.cronJob, CronJob.self),
        (DocumentationManifests.horizontalPodAutoscaler, HorizontalPodAutoscaler.self),
        (DocumentationManifests.service, Service.self), (DocumentationManifests.loadBalancer, Service.self),
        (DocumentationManifests.persistentVolume, PersistentVolume.self),
        (DocumentationManifests.persistentVolumeClaim, PersistentVolumeClaim.self),
        (DocumentationManifests.secret, Secret.self), (DocumentationManifests.namespace, Namespace.self),
        (DocumentationManifests.storageClass, StorageClass.self), (DocumentationManifests.roleBinding, RoleBinding.self),
        (DocumentationManifests.podTemplate, PodTemplate.self),
    ]

    /// Defaults `object` once and twice; returns whether both agree and whether anything changed.
    static func defaultTwice<Object: APIObject>(_ object: Object) -> (idempotent: Bool, changed: Bool) {
        var once = object
        Defaulting.apply(to: &once)
        var twice = once
        Defaulting.apply(to: &twice)
        return (once == twice, once != object)
    }

    @Test func defaultingTwiceIsDefaultingOnce() throws {
        for (yaml, type) in Self.manifests {
            let object = try YAMLDecoder().decode(type, from: yaml)
            let result = Self.defaultTwice(object)
            #expect(result.idempotent, "\(type)")
            #expect(result.changed, "\(type) has defaults to fill in")
        }
    }

    @Test(arguments: ResourceCatalog.all.map(\.kind))
    func anEmptyObjectOfEveryKindDefaultsIdempotently(_ kind: String) throws {
        let info = try #require(ResourceCatalog.all.first { $0.kind == kind })
        #expect(Self.defaultTwice(info.objectType.init()).idempotent)
    }

    @Test func anObjectOfAnyKindCanBeDefaulted() throws {
        let object: any APIObject = try YAMLDecoder().decode(Deployment.self, from: DocumentationManifests.deployment)
        let defaulted = try #require(Defaulting.defaulted(object) as? Deployment)
        #expect(defaulted.spec?.revisionHistoryLimit == 10)
    }

    @Test func valuesTheUserSetAreKept() {
        let pod = PodSpec(
            containers: [Container(
                name: "c", image: "x", ports: [ContainerPort(containerPort: 53, protocol: "SCTP")],
                livenessProbe: Probe(httpGet: HTTPGetAction(path: "/z", scheme: "HTTPS"), timeoutSeconds: 5,
                                     periodSeconds: 7, successThreshold: 1, failureThreshold: 9),
                terminationMessagePath: "/tmp/log", terminationMessagePolicy: "FallbackToLogsOnError",
                imagePullPolicy: "Never")],
            restartPolicy: "OnFailure", terminationGracePeriodSeconds: 0, dnsPolicy: "Default",
            securityContext: PodSecurityContext(runAsUser: 1000), schedulerName: "mine")
        let deployment = Deployment(spec: DeploymentSpec(
            replicas: 0, template: PodTemplateSpec(spec: pod),
            strategy: DeploymentStrategy(type: "RollingUpdate", rollingUpdate: RollingUpdateDeployment(
                maxUnavailable: .int(0), maxSurge: .int(1))),
            revisionHistoryLimit: 0, progressDeadlineSeconds: 60))
        var defaulted = deployment
        Defaulting.apply(to: &defaulted)
        #expect(defaulted == deployment)
    }
}
