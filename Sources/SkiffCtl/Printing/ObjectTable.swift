/// ObjectTable: the columns `get` prints for each kind, kubectl's columns (pods: NAME READY
/// STATUS RESTARTS AGE, -o wide adds IP NODE ...), and NAME AGE for kinds without their own.
/// `-A` puts NAMESPACE first; `--show-labels` adds LABELS last; several types in one listing
/// show names as `deployment.apps/web`.
///
/// Concurrency: pure functions of the objects and `now`. Must never: print a Secret's values.
import Foundation
import SkiffAPI
import SkiffWire

public struct TableOptions: Sendable, Equatable {
    public var wide = false
    public var withNamespace = false
    public var showLabels = false
    /// NAME as `deployment.apps/web`: kubectl's way when one listing shows several types.
    public var kindInName = false

    public init(wide: Bool = false, withNamespace: Bool = false, showLabels: Bool = false, kindInName: Bool = false) {
        self.wide = wide
        self.withNamespace = withNamespace
        self.showLabels = showLabels
        self.kindInName = kindInName
    }
}

public enum ObjectTable {
    public static func header(for resource: ResourceInfo, options: TableOptions) -> [String] {
        let columns = columnSet(for: resource)
        var header = columns.headers + (options.wide ? columns.wideHeaders : [])
        if options.withNamespace { header.insert("NAMESPACE", at: 0) }
        if options.showLabels { header.append("LABELS") }
        return header
    }

    public static func row(for object: any APIObject, resource: ResourceInfo, now: Date,
                           options: TableOptions) -> [String] {
        let columns = columnSet(for: resource)
        var row = columns.cells(object, now) + (options.wide ? columns.wideCells(object, now) : [])
        if options.kindInName, let index = columns.headers.firstIndex(of: "NAME"), index < row.count {
            row[index] = resource.slashName(row[index])
        }
        if options.withNamespace { row.insert(object.metadata?.namespace ?? "", at: 0) }
        if options.showLabels { row.append(labelsText(object.metadata?.labels ?? [:])) }
        return row
    }

    public static func table(_ objects: [any APIObject], resource: ResourceInfo, now: Date,
                             options: TableOptions) -> Table {
        Table(header: header(for: resource, options: options),
              rows: objects.map { row(for: $0, resource: resource, now: now, options: options) })
    }

