/// ObjectDescription: `describe`'s readable view of one object: its metadata, the sections
/// that matter for its kind (a pod's containers and conditions, a deployment's replicas and
/// template, a node's conditions and capacity ...), then the Events about it, oldest first.
/// Kinds without their own view show their fields as indented YAML.
///
/// Concurrency: pure functions of the object, its events and `now`. Must never: print a
/// Secret's values (only their sizes).
import Foundation
import SkiffAPI
import SkiffWire

public enum ObjectDescription {
    public static func lines(for object: any APIObject, resource: ResourceInfo, events: [Event], now: Date) -> [String] {
        var writer = DescriptionWriter()
        switch object {
        case let pod as Pod: describe(pod, into: &writer, now: now)
        case let deployment as Deployment: describe(deployment, into: &writer)
        case let set as ReplicaSet:
            metadata(object, into: &writer, selector: ObjectTable.selectorText(set.spec?.selector))
            writer.field("Replicas", "\(set.status?.replicas ?? 0) current / \(set.spec?.replicas ?? 0) desired")
            podTemplate(set.spec?.template, into: &writer)
        case let controller as ReplicationController:
            metadata(object, into: &writer, selector: ObjectTable.labelsText(controller.spec?.selector ?? [:]))
            writer.field("Replicas", "\(controller.status?.replicas ?? 0) current / \(controller.spec?.replicas ?? 0) desired")
            podTemplate(controller.spec?.template, into: &writer)
        case let service as Service: describe(service, into: &writer)
        case let node as Node: describe(node, into: &writer, now: now)
        case let namespace as Namespace:
            metadata(object, into: &writer, namespaced: false)
            writer.field("Status", namespace.status?.phase ?? "Active")
        case let map as ConfigMap: describe(map, into: &writer)
        case let secret as Secret: describe(secret, into: &writer)
        default: generic(object, resource: resource, into: &writer)
        }
        eventsSection(events, into: &writer, now: now)
        return writer.lines
    }

    // MARK: per kind

    static func describe(_ pod: Pod, into writer: inout DescriptionWriter, now: Date) {
        let spec = pod.spec ?? PodSpec()
        let status = pod.status ?? PodStatus()
        let meta = pod.metadata ?? ObjectMeta()
        writer.field("Name", meta.name ?? "")
        writer.field("Namespace", meta.namespace ?? "")
        if let priority = spec.priority { writer.field("Priority", "\(priority)") }
        writer.field("Service Account", spec.serviceAccountName ?? "")
        var node = spec.nodeName ?? ""
        if !node.isEmpty, let hostIP = status.hostIP, !hostIP.isEmpty { node += "/" + hostIP }
        writer.field("Node", node)
        if let start = status.startTime { writer.field("Start Time", timestamp(start)) }
        writer.field("Labels", values: pairs(meta.labels))
        writer.field("Annotations", values: pairs(meta.annotations))
        if let deletion = meta.deletionTimestamp {
            writer.field("Status", "Terminating (lasts \(Age.since(deletion, now: now)))")
            if let grace = meta.deletionGracePeriodSeconds {
                writer.field("Termination Grace Period", "\(grace)s")
            }
        } else {
            writer.field("Status", status.phase ?? "")
        }
        if let reason = status.reason, !reason.isEmpty { writer.field("Reason", reason) }
        if let message = status.message, !message.isEmpty { writer.field("Message", message) }
        writer.field("IP", status.podIP ?? "")
        writer.field("IPs", values: status.podIPs.compactMap(\.ip).map { "IP:  \($0)" })
        controlledBy(meta, into: &writer)
        if !spec.initContainers.isEmpty {
            writer.section("Init Containers")
            for container in spec.initContainers {
                self.container(container, status: status.initContainerStatuses.first { $0.name == container.name },
                               level: 1, into: &writer)
            }
        }
        writer.section("Containers")
        for container in spec.containers {
            self.container(container, status: status.containerStatuses.first { $0.name == container.name },
                           level: 1, into: &writer)
        }
        if !status.conditions.isEmpty {
            writer.section("Conditions")
            writer.table([["Type", "Status"]] + status.conditions.map { [$0.type ?? "", $0.status ?? ""] })
        }
        writer.section("Volumes")
        if spec.volumes.isEmpty { writer.text("<none>", level: 1) }
        for volume in spec.volumes {
            writer.section(volume.name ?? "", level: 1)
            writer.field("Type", volumeType(volume), level: 2)
        }
        if let qos = status.qosClass { writer.field("QoS Class", qos) }
        writer.field("Node-Selectors", values: pairs(spec.nodeSelector))
        writer.field("Tolerations", values: spec.tolerations.map(tolerationText))
    }

