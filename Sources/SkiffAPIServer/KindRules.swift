/// KindRules: what differs between kinds when the apiserver writes them, as Kubernetes'
/// per-resource strategies do: which status a new object starts with, how the scale
/// subresource reads and writes replicas, and how a Binding assigns a pod to a node.
///
/// Concurrency: pure functions. Must never: touch the store; the registry applies the result.
import SkiffAPI
import SkiffWire

enum KindRules {
    /// A new object as stored: the status it starts with (controllers own the status of
    /// workloads, so a user cannot create one with a made-up status; a node registers with its
    /// own), and for a Job the selector generated from its uid. Called once uid is set.
    static func prepareForCreate(_ object: inout any APIObject) {
        switch object {
        case var job as Job:
            job.status = nil
            generateJobSelector(&job)
            object = job
        case var pod as Pod:
            pod.status = PodStatus(phase: "Pending")
            object = pod
        case var namespace as Namespace:
            namespace.status = NamespaceStatus(phase: "Active")
            var spec = namespace.spec ?? NamespaceSpec()
            if !spec.finalizers.contains("kubernetes") { spec.finalizers.append("kubernetes") }
            namespace.spec = spec
            object = namespace
        case var deployment as Deployment: deployment.status = nil; object = deployment
        case var replicaSet as ReplicaSet: replicaSet.status = nil; object = replicaSet
        case var controller as ReplicationController: controller.status = nil; object = controller
        case var daemonSet as DaemonSet: daemonSet.status = nil; object = daemonSet
        case var statefulSet as StatefulSet: statefulSet.status = nil; object = statefulSet
        case var cronJob as CronJob: cronJob.status = nil; object = cronJob
        case var claim as PersistentVolumeClaim:
            claim.status = PersistentVolumeClaimStatus(phase: "Pending")
            object = claim
        case var volume as PersistentVolume:
            volume.status = PersistentVolumeStatus(phase: "Pending")
            object = volume
        default: break
        }
    }

    /// Whether a deleted object must wait for its node agent: a scheduled pod stays, marked with
    /// a deletionTimestamp, until the kubelet has stopped its containers and deletes it for good.
    static func gracePeriod(_ object: any APIObject, requested: Int64?) -> Int64 {
        guard let pod = object as? Pod, let node = pod.spec?.nodeName, !node.isEmpty else { return 0 }
        let phase = pod.status?.phase ?? ""
        if phase == "Succeeded" || phase == "Failed" { return 0 }
        return max(0, requested ?? pod.spec?.terminationGracePeriodSeconds ?? 30)
    }

    // MARK: scale

    /// The Scale view of a scalable object, as `GET .../scale` returns it.
    static func scale(of object: any APIObject) -> Scale? {
        let replicas: Int32?
        let observed: Int32?
        let selector: String?
        switch object {
        case let o as Deployment:
            (replicas, observed, selector) = (o.spec?.replicas, o.status?.replicas, selectorString(o.spec?.selector))
        case let o as ReplicaSet:
            (replicas, observed, selector) = (o.spec?.replicas, o.status?.replicas, selectorString(o.spec?.selector))
        case let o as StatefulSet:
            (replicas, observed, selector) = (o.spec?.replicas, o.status?.replicas, selectorString(o.spec?.selector))
        case let o as ReplicationController:
            let labels = o.spec?.selector ?? [:]
            (replicas, observed, selector) = (o.spec?.replicas, o.status?.replicas,
                                              labels.keys.sorted().map { "\($0)=\(labels[$0]!)" }.joined(separator: ","))
        default: return nil
        }
        let meta = object.metadata
        return Scale(metadata: ObjectMeta(name: meta?.name, namespace: meta?.namespace, uid: meta?.uid,
                                          resourceVersion: meta?.resourceVersion,
                                          creationTimestamp: meta?.creationTimestamp),
                     spec: ScaleSpec(replicas: replicas ?? 0),
                     status: ScaleStatus(replicas: observed ?? 0, selector: selector))
    }

    /// `object` with its desired replicas set, for `PUT .../scale`.
    static func settingReplicas(_ replicas: Int32, on object: any APIObject) -> (any APIObject)? {
        switch object {
        case var o as Deployment: o.spec = o.spec ?? DeploymentSpec(); o.spec!.replicas = replicas; return o
        case var o as ReplicaSet: o.spec = o.spec ?? ReplicaSetSpec(); o.spec!.replicas = replicas; return o
        case var o as StatefulSet: o.spec = o.spec ?? StatefulSetSpec(); o.spec!.replicas = replicas; return o
        case var o as ReplicationController:
            o.spec = o.spec ?? ReplicationControllerSpec(); o.spec!.replicas = replicas; return o
        default: return nil
        }
    }