    /// "app=web,tier=fe" sorted by key, or "<none>".
    static func labelsText(_ labels: [String: String]) -> String {
        labels.isEmpty ? "<none>" : labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    // MARK: the column sets

    struct ColumnSet: Sendable {
        var headers: [String]
        var wideHeaders: [String] = []
        var cells: @Sendable (any APIObject, Date) -> [String]
        var wideCells: @Sendable (any APIObject, Date) -> [String] = { _, _ in [] }
    }

    static func columnSet(for resource: ResourceInfo) -> ColumnSet {
        columnSets[resource.plural + "." + resource.group] ?? generic
    }

    static let generic = ColumnSet(headers: ["NAME", "AGE"]) { object, now in
        [name(object), age(object, now)]
    }

    private static let columnSets: [String: ColumnSet] = [
        "pods.": pods, "deployments.apps": deployments, "replicasets.apps": replicaSets,
        "replicationcontrollers.": replicationControllers, "daemonsets.apps": daemonSets,
        "statefulsets.apps": statefulSets, "services.": services, "nodes.": nodes, "namespaces.": namespaces,
        "jobs.batch": jobs, "cronjobs.batch": cronJobs, "configmaps.": configMaps, "secrets.": secrets,
        "events.": events, "persistentvolumes.": persistentVolumes, "persistentvolumeclaims.": persistentVolumeClaims,
        "serviceaccounts.": serviceAccounts, "endpoints.": endpoints,
        "horizontalpodautoscalers.autoscaling": horizontalPodAutoscalers,
        "leases.coordination.k8s.io": leases,
        "roles.rbac.authorization.k8s.io": roles, "clusterroles.rbac.authorization.k8s.io": roles,
        "rolebindings.rbac.authorization.k8s.io": roleBindings,
        "clusterrolebindings.rbac.authorization.k8s.io": clusterRoleBindings,
        "storageclasses.storage.k8s.io": storageClasses, "controllerrevisions.apps": controllerRevisions,
    ]

    static let pods = ColumnSet(
        headers: ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
        wideHeaders: ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"],
        cells: { object, now in
            let pod = object as? Pod ?? Pod()
            let summary = PodSummary(pod)
            return [name(object), summary.ready, summary.status, summary.restartsText(now: now), age(object, now)]
        },
        wideCells: { object, _ in
            let pod = object as? Pod ?? Pod()
            let gates = pod.spec?.readinessGates ?? []
            let gatesText: String
            if gates.isEmpty {
                gatesText = "<none>"
            } else {
                let met = gates.filter { gate in
                    pod.status?.conditions.contains { $0.type == gate.conditionType && $0.status == "True" } ?? false
                }
                gatesText = "\(met.count)/\(gates.count)"
            }
            return [orNone(pod.status?.podIP), orNone(pod.spec?.nodeName),
                    orNone(pod.status?.nominatedNodeName), gatesText]
        })

    static let deployments = ColumnSet(
        headers: ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
        wideHeaders: ["CONTAINERS", "IMAGES", "SELECTOR"],
        cells: { object, now in
            let deployment = object as? Deployment ?? Deployment()
            let status = deployment.status
            return [name(object), "\(status?.readyReplicas ?? 0)/\(deployment.spec?.replicas ?? 0)",
                    "\(status?.updatedReplicas ?? 0)", "\(status?.availableReplicas ?? 0)", age(object, now)]
        },
        wideCells: { object, _ in
            let deployment = object as? Deployment ?? Deployment()
            return containerCells(deployment.spec?.template) + [selectorText(deployment.spec?.selector)]
        })

    static let replicaSets = ColumnSet(
        headers: ["NAME", "DESIRED", "CURRENT", "READY", "AGE"],
        wideHeaders: ["CONTAINERS", "IMAGES", "SELECTOR"],
        cells: { object, now in
            let set = object as? ReplicaSet ?? ReplicaSet()
            return [name(object), "\(set.spec?.replicas ?? 0)", "\(set.status?.replicas ?? 0)",
                    "\(set.status?.readyReplicas ?? 0)", age(object, now)]
        },
        wideCells: { object, _ in
            let set = object as? ReplicaSet ?? ReplicaSet()
            return containerCells(set.spec?.template) + [selectorText(set.spec?.selector)]
        })

    static let replicationControllers = ColumnSet(
        headers: ["NAME", "DESIRED", "CURRENT", "READY", "AGE"],
        wideHeaders: ["CONTAINERS", "IMAGES", "SELECTOR"],
        cells: { object, now in
            let controller = object as? ReplicationController ?? ReplicationController()
            return [name(object), "\(controller.spec?.replicas ?? 0)", "\(controller.status?.replicas ?? 0)",
                    "\(controller.status?.readyReplicas ?? 0)", age(object, now)]
        },
        wideCells: { object, _ in
            let controller = object as? ReplicationController ?? ReplicationController()
            return containerCells(controller.spec?.template) + [labelsText(controller.spec?.selector ?? [:])]
        })

    static let daemonSets = ColumnSet(
        headers: ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"],
        wideHeaders: ["CONTAINERS", "IMAGES", "SELECTOR"],
        cells: { object, now in
            let set = object as? DaemonSet ?? DaemonSet()
            let status = set.status
            return [name(object), "\(status?.desiredNumberScheduled ?? 0)", "\(status?.currentNumberScheduled ?? 0)",
                    "\(status?.numberReady ?? 0)", "\(status?.updatedNumberScheduled ?? 0)",
                    "\(status?.numberAvailable ?? 0)", labelsText(set.spec?.template?.spec?.nodeSelector ?? [:]),
                    age(object, now)]
        },
        wideCells: { object, _ in
            let set = object as? DaemonSet ?? DaemonSet()
            return containerCells(set.spec?.template) + [selectorText(set.spec?.selector)]
        })

    static let statefulSets = ColumnSet(
        headers: ["NAME", "READY", "AGE"],
        wideHeaders: ["CONTAINERS", "IMAGES"],
        cells: { object, now in
            let set = object as? StatefulSet ?? StatefulSet()
            return [name(object), "\(set.status?.readyReplicas ?? 0)/\(set.spec?.replicas ?? 0)", age(object, now)]
        },
        wideCells: { object, _ in containerCells((object as? StatefulSet)?.spec?.template) })

    static let services = ColumnSet(
        headers: ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
        wideHeaders: ["SELECTOR"],
        cells: { object, now in
            let service = object as? Service ?? Service()
            let spec = service.spec ?? ServiceSpec()
            let type = spec.type ?? "ClusterIP"
            let ports = spec.ports.map { port in
                var text = "\(port.port ?? 0)"
                if let nodePort = port.nodePort, nodePort != 0 { text += ":\(nodePort)" }
                return text + "/" + (port.protocol ?? "TCP")
            }
            return [name(object), type, orNone(spec.clusterIP), serviceExternalIP(service),
                    ports.isEmpty ? "<none>" : ports.joined(separator: ","), age(object, now)]
        },
        wideCells: { object, _ in [labelsText((object as? Service)?.spec?.selector ?? [:])] })

    static let nodes = ColumnSet(
        headers: ["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
        wideHeaders: ["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"],
        cells: { object, now in
            let node = object as? Node ?? Node()
            return [name(object), nodeStatusText(node), nodeRolesText(node), age(object, now),
                    node.status?.nodeInfo?.kubeletVersion ?? ""]
        },
        wideCells: { object, _ in
            let node = object as? Node ?? Node()
            let addresses = node.status?.addresses ?? []
            func address(_ type: String) -> String { orNone(addresses.first { $0.type == type }?.address) }
            let info = node.status?.nodeInfo
            return [address("InternalIP"), address("ExternalIP"), orUnknown(info?.osImage),
                    orUnknown(info?.kernelVersion), orUnknown(info?.containerRuntimeVersion)]
        })

    static let namespaces = ColumnSet(headers: ["NAME", "STATUS", "AGE"]) { object, now in
        [name(object), (object as? Namespace)?.status?.phase ?? "Active", age(object, now)]
    }

    static let jobs = ColumnSet(
        headers: ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"],
        wideHeaders: ["CONTAINERS", "IMAGES", "SELECTOR"],
        cells: { object, now in
            let job = object as? Job ?? Job()
            let spec = job.spec ?? JobSpec()
            let status = job.status ?? JobStatus()
            let succeeded = status.succeeded ?? 0
            let completions: String
            if let wanted = spec.completions {
                completions = "\(succeeded)/\(wanted)"
            } else {
                let parallelism = spec.parallelism ?? 0
                completions = parallelism > 1 ? "\(succeeded)/1 of \(parallelism)" : "\(succeeded)/1"
            }
            var duration = ""
            if let start = status.startTime {
                let end = status.completionTime?.date ?? now
                duration = Age.format(seconds: Int64((end.timeIntervalSince1970 - start.date.timeIntervalSince1970).rounded(.down)))
            }
            return [name(object), jobStatusText(job), completions, duration, age(object, now)]
        },
        wideCells: { object, _ in
            let job = object as? Job ?? Job()
            return containerCells(job.spec?.template) + [selectorText(job.spec?.selector)]
        })

    static let cronJobs = ColumnSet(
        headers: ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"]) { object, now in
        let job = object as? CronJob ?? CronJob()
        let last = job.status?.lastScheduleTime.map { Age.since($0, now: now) } ?? "<none>"
        return [name(object), job.spec?.schedule ?? "", orNone(job.spec?.timeZone),
                job.spec?.suspend == true ? "True" : "False", "\(job.status?.active.count ?? 0)", last, age(object, now)]
    }

    static let configMaps = ColumnSet(headers: ["NAME", "DATA", "AGE"]) { object, now in
        let map = object as? ConfigMap ?? ConfigMap()
        return [name(object), "\(map.data.count + map.binaryData.count)", age(object, now)]
    }

    static let secrets = ColumnSet(headers: ["NAME", "TYPE", "DATA", "AGE"]) { object, now in
        let secret = object as? Secret ?? Secret()
        return [name(object), secret.type ?? "Opaque", "\(secret.data.count + secret.stringData.count)", age(object, now)]
    }

    static let events = ColumnSet(headers: ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]) { object, now in
        let event = object as? Event ?? Event()
        let involved = event.involvedObject ?? ObjectReference()
        return [eventLastSeen(event, now: now), event.type ?? "", event.reason ?? "",
                "\((involved.kind ?? "").lowercased())/\(involved.name ?? "")",
                (event.message ?? "").split(whereSeparator: \.isNewline).joined(separator: " ")]
    }

    static let persistentVolumes = ColumnSet(
        headers: ["NAME", "CAPACITY", "ACCESS MODES", "RECLAIM POLICY", "STATUS", "CLAIM", "STORAGECLASS",
                  "VOLUMEATTRIBUTESCLASS", "REASON", "AGE"]) { object, now in
        let volume = object as? PersistentVolume ?? PersistentVolume()
        let spec = volume.spec ?? PersistentVolumeSpec()
        var claim = ""
        if let ref = spec.claimRef { claim = "\(ref.namespace ?? "")/\(ref.name ?? "")" }
        return [name(object), spec.capacity["storage"]?.description ?? "", accessModesText(spec.accessModes),
                spec.persistentVolumeReclaimPolicy ?? "", volume.status?.phase ?? "", claim,
                spec.storageClassName ?? "", orUnset(spec.volumeAttributesClassName), volume.status?.reason ?? "",
                age(object, now)]
    }

    static let persistentVolumeClaims = ColumnSet(
        headers: ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS",
                  "AGE"]) { object, now in
        let claim = object as? PersistentVolumeClaim ?? PersistentVolumeClaim()
        let spec = claim.spec ?? PersistentVolumeClaimSpec()
        let status = claim.status ?? PersistentVolumeClaimStatus()
        let phase = claim.metadata?.deletionTimestamp != nil ? "Terminating" : (status.phase ?? "")
        return [name(object), phase, spec.volumeName ?? "", status.capacity["storage"]?.description ?? "",
                accessModesText(status.accessModes), spec.storageClassName ?? "",
                orUnset(spec.volumeAttributesClassName), age(object, now)]
    }