    static func describe(_ deployment: Deployment, into writer: inout DescriptionWriter) {
        let spec = deployment.spec ?? DeploymentSpec()
        let status = deployment.status ?? DeploymentStatus()
        metadata(deployment, into: &writer, selector: ObjectTable.selectorText(spec.selector))
        writer.field("Replicas", "\(spec.replicas ?? 0) desired | \(status.updatedReplicas ?? 0) updated | "
                     + "\(status.replicas ?? 0) total | \(status.availableReplicas ?? 0) available | "
                     + "\(status.unavailableReplicas ?? 0) unavailable")
        let strategy = spec.strategy?.type ?? "RollingUpdate"
        writer.field("StrategyType", strategy)
        writer.field("MinReadySeconds", "\(spec.minReadySeconds ?? 0)")
        if strategy == "RollingUpdate" {
            let rolling = spec.strategy?.rollingUpdate
            writer.field("RollingUpdateStrategy", "\(rolling?.maxUnavailable?.description ?? "25%") max unavailable, "
                         + "\(rolling?.maxSurge?.description ?? "25%") max surge")
        }
        podTemplate(spec.template, into: &writer)
        if !status.conditions.isEmpty {
            writer.section("Conditions")
            writer.table([["Type", "Status", "Reason"], ["----", "------", "------"]]
                         + status.conditions.map { [$0.type ?? "", $0.status ?? "", $0.reason ?? ""] })
        }
    }

    static func describe(_ service: Service, into writer: inout DescriptionWriter) {
        let spec = service.spec ?? ServiceSpec()
        metadata(service, into: &writer, selector: ObjectTable.labelsText(spec.selector))
        writer.field("Type", spec.type ?? "ClusterIP")
        if let policy = spec.ipFamilyPolicy { writer.field("IP Family Policy", policy) }
        if !spec.ipFamilies.isEmpty { writer.field("IP Families", spec.ipFamilies.joined(separator: ",")) }
        writer.field("IP", spec.clusterIP ?? "")
        if !spec.clusterIPs.isEmpty { writer.field("IPs", spec.clusterIPs.joined(separator: ",")) }
        if !spec.externalIPs.isEmpty { writer.field("External IPs", spec.externalIPs.joined(separator: ",")) }
        if let name = spec.externalName { writer.field("External Name", name) }
        let ingress = (service.status?.loadBalancer?.ingress ?? []).compactMap { $0.ip ?? $0.hostname }
        if !ingress.isEmpty { writer.field("LoadBalancer Ingress", ingress.joined(separator: ", ")) }
        for port in spec.ports {
            let name = ObjectTable.orUnset(port.name)
            let proto = port.protocol ?? "TCP"
            writer.field("Port", "\(name)  \(port.port ?? 0)/\(proto)")
            writer.field("TargetPort", "\(port.targetPort?.description ?? "\(port.port ?? 0)")/\(proto)")
            if let nodePort = port.nodePort, nodePort != 0 { writer.field("NodePort", "\(name)  \(nodePort)/\(proto)") }
        }
        writer.field("Session Affinity", spec.sessionAffinity ?? "None")
    }

