import SkiffAPI
import SkiffValidation
import SkiffWire
import Testing

/// Namespaces, Nodes, Events, Leases, RBAC and autoscalers.
@Suite struct ValidationClusterTests {
    @Test func aNamespaceIsADNSLabelWithQualifiedFinalizers() {
        expectCreate(with(Fixtures.namespace) { $0.metadata?.name = "team.a" }, [.invalid("metadata.name")])
        expectCreate(with(Fixtures.namespace) { $0.metadata?.name = String(repeating: "n", count: 64) }, [.invalid("metadata.name")])
        expectCreate(with(Fixtures.namespace) { $0.spec?.finalizers = ["cleanup"] }, [.invalid("spec.finalizers[0]")])
        expectCreate(with(Fixtures.namespace) { $0.spec?.finalizers = ["example.com/cleanup"] }, [])
    }

    static let nodes: [Change<Node>] = [
        Change("taint effect unknown", [.notSupported("spec.taints[0].effect")]) { $0.spec?.taints[0].effect = "Evict" },
        Change("taint without an effect", [.required("spec.taints[0].effect")]) { $0.spec?.taints[0].effect = nil },
        Change("taint without a key", [.invalid("spec.taints[0].key"), .invalid("spec.taints[0].key")]) { $0.spec?.taints[0].key = "" },
        Change("taint value invalid", [.invalid("spec.taints[0].value")]) { $0.spec?.taints[0].value = "gpu only" },
        Change("one taint twice", [.duplicate("spec.taints[1]")]) { $0.spec?.taints.append(Taint(key: "dedicated", value: "x", effect: "NoSchedule")) },
        Change("one key, two effects", []) { $0.spec?.taints.append(Taint(key: "dedicated", value: "gpu", effect: "NoExecute")) },
        Change("pod CIDR with host bits", [.invalid("spec.podCIDR"), .invalid("spec.podCIDRs[0]")]) {
            $0.spec?.podCIDR = "10.244.1.1/24"
            $0.spec?.podCIDRs = ["10.244.1.1/24"]
        },
        Change("pod CIDR without a prefix", [.invalid("spec.podCIDR")]) { $0.spec?.podCIDR = "10.244.1.0" },
        Change("dual-stack pod CIDRs", []) { $0.spec?.podCIDRs = ["10.244.1.0/24", "fd00:10:244:1::/64"] },
        Change("negative capacity", [.invalid("status.capacity.cpu")]) { $0.status?.capacity["cpu"] = "-1" },
        Change("name with an underscore", [.invalid("metadata.name")]) { $0.metadata?.name = "node_1" },
    ]

    @Test(arguments: nodes)
    func creatingNodes(_ change: Change<Node>) {
        expectCreate(change.applied(to: Fixtures.node), change.expected)
    }

    @Test func aNodeKeepsItsPodCIDRButMayBeCordoned() {
        let old = Fixtures.node
        expectUpdate(with(old) { $0.spec?.unschedulable = true }, from: old, [])
        expectUpdate(with(old) { $0.spec?.taints = [] }, from: old, [])
        expectUpdate(with(old) { $0.spec?.podCIDR = "10.244.2.0/24"; $0.spec?.podCIDRs = ["10.244.2.0/24"] }, from: old,
                     [.forbidden("spec.podCIDR"), .forbidden("spec.podCIDRs")])
        let unassigned = with(old) { $0.spec?.podCIDR = nil; $0.spec?.podCIDRs = [] }
        expectUpdate(old, from: unassigned, [])
    }

    static let events: [Change<Event>] = [
        Change("about nothing", [.required("involvedObject")]) { $0.involvedObject = nil },
        Change("about an unnamed object", [.required("involvedObject.name")]) { $0.involvedObject?.name = nil },
        Change("type unknown", [.notSupported("type")]) { $0.type = "Error" },
        Change("about an object elsewhere", [.invalid("involvedObject.namespace")]) { $0.involvedObject?.namespace = "kube-system" },
        Change("about a node, in default", []) { $0.involvedObject = ObjectReference(kind: "Node", name: "node-1") },
        Change("about a node, in a team namespace", [.invalid("involvedObject.namespace")]) {
            $0.involvedObject = ObjectReference(kind: "Node", name: "node-1")
            $0.metadata?.namespace = "team-a"
        },
    ]

