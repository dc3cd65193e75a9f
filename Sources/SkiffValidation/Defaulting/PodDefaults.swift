/// PodDefaults: Kubernetes' defaults for pods and for the pod templates inside PodTemplates,
/// ReplicationControllers, Deployments, ReplicaSets, DaemonSets, StatefulSets, Jobs and
/// CronJobs: the spec, every container and init container, probes and lifecycle hooks, env
/// field references and volumes.
///
/// A few defaults apply to Pods only, as in Kubernetes: enableServiceLinks, requests copied from
/// limits, and host ports on the host network. A template keeps them unset so that changing
/// the default later does not change every workload's template hash.
///
/// Concurrency: pure functions on values. Must never: overwrite a field the user set.
import SkiffWire

extension Pod: DefaultedValue {
    mutating func setDefaults() {
        var spec = self.spec ?? PodSpec()
        spec.setDefaults()
        spec.containers = spec.containers.map { $0.withRequestsFromLimits() }
        spec.initContainers = spec.initContainers.map { $0.withRequestsFromLimits() }
        if spec.enableServiceLinks == nil { spec.enableServiceLinks = true }
        if spec.hostNetwork == true {
            spec.containers = spec.containers.map { $0.withHostPortsOnHostNetwork() }
            spec.initContainers = spec.initContainers.map { $0.withHostPortsOnHostNetwork() }
        }
        self.spec = spec
    }
}

extension PodTemplate: DefaultedValue {
    mutating func setDefaults() { template.setDefaultsCreating() }
}

extension PodTemplateSpec: DefaultedValue {
    mutating func setDefaults() { spec.setDefaultsCreating() }
}

extension PodSpec: DefaultedValue {
    mutating func setDefaults() {
        setIfEmpty(&dnsPolicy, "ClusterFirst")
        setIfEmpty(&restartPolicy, "Always")
        if securityContext == nil { securityContext = PodSecurityContext() }
        if terminationGracePeriodSeconds == nil { terminationGracePeriodSeconds = 30 }
        setIfEmpty(&schedulerName, "default-scheduler")
        for index in containers.indices { containers[index].setDefaults() }
        for index in initContainers.indices { initContainers[index].setDefaults() }
        for index in volumes.indices { volumes[index].setDefaults() }
    }
}

extension Container: DefaultedValue {
    mutating func setDefaults() {
        setIfEmpty(&imagePullPolicy, Self.defaultPullPolicy(image: image ?? ""))
        setIfEmpty(&terminationMessagePath, "/dev/termination-log")
        setIfEmpty(&terminationMessagePolicy, "File")
        for index in ports.indices { setIfEmpty(&ports[index].protocol, "TCP") }
        for index in env.indices { env[index].valueFrom?.fieldRef?.setDefaults() }
        livenessProbe?.setDefaults()
        readinessProbe?.setDefaults()
        startupProbe?.setDefaults()
        lifecycle?.postStart?.httpGet?.setDefaults()
        lifecycle?.preStop?.httpGet?.setDefaults()
    }

    /// Always for an image tagged `latest` or not tagged at all (which means latest), else
    /// IfNotPresent: a pinned tag or a digest names content that does not change.
    static func defaultPullPolicy(image: String) -> String {
        var name = Substring(image)
        var hasDigest = false
        if let at = name.firstIndex(of: "@") {
            name = name[..<at]
            hasDigest = true
        }
        // A colon before the last slash belongs to a registry's port, not to the tag.
        let lastComponent = name.lastIndex(of: "/").map { name[name.index(after: $0)...] } ?? name
        let tag = lastComponent.firstIndex(of: ":").map { lastComponent[lastComponent.index(after: $0)...] }
        if image.isEmpty { return "IfNotPresent" }
        if let tag { return tag == "latest" ? "Always" : "IfNotPresent" }
        return hasDigest ? "IfNotPresent" : "Always"
    }

    /// Requests default to limits for each resource with a limit and no request (Pods only).
    func withRequestsFromLimits() -> Container {
        guard let limits = resources?.limits, !limits.isEmpty else { return self }
        var copy = self
        for (name, limit) in limits where copy.resources?.requests[name] == nil {
            copy.resources?.requests[name] = limit
        }
        return copy
    }

    /// On the host network a container port is a host port (Pods only).
    func withHostPortsOnHostNetwork() -> Container {
        var copy = self
        for index in copy.ports.indices where (copy.ports[index].hostPort ?? 0) == 0 {
            copy.ports[index].hostPort = copy.ports[index].containerPort
        }
        return copy
    }
}

extension Probe: DefaultedValue {
    mutating func setDefaults() {
        setIfZero(&timeoutSeconds, 1)
        setIfZero(&periodSeconds, 10)
        setIfZero(&successThreshold, 1)
        setIfZero(&failureThreshold, 3)
        httpGet?.setDefaults()
    }
}

extension HTTPGetAction: DefaultedValue {
    mutating func setDefaults() {
        setIfEmpty(&path, "/")
        setIfEmpty(&scheme, "HTTP")
    }
}

extension ObjectFieldSelector: DefaultedValue {
    mutating func setDefaults() { setIfEmpty(&apiVersion, "v1") }
}

extension Volume: DefaultedValue {
    /// Files projected into a volume are readable by all and writable by the owner: 0644.
    static let defaultMode: Int32 = 0o644

    mutating func setDefaults() {
        if hostPath != nil && hostPath?.type == nil { hostPath?.type = "" }
        if secret != nil && secret?.defaultMode == nil { secret?.defaultMode = Self.defaultMode }
        if configMap != nil && configMap?.defaultMode == nil { configMap?.defaultMode = Self.defaultMode }
        if var downwardAPI {
            if downwardAPI.defaultMode == nil { downwardAPI.defaultMode = Self.defaultMode }
            for index in downwardAPI.items.indices { downwardAPI.items[index].fieldRef?.setDefaults() }
            self.downwardAPI = downwardAPI
        }
        if var projected {
            if projected.defaultMode == nil { projected.defaultMode = Self.defaultMode }
            for index in projected.sources.indices {
                if let items = projected.sources[index].downwardAPI?.items {
                    for item in items.indices { projected.sources[index].downwardAPI?.items[item].fieldRef?.setDefaults() }
                }
                if projected.sources[index].serviceAccountToken != nil,
                   projected.sources[index].serviceAccountToken?.expirationSeconds == nil {
                    projected.sources[index].serviceAccountToken?.expirationSeconds = 3600
                }
            }
            self.projected = projected
        }
        ephemeral?.volumeClaimTemplate?.spec.setDefaultsCreating()
        if var source = image {
            setIfEmpty(&source.pullPolicy, Container.defaultPullPolicy(image: source.reference ?? ""))
            image = source
        }
    }
}