    static func describe(_ node: Node, into writer: inout DescriptionWriter, now: Date) {
        let meta = node.metadata ?? ObjectMeta()
        let status = node.status ?? NodeStatus()
        writer.field("Name", meta.name ?? "")
        writer.field("Roles", ObjectTable.nodeRolesText(node))
        writer.field("Labels", values: pairs(meta.labels))
        writer.field("Annotations", values: pairs(meta.annotations))
        if let created = meta.creationTimestamp { writer.field("CreationTimestamp", timestamp(created)) }
        writer.field("Taints", values: (node.spec?.taints ?? []).map { taint in
            "\(taint.key ?? "")\(taint.value.map { "=" + $0 } ?? ""):\(taint.effect ?? "")"
        })
        writer.field("Unschedulable", node.spec?.unschedulable == true ? "true" : "false")
        writer.section("Conditions")
        writer.table([["Type", "Status", "LastHeartbeatTime", "LastTransitionTime", "Reason", "Message"],
                      ["----", "------", "-----------------", "------------------", "------", "-------"]]
                     + status.conditions.map {
                         [$0.type ?? "", $0.status ?? "", $0.lastHeartbeatTime.map(timestamp) ?? "",
                          $0.lastTransitionTime.map(timestamp) ?? "", $0.reason ?? "", $0.message ?? ""]
                     })
        writer.section("Addresses")
        for address in status.addresses { writer.field(address.type ?? "", address.address ?? "", level: 1) }
        quantities("Capacity", status.capacity, into: &writer)
        quantities("Allocatable", status.allocatable, into: &writer)
        if let info = status.nodeInfo {
            writer.section("System Info")
            writer.field("Machine ID", info.machineID ?? "", level: 1)
            writer.field("Boot ID", info.bootID ?? "", level: 1)
            writer.field("Kernel Version", info.kernelVersion ?? "", level: 1)
            writer.field("OS Image", info.osImage ?? "", level: 1)
            writer.field("Operating System", info.operatingSystem ?? "", level: 1)
            writer.field("Architecture", info.architecture ?? "", level: 1)
            writer.field("Container Runtime Version", info.containerRuntimeVersion ?? "", level: 1)
            writer.field("Kubelet Version", info.kubeletVersion ?? "", level: 1)
        }
        if let cidr = node.spec?.podCIDR { writer.field("PodCIDR", cidr) }
    }

    static func describe(_ map: ConfigMap, into writer: inout DescriptionWriter) {
        metadata(map, into: &writer)
        writer.text("")
        writer.text("Data")
        writer.text("====")
        for (key, value) in map.data.sorted(by: { $0.key < $1.key }) {
            writer.text(key + ":")
            writer.text("----")
            for line in value.split(separator: "\n", omittingEmptySubsequences: false) { writer.text(String(line)) }
            writer.text("")
        }
        writer.text("")
        writer.text("BinaryData")
        writer.text("====")
        for (key, bytes) in map.binaryData.sorted(by: { $0.key < $1.key }) { writer.text("\(key): \(bytes.count) bytes") }
        writer.text("")
    }

    static func describe(_ secret: Secret, into writer: inout DescriptionWriter) {
        metadata(secret, into: &writer)
        writer.text("")
        writer.field("Type", secret.type ?? "Opaque")
        writer.text("")
        writer.text("Data")
        writer.text("====")
        var sizes: [String: Int] = secret.data.mapValues(\.count)
        for (key, value) in secret.stringData { sizes[key] = value.utf8.count }
        for (key, size) in sizes.sorted(by: { $0.key < $1.key }) { writer.field(key, "\(size) bytes") }
    }

    /// The metadata block, then every other top-level field as YAML under its capitalized name.
    static func generic(_ object: any APIObject, resource: ResourceInfo, into writer: inout DescriptionWriter) {
        metadata(object, into: &writer, namespaced: resource.namespaced)
        writer.field("API Version", resource.apiVersion)
        writer.field("Kind", resource.kind)
        guard case .object(let members)? = try? JSONValue(encoding: object) else { return }
        for (key, value) in members.sorted(by: { $0.key < $1.key }) where !["apiVersion", "kind", "metadata"].contains(key) {
            let title = key.prefix(1).uppercased() + key.dropFirst()
            switch value {
            case .object, .array:
                writer.section(title)
                for line in (try? ObjectDocuments.yaml(value))?.split(separator: "\n") ?? [] {
                    writer.text(String(line), level: 1)
                }
            case .string(let text): writer.field(title, text)
            default: writer.field(title, ObjectDocuments.json(value))
            }
        }
    }

    // MARK: shared blocks

    static func metadata(_ object: any APIObject, into writer: inout DescriptionWriter,
                         namespaced: Bool = true, selector: String? = nil) {
        let meta = object.metadata ?? ObjectMeta()
        writer.field("Name", meta.name ?? "")
        if namespaced { writer.field("Namespace", meta.namespace ?? "") }
        if let created = meta.creationTimestamp { writer.field("CreationTimestamp", timestamp(created)) }
        if let selector { writer.field("Selector", selector) }
        writer.field("Labels", values: pairs(meta.labels))
        writer.field("Annotations", values: pairs(meta.annotations))
        controlledBy(meta, into: &writer)
    }

    static func controlledBy(_ meta: ObjectMeta, into writer: inout DescriptionWriter) {
        if let owner = meta.ownerReferences.first(where: { $0.controller == true }) {
            writer.field("Controlled By", "\(owner.kind ?? "")/\(owner.name ?? "")")
        }
    }

