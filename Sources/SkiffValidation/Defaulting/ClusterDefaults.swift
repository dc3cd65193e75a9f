/// ClusterDefaults: Kubernetes' defaults for the objects that are not workloads: Service,
/// Endpoints, Secret, Namespace, Node, PersistentVolume, PersistentVolumeClaim, StorageClass
/// and the RBAC bindings. ConfigMap, ServiceAccount, Event, Lease, ControllerRevision and the
/// roles have no defaults.
///
/// Concurrency: pure functions on values. Must never: overwrite a field the user set.
import SkiffWire

extension Service: DefaultedValue {
    /// Three hours, Kubernetes' sticky-session lifetime.
    static let defaultClientIPTimeoutSeconds: Int32 = 10800

    mutating func setDefaults() {
        var spec = self.spec ?? ServiceSpec()
        setIfEmpty(&spec.sessionAffinity, "None")
        if spec.sessionAffinity == "None" { spec.sessionAffinityConfig = nil }
        setIfEmpty(&spec.type, "ClusterIP")
        for index in spec.ports.indices {
            setIfEmpty(&spec.ports[index].protocol, "TCP")
            switch spec.ports[index].targetPort {
            case nil, .int(0), .string(""): spec.ports[index].targetPort = .int(spec.ports[index].port ?? 0)
            default: break
            }
        }
        let type = spec.type ?? ""
        // Only traffic that enters from outside the cluster has an external policy.
        let externallyAccessible = type == "LoadBalancer" || type == "NodePort"
            || (type == "ClusterIP" && !spec.externalIPs.isEmpty)
        if externallyAccessible { setIfEmpty(&spec.externalTrafficPolicy, "Cluster") }
        if spec.internalTrafficPolicy == nil && ["ClusterIP", "NodePort", "LoadBalancer"].contains(type) {
            spec.internalTrafficPolicy = "Cluster"
        }
        if type == "LoadBalancer" && spec.allocateLoadBalancerNodePorts == nil {
            spec.allocateLoadBalancerNodePorts = true
        }
        if spec.sessionAffinity == "ClientIP" && spec.sessionAffinityConfig?.clientIP?.timeoutSeconds == nil {
            spec.sessionAffinityConfig = SessionAffinityConfig(
                clientIP: ClientIPConfig(timeoutSeconds: Self.defaultClientIPTimeoutSeconds))
        }
        self.spec = spec
    }
}

extension Endpoints: DefaultedValue {
    mutating func setDefaults() {
        for subset in subsets.indices {
            for port in subsets[subset].ports.indices { setIfEmpty(&subsets[subset].ports[port].protocol, "TCP") }
        }
    }
}

extension Secret: DefaultedValue {
    /// stringData is write-only, as in Kubernetes: its entries are merged into data (winning
    /// over the same key there) and never stored or returned.
    mutating func setDefaults() {
        setIfEmpty(&type, "Opaque")
        for (key, value) in stringData { data[key] = Array(value.utf8) }
        stringData = [:]
    }
}

extension Namespace: DefaultedValue {
    /// The label every namespace carries with its own name, so selectors can pick namespaces by name.
    static let nameLabel = "kubernetes.io/metadata.name"

    mutating func setDefaults() {
        if let name = metadata?.name, !name.isEmpty { metadata?.labels[Self.nameLabel] = name }
        var status = self.status ?? NamespaceStatus()
        setIfEmpty(&status.phase, "Active")
        self.status = status
    }
}

extension Node: DefaultedValue {
    mutating func setDefaults() {
        // A node that reports no allocatable resources offers all of its capacity.
        if let capacity = status?.capacity, !capacity.isEmpty, status?.allocatable.isEmpty == true {
            status?.allocatable = capacity
        }
    }
}

extension PersistentVolume: DefaultedValue {
    mutating func setDefaults() {
        var spec = self.spec ?? PersistentVolumeSpec()
        setIfEmpty(&spec.persistentVolumeReclaimPolicy, "Retain")
        if spec.volumeMode == nil { spec.volumeMode = "Filesystem" }
        self.spec = spec
        var status = self.status ?? PersistentVolumeStatus()
        setIfEmpty(&status.phase, "Pending")
        self.status = status
    }
}

extension PersistentVolumeClaim: DefaultedValue {
    mutating func setDefaults() {
        spec.setDefaultsCreating()
        var status = self.status ?? PersistentVolumeClaimStatus()
        setIfEmpty(&status.phase, "Pending")
        self.status = status
    }
}

extension PersistentVolumeClaimSpec: DefaultedValue {
    mutating func setDefaults() {
        if volumeMode == nil { volumeMode = "Filesystem" }
    }
}

extension StorageClass: DefaultedValue {
    mutating func setDefaults() {
        if reclaimPolicy == nil { reclaimPolicy = "Delete" }
        if volumeBindingMode == nil { volumeBindingMode = "Immediate" }
    }
}

/// RBAC's API group, which users and groups belong to and roles are defined in.
private let rbacGroup = "rbac.authorization.k8s.io"

extension RoleBinding: DefaultedValue {
    mutating func setDefaults() {
        if roleRef != nil { setIfEmpty(&roleRef!.apiGroup, rbacGroup) }
        for index in subjects.indices { subjects[index].setDefaults() }
    }
}

extension ClusterRoleBinding: DefaultedValue {
    mutating func setDefaults() {
        if roleRef != nil { setIfEmpty(&roleRef!.apiGroup, rbacGroup) }
        for index in subjects.indices { subjects[index].setDefaults() }
    }
}

extension Subject {
    mutating func setDefaults() {
        guard apiGroup?.isEmpty ?? true else { return }
        switch kind {
        case "ServiceAccount": apiGroup = ""
        case "User", "Group": apiGroup = rbacGroup
        default: break
        }
    }
}
