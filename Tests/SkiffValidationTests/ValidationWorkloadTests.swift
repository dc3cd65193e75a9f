import SkiffAPI
import SkiffValidation
import SkiffWire
import Testing

/// Controllers of pods: their selector must select their template, their template must
/// restart forever, and apps/v1 selectors never change.
@Suite struct ValidationWorkloadTests {
    static let deployments: [Change<Deployment>] = [
        Change("negative replicas", [.invalid("spec.replicas")]) { $0.spec?.replicas = -1 },
        Change("no selector", [.required("spec.selector")]) { $0.spec?.selector = nil },
        Change("empty selector", [.invalid("spec.selector")]) { $0.spec?.selector = SkiffWire.LabelSelector() },
        Change("selector missing the template", [.invalid("spec.template.metadata.labels")]) {
            $0.spec?.selector?.matchLabels = ["app": "apache"]
        },
        Change("selector with an unknown operator",
               [.invalid("spec.selector.matchExpressions[0].operator"), .invalid("spec.selector")]) {
            $0.spec?.selector?.matchExpressions[0].operator = "Within"
        },
        Change("selector key not qualified", [.invalid("spec.selector.matchLabels"), .invalid("spec.selector")]) {
            $0.spec?.selector?.matchLabels["bad key"] = "x"
        },
        Change("pods that do not restart", [.notSupported("spec.template.spec.restartPolicy")]) {
            $0.spec?.template?.spec?.restartPolicy = "Never"
        },
        Change("pods with a deadline", [.forbidden("spec.template.spec.activeDeadlineSeconds")]) {
            $0.spec?.template?.spec?.activeDeadlineSeconds = 60
        },
        Change("template container without an image", [.required("spec.template.spec.containers[0].image")]) {
            $0.spec?.template?.spec?.containers[0].image = nil
        },
        Change("template label value invalid", [.invalid("spec.template.metadata.labels")]) {
            $0.spec?.template?.metadata?.labels["team"] = "-payments"
        },
        Change("strategy unknown", [.notSupported("spec.strategy")]) { $0.spec?.strategy?.type = "BlueGreen" },
        Change("Recreate with rolling parameters", [.forbidden("spec.strategy.rollingUpdate")]) { $0.spec?.strategy?.type = "Recreate" },
        Change("Recreate alone", []) {
            $0.spec?.strategy = DeploymentStrategy(type: "Recreate")
        },
        Change("neither surge nor unavailability", [.invalid("spec.strategy.rollingUpdate.maxUnavailable")]) {
            $0.spec?.strategy?.rollingUpdate = RollingUpdateDeployment(maxUnavailable: 0, maxSurge: "0%")
        },
        Change("more than all unavailable", [.invalid("spec.strategy.rollingUpdate.maxUnavailable")]) {
            $0.spec?.strategy?.rollingUpdate?.maxUnavailable = "150%"
        },
        Change("surge above 100% is allowed", []) { $0.spec?.strategy?.rollingUpdate?.maxSurge = "200%" },
        Change("surge not a percentage", [.invalid("spec.strategy.rollingUpdate.maxSurge")]) {
            $0.spec?.strategy?.rollingUpdate?.maxSurge = "lots"
        },
        Change("negative surge", [.invalid("spec.strategy.rollingUpdate.maxSurge")]) { $0.spec?.strategy?.rollingUpdate?.maxSurge = -1 },
        Change("negative history", [.invalid("spec.revisionHistoryLimit")]) { $0.spec?.revisionHistoryLimit = -1 },
        Change("progress deadline within minReadySeconds", [.invalid("spec.progressDeadlineSeconds")]) {
            $0.spec?.minReadySeconds = 10
            $0.spec?.progressDeadlineSeconds = 10
        },
    ]

    @Test(arguments: deployments)
    func creatingDeployments(_ change: Change<Deployment>) {
        expectCreate(change.applied(to: Fixtures.deployment), change.expected)
    }