    static func podTemplate(_ template: PodTemplateSpec?, into writer: inout DescriptionWriter) {
        writer.section("Pod Template")
        writer.field("Labels", values: pairs(template?.metadata?.labels ?? [:]), level: 1)
        let spec = template?.spec ?? PodSpec()
        if let account = spec.serviceAccountName { writer.field("Service Account", account, level: 1) }
        if !spec.initContainers.isEmpty {
            writer.section("Init Containers", level: 1)
            for container in spec.initContainers { self.container(container, status: nil, level: 2, into: &writer) }
        }
        writer.section("Containers", level: 1)
        for container in spec.containers { self.container(container, status: nil, level: 2, into: &writer) }
        writer.section("Volumes", level: 1)
        if spec.volumes.isEmpty { writer.text("<none>", level: 2) }
        for volume in spec.volumes {
            writer.section(volume.name ?? "", level: 2)
            writer.field("Type", volumeType(volume), level: 3)
        }
        writer.field("Node-Selectors", values: pairs(spec.nodeSelector), level: 1)
        writer.field("Tolerations", values: spec.tolerations.map(tolerationText), level: 1)
    }

    static func container(_ container: Container, status: ContainerStatus?, level: Int,
                          into writer: inout DescriptionWriter) {
        writer.section(container.name ?? "", level: level)
        let inner = level + 1
        if let status {
            writer.field("Container ID", status.containerID ?? "", level: inner)
        }
        writer.field("Image", container.image ?? "", level: inner)
        if let status { writer.field("Image ID", status.imageID ?? "", level: inner) }
        let ports = container.ports.map { "\($0.containerPort ?? 0)/\($0.protocol ?? "TCP")" }
        writer.field(ports.count > 1 ? "Ports" : "Port", ports.joined(separator: ", "), level: inner)
        let hostPorts = container.ports.map { "\($0.hostPort ?? 0)/\($0.protocol ?? "TCP")" }
        writer.field(hostPorts.count > 1 ? "Host Ports" : "Host Port", hostPorts.joined(separator: ", "), level: inner)
        if !container.command.isEmpty {
            writer.section("Command", level: inner)
            for part in container.command { writer.text(part, level: inner + 1) }
        }
        if !container.args.isEmpty {
            writer.section("Args", level: inner)
            for part in container.args { writer.text(part, level: inner + 1) }
        }
        if let status {
            state("State", status.state, level: inner, into: &writer)
            if let last = status.lastState, last.running != nil || last.waiting != nil || last.terminated != nil {
                state("Last State", last, level: inner, into: &writer)
            }
            writer.field("Ready", status.ready == true ? "True" : "False", level: inner)
            writer.field("Restart Count", "\(status.restartCount ?? 0)", level: inner)
        }
        let resources = container.resources ?? ResourceRequirements()
        for (title, values) in [("Limits", resources.limits), ("Requests", resources.requests)] where !values.isEmpty {
            writer.section(title, level: inner)
            for (key, value) in values.sorted(by: { $0.key < $1.key }) { writer.field(key, value.description, level: inner + 1) }
        }
        if container.env.isEmpty {
            writer.field("Environment", "", level: inner)
        } else {
            writer.section("Environment", level: inner)
            for variable in container.env {
                writer.field(variable.name ?? "", envValueText(variable), level: inner + 1)
            }
        }
        if container.volumeMounts.isEmpty {
            writer.field("Mounts", "", level: inner)
        } else {
            writer.section("Mounts", level: inner)
            for mount in container.volumeMounts {
                writer.text("\(mount.mountPath ?? "") from \(mount.name ?? "") (\(mount.readOnly == true ? "ro" : "rw"))",
                            level: inner + 1)
            }
        }
    }

    static func state(_ title: String, _ state: ContainerState?, level: Int, into writer: inout DescriptionWriter) {
        if let running = state?.running {
            writer.field(title, "Running", level: level)
            if let started = running.startedAt { writer.field("Started", timestamp(started), level: level + 1) }
        } else if let waiting = state?.waiting {
            writer.field(title, "Waiting", level: level)
            if let reason = waiting.reason { writer.field("Reason", reason, level: level + 1) }
            if let message = waiting.message { writer.field("Message", message, level: level + 1) }
        } else if let terminated = state?.terminated {
            writer.field(title, "Terminated", level: level)
            if let reason = terminated.reason { writer.field("Reason", reason, level: level + 1) }
            if let message = terminated.message { writer.field("Message", message, level: level + 1) }
            writer.field("Exit Code", "\(terminated.exitCode ?? 0)", level: level + 1)
            if let signal = terminated.signal, signal != 0 { writer.field("Signal", "\(signal)", level: level + 1) }
            if let started = terminated.startedAt { writer.field("Started", timestamp(started), level: level + 1) }
            if let finished = terminated.finishedAt { writer.field("Finished", timestamp(finished), level: level + 1) }
        } else {
            writer.field(title, "Waiting", level: level)
        }
    }