    /// The canonical string form of a wire label selector (what ScaleStatus.selector carries).
    static func selectorString(_ selector: LabelSelector?) -> String? {
        guard let selector else { return nil }
        var parts = (selector.matchLabels ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        for requirement in selector.matchExpressions ?? [] {
            let key = requirement.key ?? ""
            let values = (requirement.values ?? []).sorted().joined(separator: ",")
            switch requirement.operator ?? "" {
            case "In": parts.append("\(key) in (\(values))")
            case "NotIn": parts.append("\(key) notin (\(values))")
            case "Exists": parts.append(key)
            case "DoesNotExist": parts.append("!\(key)")
            default: break
            }
        }
        return parts.joined(separator: ",")
    }

    // MARK: binding

    /// The pod bound to the binding's target node, with its PodScheduled condition; throws
    /// Conflict when it is already bound elsewhere, as Kubernetes does.
    static func bind(_ pod: Pod, to binding: Binding, now: Time) throws(APIError) -> Pod {
        let resource = GroupResource(group: "", resource: "pods")
        let name = pod.metadata?.name ?? ""
        guard let node = binding.target?.name, !node.isEmpty else {
            throw APIError.invalid(kind: "Binding", group: "", name: name, [.required("target.name")])
        }
        if pod.metadata?.deletionTimestamp != nil {
            throw APIError.conflict(resource, name, "pod \(name) is being deleted, cannot be assigned to a host")
        }
        if !(pod.spec?.schedulingGates ?? []).isEmpty {
            throw APIError.conflict(resource, name, "pod \(name) has non-empty .spec.schedulingGates")
        }
        if let current = pod.spec?.nodeName, !current.isEmpty {
            throw APIError.conflict(resource, name, "pod \(name) is already assigned to node \"\(current)\"")
        }
        var bound = pod
        bound.spec = bound.spec ?? PodSpec()
        bound.spec!.nodeName = node
        var status = bound.status ?? PodStatus()
        var conditions = (status.conditions ?? []).filter { $0.type != "PodScheduled" }
        conditions.append(PodCondition(type: "PodScheduled", status: "True", lastTransitionTime: now))
        status.conditions = conditions
        bound.status = status
        return bound
    }
}

extension KindRules {
    /// Everything that must finish before a deleted object may go: its metadata finalizers, and
    /// for a namespace its spec finalizers (the namespace controller's "kubernetes").
    static func pendingFinalizers(_ object: any APIObject) -> [String] {
        var finalizers = object.metadata?.finalizers ?? []
        if let namespace = object as? Namespace { finalizers += namespace.spec?.finalizers ?? [] }
        return finalizers
    }
}

extension KindRules {
    /// Kubernetes' labels tying a Job's pods to it, unless the user manages the selector.
    static let jobUIDLabel = "batch.kubernetes.io/controller-uid"
    static let jobNameLabel = "batch.kubernetes.io/job-name"

    static func generateJobSelector(_ job: inout Job) {
        guard job.spec?.manualSelector != true, let uid = job.metadata?.uid, let name = job.metadata?.name else { return }
        job.spec = job.spec ?? JobSpec()
        job.spec!.selector = LabelSelector(matchLabels: [jobUIDLabel: uid])
        var template = job.spec!.template ?? PodTemplateSpec()
        var meta = template.metadata ?? ObjectMeta()
        meta.labels[jobUIDLabel] = uid
        meta.labels[jobNameLabel] = name
        meta.labels["controller-uid"] = uid
        meta.labels["job-name"] = name
        template.metadata = meta
        job.spec!.template = template
    }

    /// Fields the server assigned that an update leaves out mean "keep": a Service's cluster IPs.
    /// A namespace's spec finalizers change only through its finalize step (the namespace
    /// controller's), never by an update of the namespace itself.
    static func carryOver(into object: inout any APIObject, from old: any APIObject) {
        if var namespace = object as? Namespace, let previous = old as? Namespace {
            namespace.spec = namespace.spec ?? NamespaceSpec()
            namespace.spec!.finalizers = previous.spec?.finalizers ?? []
            object = namespace
            return
        }
        guard var service = object as? Service, let previous = old as? Service else { return }
        if (service.spec?.clusterIP ?? "").isEmpty, let ip = previous.spec?.clusterIP, !ip.isEmpty {
            service.spec = service.spec ?? ServiceSpec()
            service.spec!.clusterIP = ip
            if service.spec!.clusterIPs.isEmpty { service.spec!.clusterIPs = previous.spec?.clusterIPs ?? [] }
        }
        object = service
    }
}