    static let deploymentUpdates: [Change<Deployment>] = [
        Change("scaled", []) { $0.spec?.replicas = 10 },
        Change("new image", []) { $0.spec?.template?.spec?.containers[0].image = "nginx:1.16.1" },
        Change("selector narrowed", [.invalid("spec.selector")]) { $0.spec?.selector?.matchLabels["tier"] = "frontend" },
        Change("template broken on the way", [.required("spec.template.spec.containers")]) {
            $0.spec?.template?.spec?.containers = []
        },
    ]

    @Test(arguments: deploymentUpdates)
    func updatingDeployments(_ change: Change<Deployment>) {
        let old = Fixtures.deployment
        expectUpdate(change.applied(to: old), from: old, change.expected)
    }

    static let replicaSets: [Change<ReplicaSet>] = [
        Change("no selector", [.required("spec.selector")]) { $0.spec?.selector = nil },
        Change("selector missing the template", [.invalid("spec.template.metadata.labels")]) {
            $0.spec?.template?.metadata?.labels = ["app": "db"]
        },
        Change("negative minReadySeconds", [.invalid("spec.minReadySeconds")]) { $0.spec?.minReadySeconds = -5 },
        Change("no template", [.required("spec.template")]) { $0.spec?.template = nil },
    ]

    @Test(arguments: replicaSets)
    func creatingReplicaSets(_ change: Change<ReplicaSet>) {
        expectCreate(change.applied(to: Fixtures.replicaSet), change.expected)
    }

    @Test func aReplicaSetSelectorIsFixed() {
        let old = Fixtures.replicaSet
        let new = with(old) {
            $0.spec?.selector = SkiffWire.LabelSelector(matchLabels: ["app": "web", "v": "2"])
            $0.spec?.template?.metadata?.labels["v"] = "2"
        }
        expectUpdate(new, from: old, [.invalid("spec.selector")])
    }

    static let replicationControllers: [Change<ReplicationController>] = [
        Change("no selector", [.required("spec.selector")]) { $0.spec?.selector = [:] },
        Change("selector missing the template", [.invalid("spec.template.metadata.labels")]) { $0.spec?.selector = ["app": "db"] },
        Change("pods restarting on failure only", [.notSupported("spec.template.spec.restartPolicy")]) {
            $0.spec?.template?.spec?.restartPolicy = "OnFailure"
        },
        Change("pods with a deadline", [.forbidden("spec.template.spec.activeDeadlineSeconds")]) {
            $0.spec?.template?.spec?.activeDeadlineSeconds = 30
        },
    ]

    @Test(arguments: replicationControllers)
    func creatingReplicationControllers(_ change: Change<ReplicationController>) {
        expectCreate(change.applied(to: Fixtures.replicationController), change.expected)
    }

    @Test func aReplicationControllerMayChangeItsSelector() {
        let old = Fixtures.replicationController
        let new = with(old) {
            $0.spec?.selector = ["app": "web", "v": "2"]
            $0.spec?.template?.metadata?.labels["v"] = "2"
        }
        expectUpdate(new, from: old, [])
    }

    static let daemonSets: [Change<DaemonSet>] = [
        Change("selector missing the template", [.invalid("spec.template.metadata.labels")]) {
            $0.spec?.selector = SkiffWire.LabelSelector(matchLabels: ["name": "agent"])
        },
        Change("strategy unknown", [.notSupported("spec.updateStrategy")]) { $0.spec?.updateStrategy?.type = "Never" },
        Change("OnDelete", []) { $0.spec?.updateStrategy = DaemonSetUpdateStrategy(type: "OnDelete") },
        Change("neither surge nor unavailability", [.required("spec.updateStrategy.rollingUpdate.maxUnavailable")]) {
            $0.spec?.updateStrategy?.rollingUpdate = RollingUpdateDaemonSet(maxUnavailable: 0, maxSurge: 0)
        },
        Change("both surge and unavailability", [.invalid("spec.updateStrategy.rollingUpdate.maxSurge")]) {
            $0.spec?.updateStrategy?.rollingUpdate = RollingUpdateDaemonSet(maxUnavailable: 1, maxSurge: 1)
        },
        Change("surge only", []) { $0.spec?.updateStrategy?.rollingUpdate = RollingUpdateDaemonSet(maxUnavailable: 0, maxSurge: "10%") },
        Change("pods that do not restart", [.notSupported("spec.template.spec.restartPolicy")]) {
            $0.spec?.template?.spec?.restartPolicy = "Never"
        },
    ]