    @Test(arguments: events)
    func creatingEvents(_ change: Change<Event>) {
        expectCreate(change.applied(to: Fixtures.event), change.expected)
    }

    @Test func aLeaseHasAPositiveDuration() {
        expectCreate(with(Fixtures.lease) { $0.spec?.leaseDurationSeconds = 0 }, [.invalid("spec.leaseDurationSeconds")])
        expectCreate(with(Fixtures.lease) { $0.spec?.leaseTransitions = -1 }, [.invalid("spec.leaseTransitions")])
        expectCreate(with(Fixtures.lease) { $0.spec?.preferredHolder = "node-2" }, [.forbidden("spec.preferredHolder")])
        expectUpdate(with(Fixtures.lease) { $0.spec?.renewTime = MicroTime(seconds: 1_700_000_010) }, from: Fixtures.lease, [])
    }

    static let roles: [Change<Role>] = [
        Change("rule without verbs", [.required("rules[0].verbs")]) { $0.rules[0].verbs = [] },
        Change("resource rule without groups or resources", [.required("rules[0].apiGroups"), .required("rules[0].resources")]) {
            $0.rules[0].apiGroups = []
            $0.rules[0].resources = []
        },
        Change("namespaced rule on a URL", [.invalid("rules[0].nonResourceURLs"), .invalid("rules[0].nonResourceURLs")]) {
            $0.rules[0].nonResourceURLs = ["/healthz"]
        },
        Change("name with a slash", [.invalid("metadata.name")]) { $0.metadata?.name = "pods/reader" },
        Change("name with a colon", []) { $0.metadata?.name = "system:pod-reader" },
    ]

    @Test(arguments: roles)
    func creatingRoles(_ change: Change<Role>) {
        expectCreate(change.applied(to: Fixtures.role), change.expected)
    }

    @Test func aClusterRoleMayAggregateOnlyBySelector() {
        expectCreate(with(Fixtures.clusterRole) { $0.aggregationRule = AggregationRule() },
                     [.required("aggregationRule.clusterRoleSelectors")])
        expectCreate(with(Fixtures.clusterRole) {
            $0.aggregationRule = AggregationRule(clusterRoleSelectors: [SkiffWire.LabelSelector(matchLabels: ["rbac.example.com/aggregate": "true"])])
        }, [])
    }

    static let bindings: [Change<RoleBinding>] = [
        Change("role reference of another kind", [.notSupported("roleRef.kind")]) { $0.roleRef?.kind = "User" },
        Change("role reference in another group", [.notSupported("roleRef.apiGroup")]) { $0.roleRef?.apiGroup = "example.com" },
        Change("role reference without a name", [.required("roleRef.name")]) { $0.roleRef?.name = nil },
        Change("no role reference", [.required("roleRef")]) { $0.roleRef = nil },
        Change("subject of an unknown kind", [.notSupported("subjects[0].kind")]) { $0.subjects[0].kind = "Robot" },
        Change("user outside the RBAC group", [.notSupported("subjects[0].apiGroup")]) { $0.subjects[0].apiGroup = "" },
        Change("subject without a name", [.required("subjects[0].name")]) { $0.subjects[0].name = "" },
        Change("service account in its own namespace", []) {
            $0.subjects = [Subject(kind: "ServiceAccount", apiGroup: "", name: "builder")]
        },
        Change("a cluster role in a namespace", []) { $0.roleRef?.kind = "ClusterRole" },
    ]

    @Test(arguments: bindings)
    func creatingRoleBindings(_ change: Change<RoleBinding>) {
        expectCreate(change.applied(to: Fixtures.roleBinding), change.expected)
    }