    static let serviceAccounts = ColumnSet(headers: ["NAME", "SECRETS", "AGE"]) { object, now in
        [name(object), "\((object as? ServiceAccount)?.secrets.count ?? 0)", age(object, now)]
    }

    static let endpoints = ColumnSet(headers: ["NAME", "ENDPOINTS", "AGE"]) { object, now in
        [name(object), endpointsText(object as? Endpoints ?? Endpoints()), age(object, now)]
    }

    static let horizontalPodAutoscalers = ColumnSet(
        headers: ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]) { object, now in
        let autoscaler = object as? HorizontalPodAutoscaler ?? HorizontalPodAutoscaler()
        let spec = autoscaler.spec ?? HorizontalPodAutoscalerSpec()
        let target = spec.scaleTargetRef
        return [name(object), "\(target?.kind ?? "")/\(target?.name ?? "")", metricsText(autoscaler),
                spec.minReplicas.map(String.init) ?? "<unset>", "\(spec.maxReplicas ?? 0)",
                "\(autoscaler.status?.currentReplicas ?? 0)", age(object, now)]
    }

    static let leases = ColumnSet(headers: ["NAME", "HOLDER", "AGE"]) { object, now in
        [name(object), (object as? Lease)?.spec?.holderIdentity ?? "", age(object, now)]
    }

    /// Roles show their creation time rather than an age, as kubectl does.
    static let roles = ColumnSet(headers: ["NAME", "CREATED AT"]) { object, _ in
        [name(object), object.metadata?.creationTimestamp?.description ?? "<unknown>"]
    }

    static let roleBindings = ColumnSet(
        headers: ["NAME", "ROLE", "AGE"], wideHeaders: ["USERS", "GROUPS", "SERVICEACCOUNTS"],
        cells: { object, now in
            let binding = object as? RoleBinding ?? RoleBinding()
            return [name(object), "\(binding.roleRef?.kind ?? "")/\(binding.roleRef?.name ?? "")", age(object, now)]
        },
        wideCells: { object, _ in subjectCells((object as? RoleBinding)?.subjects ?? []) })

    static let clusterRoleBindings = ColumnSet(
        headers: ["NAME", "ROLE", "AGE"], wideHeaders: ["USERS", "GROUPS", "SERVICEACCOUNTS"],
        cells: { object, now in
            let binding = object as? ClusterRoleBinding ?? ClusterRoleBinding()
            return [name(object), "\(binding.roleRef?.kind ?? "")/\(binding.roleRef?.name ?? "")", age(object, now)]
        },
        wideCells: { object, _ in subjectCells((object as? ClusterRoleBinding)?.subjects ?? []) })

    static let storageClasses = ColumnSet(
        headers: ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"]) { object, now in
        let storageClass = object as? StorageClass ?? StorageClass()
        var title = name(object)
        if storageClass.metadata?.annotations["storageclass.kubernetes.io/is-default-class"] == "true" {
            title += " (default)"
        }
        return [title, storageClass.provisioner ?? "", storageClass.reclaimPolicy ?? "Delete",
                storageClass.volumeBindingMode ?? "Immediate",
                storageClass.allowVolumeExpansion == true ? "true" : "false", age(object, now)]
    }

    static let controllerRevisions = ColumnSet(headers: ["NAME", "CONTROLLER", "REVISION", "AGE"]) { object, now in
        let revision = object as? ControllerRevision ?? ControllerRevision()
        let owner = revision.metadata?.ownerReferences.first { $0.controller == true }
        let controller = owner.map { "\(($0.kind ?? "").lowercased())\(groupSuffix($0.apiVersion))/\($0.name ?? "")" }
        return [name(object), controller ?? "<none>", "\(revision.revision ?? 0)", age(object, now)]
    }

    // MARK: cells

    static func name(_ object: any APIObject) -> String { object.metadata?.name ?? "" }

    static func age(_ object: any APIObject, _ now: Date) -> String {
        Age.since(object.metadata?.creationTimestamp, now: now)
    }

    static func orNone(_ text: String?) -> String { or(text, "<none>") }
    static func orUnset(_ text: String?) -> String { or(text, "<unset>") }
    static func orUnknown(_ text: String?) -> String { or(text, "<unknown>") }

    /// `text`, or kubectl's placeholder when it is missing or empty.
    private static func or(_ text: String?, _ placeholder: String) -> String {
        guard let text, !text.isEmpty else { return placeholder }
        return text
    }

    /// ".apps" for "apps/v1", "" for "v1".
    static func groupSuffix(_ apiVersion: String?) -> String {
        guard let apiVersion, let slash = apiVersion.firstIndex(of: "/") else { return "" }
        return "." + apiVersion[..<slash]
    }

    /// CONTAINERS and IMAGES of a pod template.
    static func containerCells(_ template: PodTemplateSpec?) -> [String] {
        let containers = template?.spec?.containers ?? []
        return [containers.map { $0.name ?? "" }.joined(separator: ","),
                containers.map { $0.image ?? "" }.joined(separator: ",")]
    }

    /// A label selector as kubectl writes it: "app=web,tier in (a,b),!legacy", or "<none>".
    public static func selectorText(_ selector: LabelSelector?) -> String {
        guard let selector else { return "<none>" }
        var parts = selector.matchLabels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        for requirement in selector.matchExpressions {
            let key = requirement.key ?? ""
            let values = requirement.values.sorted().joined(separator: ",")
            switch requirement.operator ?? "" {
            case "In": parts.append("\(key) in (\(values))")
            case "NotIn": parts.append("\(key) notin (\(values))")
            case "Exists": parts.append(key)
            case "DoesNotExist": parts.append("!\(key)")
            default: parts.append("\(key) \(requirement.operator ?? "") (\(values))")
            }
        }
        return parts.isEmpty ? "<none>" : parts.joined(separator: ",")
    }

    static func serviceExternalIP(_ service: Service) -> String {
        let spec = service.spec ?? ServiceSpec()
        switch spec.type ?? "ClusterIP" {
        case "ExternalName":
            return orNone(spec.externalName)
        case "LoadBalancer":
            let ingress = (service.status?.loadBalancer?.ingress ?? []).map { $0.ip ?? $0.hostname ?? "" }
            let all = ingress + spec.externalIPs
            return all.isEmpty ? "<pending>" : all.joined(separator: ",")
        default:
            return spec.externalIPs.isEmpty ? "<none>" : spec.externalIPs.joined(separator: ",")
        }
    }

    static func nodeStatusText(_ node: Node) -> String {
        var parts: [String] = []
        if let ready = node.status?.conditions.first(where: { $0.type == "Ready" }) {
            // As kubectl: a Ready condition that is not True (False or Unknown) prints NotReady.
            parts.append(ready.status == "True" ? "Ready" : "NotReady")
        } else {
            parts.append("Unknown")
        }
        if node.spec?.unschedulable == true { parts.append("SchedulingDisabled") }
        return parts.joined(separator: ",")
    }

    /// Roles from `node-role.kubernetes.io/<role>` labels and the older `kubernetes.io/role`.
    static func nodeRolesText(_ node: Node) -> String {
        var roles = Set<String>()
        for (key, value) in node.metadata?.labels ?? [:] {
            if key.hasPrefix("node-role.kubernetes.io/") {
                let role = String(key.dropFirst("node-role.kubernetes.io/".count))
                if !role.isEmpty { roles.insert(role) }
            } else if key == "kubernetes.io/role", !value.isEmpty {
                roles.insert(value)
            }
        }
        return roles.isEmpty ? "<none>" : roles.sorted().joined(separator: ",")
    }

    /// Complete, Failed, Suspended, FailureTarget, SuccessCriteriaMet, else Running.
    static func jobStatusText(_ job: Job) -> String {
        let conditions = job.status?.conditions ?? []
        func holds(_ type: String) -> Bool { conditions.contains { $0.type == type && $0.status == "True" } }
        for type in ["Failed", "Complete", "FailureTarget", "SuccessCriteriaMet", "Suspended"] where holds(type) {
            return type
        }
        return job.metadata?.deletionTimestamp != nil ? "Terminating" : "Running"
    }

    static func accessModesText(_ modes: [String]) -> String {
        let short = ["ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"]
        return modes.map { short[$0] ?? $0 }.joined(separator: ",")
    }

    /// "10.1.0.4:80,10.1.0.5:80 + 2 more...", "<none>" without ready addresses.
    static func endpointsText(_ endpoints: Endpoints) -> String {
        var all: [String] = []
        for subset in endpoints.subsets {
            for address in subset.addresses {
                if subset.ports.isEmpty {
                    all.append(address.ip ?? "")
                } else {
                    for port in subset.ports { all.append("\(address.ip ?? ""):\(port.port ?? 0)") }
                }
            }
        }
        if all.isEmpty { return "<none>" }
        let shown = all.prefix(3).joined(separator: ",")
        return all.count > 3 ? "\(shown) + \(all.count - 3) more..." : shown
    }

    /// TARGETS: "cpu: 40%/80%" per resource metric; "<unknown>" for a current value not known yet.
    static func metricsText(_ autoscaler: HorizontalPodAutoscaler) -> String {
        let specs = autoscaler.spec?.metrics ?? []
        if specs.isEmpty { return "<none>" }
        let current = autoscaler.status?.currentMetrics ?? []
        let parts = specs.map { metric -> String in
            guard metric.type == "Resource", let resource = metric.resource else { return "<unknown>/<unknown>" }
            let observed = current.first { $0.type == "Resource" && $0.resource?.name == resource.name }?.resource?.current
            let target = resource.target
            if let utilization = target?.averageUtilization {
                let now = observed?.averageUtilization.map { "\($0)%" } ?? "<unknown>"
                return "\(resource.name ?? ""): \(now)/\(utilization)%"
            }
            let wanted = target?.averageValue?.description ?? target?.value?.description ?? "<unknown>"
            let now = observed?.averageValue?.description ?? observed?.value?.description ?? "<unknown>"
            return "\(resource.name ?? ""): \(now)/\(wanted)"
        }
        return parts.joined(separator: ", ")
    }

    static func subjectCells(_ subjects: [Subject]) -> [String] {
        func names(_ kind: String) -> String {
            subjects.filter { $0.kind == kind }.map { subject in
                kind == "ServiceAccount" ? "\(subject.namespace ?? ""):\(subject.name ?? "")" : subject.name ?? ""
            }.joined(separator: ",")
        }
        return [names("User"), names("Group"), names("ServiceAccount")]
    }

    /// An event's LAST SEEN: its last occurrence, else its eventTime, else its creation.
    static func eventLastSeen(_ event: Event, now: Date) -> String {
        if let last = event.lastTimestamp, last.seconds != 0 { return Age.since(last, now: now) }
        if let time = event.eventTime, time.seconds != 0 { return Age.since(time, now: now) }
        return Age.since(event.metadata?.creationTimestamp, now: now)
    }
}