    @Test(arguments: daemonSets)
    func creatingDaemonSets(_ change: Change<DaemonSet>) {
        expectCreate(change.applied(to: Fixtures.daemonSet), change.expected)
    }

    static let statefulSets: [Change<StatefulSet>] = [
        Change("name with a dot", [.invalid("metadata.name")]) { $0.metadata?.name = "db.v1" },
        Change("pod management unknown", [.invalid("spec.podManagementPolicy")]) { $0.spec?.podManagementPolicy = "Random" },
        Change("pod management not defaulted", [.required("spec.podManagementPolicy")]) { $0.spec?.podManagementPolicy = nil },
        Change("OnDelete with rolling parameters", [.invalid("spec.updateStrategy.rollingUpdate")]) {
            $0.spec?.updateStrategy?.type = "OnDelete"
        },
        Change("strategy unknown", [.invalid("spec.updateStrategy")]) { $0.spec?.updateStrategy?.type = "Canary" },
        Change("negative partition", [.invalid("spec.updateStrategy.rollingUpdate.partition")]) {
            $0.spec?.updateStrategy?.rollingUpdate?.partition = -1
        },
        Change("no pod unavailable at a time", [.invalid("spec.updateStrategy.rollingUpdate.maxUnavailable")]) {
            $0.spec?.updateStrategy?.rollingUpdate?.maxUnavailable = 0
        },
        Change("mount of a volume that is neither declared nor claimed",
               [.notFound("spec.template.spec.containers[0].volumeMounts[2].name")]) {
            $0.spec?.template?.spec?.containers[0].volumeMounts.append(VolumeMount(name: "logs", mountPath: "/logs"))
        },
        Change("claim template without storage", [.required("spec.volumeClaimTemplates[0].spec.resources[storage]")]) {
            $0.spec?.volumeClaimTemplates[0].spec?.resources = nil
        },
        Change("retention policy unknown", [.notSupported("spec.persistentVolumeClaimRetentionPolicy.whenDeleted")]) {
            $0.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted = "Archive"
        },
        Change("empty selector", [.invalid("spec.selector")]) { $0.spec?.selector = SkiffWire.LabelSelector() },
        Change("no service name (allowed now)", []) { $0.spec?.serviceName = nil },
    ]

    @Test(arguments: statefulSets)
    func creatingStatefulSets(_ change: Change<StatefulSet>) {
        expectCreate(change.applied(to: Fixtures.statefulSet), change.expected)
    }

    static let statefulSetUpdates: [Change<StatefulSet>] = [
        Change("scaled", []) { $0.spec?.replicas = 5 },
        Change("new image", []) { $0.spec?.template?.spec?.containers[0].image = "nginx:1.26" },
        Change("partitioned", []) { $0.spec?.updateStrategy?.rollingUpdate?.partition = 2 },
        Change("another service", [.forbidden("spec")]) { $0.spec?.serviceName = "db-headless" },
        Change("bigger claims", [.forbidden("spec")]) {
            $0.spec?.volumeClaimTemplates[0].spec = Fixtures.claimSpec(storage: "2Gi")
        },
        Change("another selector", [.invalid("spec.selector")]) {
            $0.spec?.selector?.matchLabels["v"] = "2"
            $0.spec?.template?.metadata?.labels["v"] = "2"
        },
    ]

    @Test(arguments: statefulSetUpdates)
    func updatingStatefulSets(_ change: Change<StatefulSet>) {
        let old = Fixtures.statefulSet
        expectUpdate(change.applied(to: old), from: old, change.expected)
    }

    @Test func aControllerRevisionKeepsItsData() {
        let old = Fixtures.controllerRevision
        expectCreate(with(old) { $0.data = nil }, [.required("data")])
        expectCreate(with(old) { $0.revision = -1 }, [.invalid("revision")])
        expectUpdate(with(old) { $0.data = Array("{\"spec\":{}}".utf8) }, from: old, [.invalid("data")])
        expectUpdate(with(old) { $0.metadata?.labels["pruned"] = "no" }, from: old, [])
    }
}