    @Test func aBindingKeepsItsRole() {
        let old = Fixtures.roleBinding
        expectUpdate(with(old) { $0.roleRef?.name = "pod-admin" }, from: old, [.invalid("roleRef")])
        expectUpdate(with(old) { $0.subjects.append(Subject(kind: "Group", apiGroup: Fixtures.rbacGroup, name: "ops")) }, from: old, [])
        let clusterOld = Fixtures.clusterRoleBinding
        expectUpdate(with(clusterOld) { $0.roleRef?.name = "admin" }, from: clusterOld, [.invalid("roleRef")])
    }

    @Test func aClusterBindingNamesServiceAccountNamespacesAndClusterRolesOnly() {
        let binding = Fixtures.clusterRoleBinding
        expectCreate(with(binding) { $0.subjects[0].namespace = nil }, [.required("subjects[0].namespace")])
        expectCreate(with(binding) { $0.roleRef?.kind = "Role" }, [.notSupported("roleRef.kind")])
    }

    static let autoscalers: [Change<HorizontalPodAutoscaler>] = [
        Change("no replicas at most", [.invalid("spec.maxReplicas"), .invalid("spec.maxReplicas")]) { $0.spec?.maxReplicas = 0 },
        Change("zero replicas at least", [.invalid("spec.minReplicas")]) { $0.spec?.minReplicas = 0 },
        Change("more at least than at most", [.invalid("spec.maxReplicas")]) { $0.spec?.minReplicas = 10 },
        Change("target without a name", [.required("spec.scaleTargetRef.name")]) { $0.spec?.scaleTargetRef?.name = nil },
        Change("target kind with a slash", [.invalid("spec.scaleTargetRef.kind")]) { $0.spec?.scaleTargetRef?.kind = "apps/Deployment" },
        Change("metric type unknown", [.notSupported("spec.metrics[0].type"), .required("spec.metrics[0].magic")]) {
            $0.spec?.metrics[0].type = "Magic"
        },
        Change("metric of two sources", [.forbidden("spec.metrics[0].pods"), .required("spec.metrics[0].pods.metric.name"),
                                         .required("spec.metrics[0].pods.target")]) {
            $0.spec?.metrics[0].pods = PodsMetricSource()
        },
        Change("zero utilization", [.invalid("spec.metrics[0].resource.target.averageUtilization")]) {
            $0.spec?.metrics[0].resource?.target?.averageUtilization = 0
        },
        Change("utilization and value together", [.forbidden("spec.metrics[0].resource.target.averageValue")]) {
            $0.spec?.metrics[0].resource?.target?.averageValue = "500m"
        },
        Change("a pods metric", []) {
            $0.spec?.metrics = [MetricSpec(type: "Pods", pods: PodsMetricSource(
                metric: MetricIdentifier(name: "packets-per-second"), target: MetricTarget(type: "AverageValue", averageValue: "1k")))]
        },
        Change("scale-down policy with no period", [.invalid("spec.behavior.scaleDown.policies[0].periodSeconds")]) {
            $0.spec?.behavior = HorizontalPodAutoscalerBehavior(scaleDown: HPAScalingRules(
                stabilizationWindowSeconds: 300, selectPolicy: "Max", policies: [HPAScalingPolicy(type: "Percent", value: 10, periodSeconds: 0)]))
        },
        Change("stabilization beyond an hour", [.invalid("spec.behavior.scaleUp.stabilizationWindowSeconds")]) {
            $0.spec?.behavior = HorizontalPodAutoscalerBehavior(scaleUp: HPAScalingRules(
                stabilizationWindowSeconds: 7200, selectPolicy: "Max", policies: [HPAScalingPolicy(type: "Pods", value: 4, periodSeconds: 15)]))
        },
    ]

    @Test(arguments: autoscalers)
    func creatingAutoscalers(_ change: Change<HorizontalPodAutoscaler>) {
        expectCreate(change.applied(to: Fixtures.horizontalPodAutoscaler), change.expected)
    }
}