    /// The Events table, oldest first: Type, Reason, Age ("3m (x4 over 10m)"), From, Message.
    static func eventsSection(_ events: [Event], into writer: inout DescriptionWriter, now: Date) {
        guard !events.isEmpty else {
            writer.field("Events", "")
            return
        }
        let ordered = events.sorted { lastSeen($0) < lastSeen($1) }
        writer.section("Events")
        writer.table([["Type", "Reason", "Age", "From", "Message"], ["----", "------", "----", "----", "-------"]]
                     + ordered.map { event in
                         var age = ObjectTable.eventLastSeen(event, now: now)
                         if let count = event.count, count > 1, let first = event.firstTimestamp {
                             age += " (x\(count) over \(Age.since(first, now: now)))"
                         }
                         let from = event.source?.component ?? event.reportingComponent ?? ""
                         return [event.type ?? "", event.reason ?? "", age, from,
                                 (event.message ?? "").split(whereSeparator: \.isNewline).joined(separator: " ")]
                     })
    }

    private static func lastSeen(_ event: Event) -> Int64 {
        if let last = event.lastTimestamp, last.seconds != 0 { return last.seconds }
        if let time = event.eventTime, time.seconds != 0 { return time.seconds }
        return event.metadata?.creationTimestamp?.seconds ?? 0
    }

    // MARK: values

    /// "Mon, 25 Nov 2026 08:00:00 +0000", as kubectl prints times in describe.
    static func timestamp(_ time: Time) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: time.date)
    }

    static func pairs(_ map: [String: String]) -> [String] {
        map.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }

    static func quantities(_ title: String, _ values: [String: Quantity], into writer: inout DescriptionWriter) {
        guard !values.isEmpty else { return }
        writer.section(title)
        for (key, value) in values.sorted(by: { $0.key < $1.key }) { writer.field(key, value.description, level: 1) }
    }

    static func tolerationText(_ toleration: Toleration) -> String {
        var text = toleration.key ?? ""
        if toleration.operator == "Exists" {
            if text.isEmpty { text = "op=Exists" } else { text += ":" }
        } else if let value = toleration.value, !value.isEmpty {
            text += "=" + value + ":"
        } else if !text.isEmpty {
            text += ":"
        }
        text += toleration.effect ?? ""
        if let seconds = toleration.tolerationSeconds { text += " for \(seconds)s" }
        return text
    }

    static func envValueText(_ variable: EnvVar) -> String {
        if let value = variable.value { return value }
        guard let source = variable.valueFrom else { return "" }
        if let field = source.fieldRef { return "(\(field.apiVersion ?? "v1"):\(field.fieldPath ?? ""))" }
        if let key = source.configMapKeyRef { return "<set to the key '\(key.key ?? "")' of config map '\(key.name ?? "")'>" }
        if let key = source.secretKeyRef { return "<set to the key '\(key.key ?? "")' in secret '\(key.name ?? "")'>" }
        if let resource = source.resourceFieldRef { return "\(resource.resource ?? "") (\(resource.containerName ?? ""))" }
        return ""
    }

    static func volumeType(_ volume: Volume) -> String {
        if let hostPath = volume.hostPath { return "HostPath (bare host directory volume) \(hostPath.path ?? "")" }
        if volume.emptyDir != nil { return "EmptyDir (a temporary directory that shares a pod's lifetime)" }
        if let secret = volume.secret { return "Secret (a volume populated by a Secret) \(secret.secretName ?? "")" }
        if let map = volume.configMap { return "ConfigMap (a volume populated by a ConfigMap) \(map.name ?? "")" }
        if let claim = volume.persistentVolumeClaim {
            return "PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace) \(claim.claimName ?? "")"
        }
        if volume.nfs != nil { return "NFS (an NFS mount that lasts the lifetime of a pod)" }
        if volume.downwardAPI != nil { return "DownwardAPI (a volume populated by information about the pod)" }
        return "<unknown>"
    }
}
