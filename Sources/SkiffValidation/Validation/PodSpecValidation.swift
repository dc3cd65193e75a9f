/// PodSpecValidation: a pod spec, in a Pod or in any template: containers and init containers
/// (unique names, host ports), volumes, restart and DNS policies, scheduling constraints
/// (node selector, affinity, tolerations, spread), security context and the remaining fields.
///
/// Concurrency: pure functions. Must never: assume defaulting ran on a field it does not fill;
/// every field is optional here and an absent one is either Required or left alone.
import SkiffAPI
import SkiffWire

enum PodSpecValidation {
    static let restartPolicies = ["Always", "OnFailure", "Never"]
    static let dnsPolicies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
    static let taintEffects = ["NoSchedule", "PreferNoSchedule", "NoExecute"]
    private static let maxInt32: Int64 = 2_147_483_647

    /// Where a spec sits changes a few rules: a Pod's host ports must equal its container
    /// ports with host networking; a template may leave them to be defaulted.
    enum Owner { case pod, template }

    /// `extraVolumes` names volumes a controller adds (a StatefulSet's claim templates).
    static func validate(_ spec: PodSpec?, _ path: FieldPath, owner: Owner, extraVolumes: [String] = []) -> [FieldError] {
        guard let spec else { return [.required(path)] }
        var errors: [FieldError] = []
        if spec.terminationGracePeriodSeconds == nil {
            errors.append(.required(path.child("terminationGracePeriodSeconds")))
        }
        errors += FieldChecks.nonNegative(spec.terminationGracePeriodSeconds, path.child("terminationGracePeriodSeconds"))
        let grace = spec.terminationGracePeriodSeconds

        var (volumeErrors, volumes) = VolumeValidation.validate(spec.volumes, path.child("volumes"))
        errors += volumeErrors
        for name in extraVolumes where volumes[name] == nil {
            volumes[name] = Volume(name: name, persistentVolumeClaim: PersistentVolumeClaimVolumeSource(claimName: name))
        }
        errors += containers(spec.containers, volumes: volumes, gracePeriod: grace, path.child("containers"))
        errors += initContainers(spec.initContainers, regular: spec.containers, volumes: volumes, gracePeriod: grace,
                                 path.child("initContainers"))
        if spec.hostNetwork == true {
            errors += hostNetworkPorts(spec.containers, path.child("containers"), owner: owner)
        }
        errors += FieldChecks.requiredChoice(spec.restartPolicy, restartPolicies, path.child("restartPolicy"))
        errors += FieldChecks.requiredChoice(spec.dnsPolicy, dnsPolicies, path.child("dnsPolicy"))
        errors += FieldChecks.labels(spec.nodeSelector, path.child("nodeSelector"))
        errors += podSecurityContext(spec, path.child("securityContext"))
        errors += affinity(spec.affinity, path.child("affinity"))
        errors += dnsConfig(spec.dnsConfig, policy: spec.dnsPolicy, path.child("dnsConfig"))
        for (index, gate) in spec.readinessGates.enumerated() {
            let condition = gate.conditionType ?? ""
            errors += FieldChecks.format(NameFormats.qualifiedName(condition), condition,
                                         path.child("readinessGates").index(index).child("conditionType"))
        }
        errors += schedulingGates(spec.schedulingGates, path.child("schedulingGates"))
        errors += topologySpread(spec.topologySpreadConstraints, path.child("topologySpreadConstraints"))
        errors += FieldChecks.optionalName(spec.serviceAccountName, path.child("serviceAccountName"), NameFormats.dns1123Subdomain)
        errors += FieldChecks.optionalName(spec.nodeName, path.child("nodeName"), NameFormats.dns1123Subdomain)
        errors += FieldChecks.inRange(spec.activeDeadlineSeconds, 1, maxInt32, path.child("activeDeadlineSeconds"))
        errors += FieldChecks.optionalName(spec.hostname, path.child("hostname"), NameFormats.dns1123Label)
        errors += FieldChecks.optionalName(spec.subdomain, path.child("subdomain"), NameFormats.dns1123Label)
        errors += tolerations(spec.tolerations, path.child("tolerations"))
        for (index, alias) in spec.hostAliases.enumerated() {
            let aliasPath = path.child("hostAliases").index(index)
            errors += NetworkAddress.validateIP(alias.ip ?? "", aliasPath.child("ip"))
            for (hostIndex, hostname) in alias.hostnames.enumerated() {
                errors += FieldChecks.format(NameFormats.dns1123Subdomain(hostname), hostname,
                                             aliasPath.child("hostnames").index(hostIndex))
            }
        }
        errors += FieldChecks.optionalName(spec.priorityClassName, path.child("priorityClassName"), NameFormats.dns1123Subdomain)
        if let runtimeClass = spec.runtimeClassName {
            errors += FieldChecks.format(NameFormats.dns1123Subdomain(runtimeClass), runtimeClass, path.child("runtimeClassName"))
        }
        if let preemption = spec.preemptionPolicy {
            errors += FieldChecks.requiredChoice(preemption, ["PreemptLowerPriority", "Never"], path.child("preemptionPolicy"))
        }
        errors += ResourceValidation.requirements(limits: spec.overhead, requests: [:], path.child("overhead"))
        if let os = spec.os {
            if (os.name ?? "").isEmpty {
                errors.append(.required(path.child("os").child("name"), "cannot be empty"))
            } else {
                errors += FieldChecks.optionalChoice(os.name, ["linux", "windows"], path.child("os"))
            }
        }
        return errors
    }

    // MARK: Containers

    private static func containers(_ containers: [Container], volumes: [String: Volume], gracePeriod: Int64?,
                                   _ path: FieldPath) -> [FieldError] {
        guard !containers.isEmpty else { return [.required(path)] }
        var errors: [FieldError] = []
        var names: Set<String> = []
        for (index, container) in containers.enumerated() {
            let containerPath = path.index(index)
            errors += ContainerValidation.common(container, volumes: volumes, containerPath)
            let name = container.name ?? ""
            if !names.insert(name).inserted { errors.append(.duplicate(containerPath.child("name"), name)) }
            errors += ContainerValidation.probesAndHooks(container, gracePeriod: gracePeriod, containerPath)
            if container.restartPolicy != nil {
                errors.append(.forbidden(containerPath.child("restartPolicy"), "may not be set for non-init containers"))
            }
        }
        errors += hostPortConflicts(Array(containers.enumerated()), path)
        return errors
    }

    private static func initContainers(_ containers: [Container], regular: [Container], volumes: [String: Volume],
                                       gracePeriod: Int64?, _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        var names = Set(regular.map { $0.name ?? "" })
        for (index, container) in containers.enumerated() {
            let containerPath = path.index(index)
            errors += ContainerValidation.common(container, volumes: volumes, containerPath)
            let restartable = container.restartPolicy == "Always"
            if let policy = container.restartPolicy, policy != "Always" {
                errors.append(.notSupported(containerPath.child("restartPolicy"), policy, ["Always"]))
            }
            let name = container.name ?? ""
            if names.contains(name) {
                errors.append(.duplicate(containerPath.child("name"), name))
            } else if !name.isEmpty {
                names.insert(name)
            }
            // Init containers run one at a time, so only ports within one can conflict.
            errors += hostPortConflicts([(index, container)], path)
            if restartable {
                errors += ContainerValidation.probesAndHooks(container, gracePeriod: gracePeriod, containerPath)
            } else {
                let fields: [(String, Bool)] = [("lifecycle", container.lifecycle != nil),
                                                ("livenessProbe", container.livenessProbe != nil),
                                                ("readinessProbe", container.readinessProbe != nil),
                                                ("startupProbe", container.startupProbe != nil)]
                for (field, present) in fields where present {
                    errors.append(.forbidden(containerPath.child(field),
                                             "may not be set for init containers without restartPolicy=Always"))
                }
            }
        }
        return errors
    }

    /// Two ports may not claim the same protocol, host IP and host port.
    private static func hostPortConflicts(_ containers: [(offset: Int, element: Container)], _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        var taken: Set<String> = []
        for (containerIndex, container) in containers {
            for (portIndex, port) in container.ports.enumerated() {
                guard let hostPort = port.hostPort, hostPort != 0 else { continue }
                let key = "\(port.protocol ?? "")/\(port.hostIP ?? "")/\(hostPort)"
                if !taken.insert(key).inserted {
                    errors.append(.duplicate(path.index(containerIndex).child("ports").index(portIndex).child("hostPort"), key))
                }
            }
        }
        return errors
    }

    private static func hostNetworkPorts(_ containers: [Container], _ path: FieldPath, owner: Owner) -> [FieldError] {
        var errors: [FieldError] = []
        for (containerIndex, container) in containers.enumerated() {
            for (portIndex, port) in container.ports.enumerated() {
                let hostPort = port.hostPort ?? 0, containerPort = port.containerPort ?? 0
                if (owner == .pod || hostPort != 0) && hostPort != containerPort {
                    errors.append(.invalid(path.index(containerIndex).child("ports").index(portIndex).child("hostPort"),
                                           String(hostPort), "must match `containerPort` when `hostNetwork` is true"))
                }
            }
        }
        return errors
    }

    // MARK: Scheduling

    static func tolerations(_ tolerations: [Toleration], _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        for (index, toleration) in tolerations.enumerated() {
            let tolerationPath = path.index(index)
            let key = toleration.key ?? "", op = toleration.operator ?? "", value = toleration.value ?? ""
            let effect = toleration.effect ?? ""
            if !key.isEmpty { errors += FieldChecks.format(NameFormats.qualifiedName(key), key, tolerationPath.child("key")) }
            if key.isEmpty && op != "Exists" {
                errors.append(.invalid(tolerationPath.child("operator"), op,
                                       "operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
            }
            if toleration.tolerationSeconds != nil && effect != "NoExecute" {
                errors.append(.invalid(tolerationPath.child("effect"), effect,
                                       "effect must be 'NoExecute' when `tolerationSeconds` is set"))
            }
            switch op {
            case "Equal", "":
                let problems = NameFormats.labelValue(value)
                if !problems.isEmpty {
                    errors.append(.invalid(tolerationPath.child("operator"), value, problems.joined(separator: ";")))
                }
            case "Exists":
                if !value.isEmpty {
                    errors.append(.invalid(tolerationPath.child("operator"), value, "value must be empty when `operator` is 'Exists'"))
                }
            default:
                errors.append(.notSupported(tolerationPath.child("operator"), op, ["Equal", "Exists"]))
            }
            if !effect.isEmpty { errors += FieldChecks.optionalChoice(effect, taintEffects, tolerationPath.child("effect")) }
        }
        return errors
    }

    private static func affinity(_ affinity: Affinity?, _ path: FieldPath) -> [FieldError] {
        guard let affinity else { return [] }
        var errors: [FieldError] = []
        if let node = affinity.nodeAffinity {
            let nodePath = path.child("nodeAffinity")
            if let required = node.requiredDuringSchedulingIgnoredDuringExecution {
                errors += nodeSelector(required, nodePath.child("requiredDuringSchedulingIgnoredDuringExecution"))
            }
            for (index, term) in node.preferredDuringSchedulingIgnoredDuringExecution.enumerated() {
                let termPath = nodePath.child("preferredDuringSchedulingIgnoredDuringExecution").index(index)
                errors += weight(term.weight, termPath.child("weight"))
                errors += nodeSelectorTerm(term.preference ?? NodeSelectorTerm(), termPath.child("preference"),
                                           checkValues: false)
            }
        }
        if let pods = affinity.podAffinity {
            errors += podAffinity(required: pods.requiredDuringSchedulingIgnoredDuringExecution,
                                  preferred: pods.preferredDuringSchedulingIgnoredDuringExecution, path.child("podAffinity"))
        }
        if let pods = affinity.podAntiAffinity {
            errors += podAffinity(required: pods.requiredDuringSchedulingIgnoredDuringExecution,
                                  preferred: pods.preferredDuringSchedulingIgnoredDuringExecution, path.child("podAntiAffinity"))
        }
        return errors
    }

    /// Pod affinity and anti-affinity share their shape: required terms and weighted ones.
    private static func podAffinity(required: [PodAffinityTerm], preferred: [WeightedPodAffinityTerm],
                                    _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        for (index, term) in required.enumerated() {
            errors += podAffinityTerm(term, path.child("requiredDuringSchedulingIgnoredDuringExecution").index(index))
        }
        for (index, weighted) in preferred.enumerated() {
            let termPath = path.child("preferredDuringSchedulingIgnoredDuringExecution").index(index)
            errors += weight(weighted.weight, termPath.child("weight"))
            errors += podAffinityTerm(weighted.podAffinityTerm ?? PodAffinityTerm(), termPath.child("podAffinityTerm"))
        }
        return errors
    }

    private static func weight(_ weight: Int32?, _ path: FieldPath) -> [FieldError] {
        let weight = weight ?? 0
        return (1...100).contains(weight) ? [] : [.invalid(path, String(weight), "must be in the range 1-100")]
    }

    private static func podAffinityTerm(_ term: PodAffinityTerm, _ path: FieldPath) -> [FieldError] {
        var errors = LabelSelectorValidation.validate(term.labelSelector, path.child("labelSelector"))
        errors += LabelSelectorValidation.validate(term.namespaceSelector, path.child("namespaceSelector"))
        for namespace in term.namespaces {
            errors += FieldChecks.format(NameFormats.dns1123Label(namespace), namespace, path.child("namespace"))
        }
        for (field, keys) in [("matchLabelKeys", term.matchLabelKeys), ("mismatchLabelKeys", term.mismatchLabelKeys)] {
            if !keys.isEmpty && term.labelSelector == nil {
                errors.append(.forbidden(path.child(field), "must not be specified when labelSelector is not set"))
            }
        }
        let topologyKey = term.topologyKey ?? ""
        if topologyKey.isEmpty { errors.append(.required(path.child("topologyKey"), "can not be empty")) }
        errors += FieldChecks.format(NameFormats.qualifiedName(topologyKey), topologyKey, path.child("topologyKey"))
        return errors
    }

    /// A node selector of node affinity or of a persistent volume.
    static func nodeSelector(_ selector: NodeSelector, _ path: FieldPath) -> [FieldError] {
        let termsPath = path.child("nodeSelectorTerms")
        guard !selector.nodeSelectorTerms.isEmpty else {
            return [.required(termsPath, "must have at least one node selector term")]
        }
        return selector.nodeSelectorTerms.enumerated().flatMap { index, term in
            nodeSelectorTerm(term, termsPath.index(index), checkValues: true)
        }
    }

    /// `checkValues` is false for preferred terms: Kubernetes tolerates any value there.
    private static func nodeSelectorTerm(_ term: NodeSelectorTerm, _ path: FieldPath, checkValues: Bool) -> [FieldError] {
        var errors: [FieldError] = []
        for (index, requirement) in term.matchExpressions.enumerated() {
            let requirementPath = path.child("matchExpressions").index(index)
            let valuesPath = requirementPath.child("values")
            errors += LabelSelectorValidation.operatorAndValues(requirement.operator, requirement.values, requirementPath,
                                                                comparisons: true)
            let key = requirement.key ?? ""
            errors += FieldChecks.format(NameFormats.qualifiedName(key), key, requirementPath.child("key"))
            if checkValues {
                for (valueIndex, value) in requirement.values.enumerated() {
                    errors += FieldChecks.format(NameFormats.labelValue(value), value, valuesPath.index(valueIndex))
                }
            }
        }
        for (index, requirement) in term.matchFields.enumerated() {
            let requirementPath = path.child("matchFields").index(index)
            switch requirement.operator ?? "" {
            case "In", "NotIn":
                if requirement.values.count != 1 {
                    errors.append(.required(requirementPath.child("values"),
                                            "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"))
                }
            case let other:
                errors.append(.invalid(requirementPath.child("operator"), other, "not a valid selector operator"))
            }
            if requirement.key != "metadata.name" {
                errors.append(.invalid(requirementPath.child("key"), requirement.key ?? "", "not a valid field selector key"))
            } else {
                for (valueIndex, value) in requirement.values.enumerated() {
                    errors += FieldChecks.format(NameFormats.dns1123Subdomain(value), value,
                                                 requirementPath.child("values").index(valueIndex))
                }
            }
        }
        return errors
    }

    private static func topologySpread(_ constraints: [TopologySpreadConstraint], _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        for (index, constraint) in constraints.enumerated() {
            let constraintPath = path.index(index)
            let skew = constraint.maxSkew ?? 0
            if skew <= 0 { errors.append(.invalid(constraintPath.child("maxSkew"), String(skew), "must be greater than zero")) }
            if (constraint.topologyKey ?? "").isEmpty {
                errors.append(.required(constraintPath.child("topologyKey"), "can not be empty"))
            }
            let action = constraint.whenUnsatisfiable ?? ""
            if !["DoNotSchedule", "ScheduleAnyway"].contains(action) {
                errors.append(.notSupported(constraintPath.child("whenUnsatisfiable"), action, ["DoNotSchedule", "ScheduleAnyway"]))
            }
            for later in constraints[(index + 1)...] where later.topologyKey == constraint.topologyKey
                && later.whenUnsatisfiable == constraint.whenUnsatisfiable {
                errors.append(.duplicate(constraintPath.child("{topologyKey, whenUnsatisfiable}"),
                                         "{\(constraint.topologyKey ?? ""), \(action)}"))
                break
            }
            if let minDomains = constraint.minDomains {
                if minDomains <= 0 {
                    errors.append(.invalid(constraintPath.child("minDomains"), String(minDomains), "must be greater than zero"))
                }
                if action != "DoNotSchedule" {
                    errors.append(.invalid(constraintPath.child("minDomains"), String(minDomains),
                                           "can only use minDomains if whenUnsatisfiable=DoNotSchedule, not \(action)"))
                }
            }
            errors += FieldChecks.optionalChoice(constraint.nodeAffinityPolicy, ["Honor", "Ignore"], constraintPath.child("nodeAffinityPolicy"))
            errors += FieldChecks.optionalChoice(constraint.nodeTaintsPolicy, ["Honor", "Ignore"], constraintPath.child("nodeTaintsPolicy"))
            errors += LabelSelectorValidation.validate(constraint.labelSelector, constraintPath.child("labelSelector"))
        }
        return errors
    }

    private static func schedulingGates(_ gates: [PodSchedulingGate], _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        var seen: Set<String> = []
        for (index, gate) in gates.enumerated() {
            let name = gate.name ?? ""
            errors += FieldChecks.format(NameFormats.qualifiedName(name), name, path.index(index))
            if !seen.insert(name).inserted { errors.append(.duplicate(path.index(index), name)) }
        }
        return errors
    }

    // MARK: DNS and security

    private static func dnsConfig(_ config: PodDNSConfig?, policy: String?, _ path: FieldPath) -> [FieldError] {
        if policy == "None" {
            guard let config else { return [.required(path, "must provide `dnsConfig` when `dnsPolicy` is None")] }
            if config.nameservers.isEmpty {
                return [.required(path.child("nameservers"), "must provide at least one DNS nameserver when `dnsPolicy` is None")]
            }
        }
        guard let config else { return [] }
        var errors: [FieldError] = []
        if config.nameservers.count > 3 {
            errors.append(.invalid(path.child("nameservers"), "must not have more than 3 nameservers"))
        }
        for (index, server) in config.nameservers.enumerated() {
            errors += NetworkAddress.validateIP(server, path.child("nameservers").index(index))
        }
        if config.searches.count > 32 {
            errors.append(.invalid(path.child("searches"), "must not have more than 32 search paths"))
        }
        if config.searches.joined(separator: " ").utf8.count > 2048 {
            errors.append(.invalid(path.child("searches"), "must not have more than 2048 characters (including spaces) in the search list"))
        }
        for (index, search) in config.searches.enumerated() where search != "." {
            let domain = search.hasSuffix(".") ? String(search.dropLast()) : search
            errors += FieldChecks.format(NameFormats.dns1123Subdomain(domain), domain, path.child("searches").index(index))
        }
        for (index, option) in config.options.enumerated() where (option.name ?? "").isEmpty {
            errors.append(.required(path.child("options").index(index), "must not be empty"))
        }
        return errors
    }

    private static func podSecurityContext(_ spec: PodSpec, _ path: FieldPath) -> [FieldError] {
        guard let context = spec.securityContext else { return [] }
        var errors = FieldChecks.inRange(context.fsGroup, 0, maxInt32, path.child("fsGroup"))
        errors += FieldChecks.inRange(context.runAsUser, 0, maxInt32, path.child("runAsUser"))
        errors += FieldChecks.inRange(context.runAsGroup, 0, maxInt32, path.child("runAsGroup"))
        for (index, group) in context.supplementalGroups.enumerated() {
            errors += FieldChecks.inRange(group, 0, maxInt32, path.child("supplementalGroups").index(index))
        }
        if context.supplementalGroupsPolicy != nil {
            errors += FieldChecks.optionalChoice(context.supplementalGroupsPolicy, ["Merge", "Strict"],
                                                 path.child("supplementalGroupsPolicy"))
        }
        if spec.shareProcessNamespace == true && spec.hostPID == true {
            errors.append(.invalid(path.child("shareProcessNamespace"), "true", "ShareProcessNamespace and HostPID cannot both be enabled"))
        }
        var sysctlNames: Set<String> = []
        for (index, sysctl) in context.sysctls.enumerated() {
            let namePath = path.child("sysctls").index(index).child("name")
            let name = sysctl.name ?? ""
            if name.isEmpty {
                errors.append(.required(namePath))
            } else if !isSysctlName(name) {
                errors.append(.invalid(namePath, name,
                                       "must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$"))
            } else if !sysctlNames.insert(name).inserted {
                errors.append(.duplicate(namePath, name))
            }
        }
        errors += FieldChecks.optionalChoice(context.fsGroupChangePolicy, ["Always", "OnRootMismatch"], path.child("fsGroupChangePolicy"))
        errors += seccompProfile(context.seccompProfile, path.child("seccompProfile"))
        return errors
    }

    static func seccompProfile(_ profile: SeccompProfile?, _ path: FieldPath) -> [FieldError] {
        guard let profile else { return [] }
        let type = profile.type ?? ""
        var errors: [FieldError] = []
        switch type {
        case "Localhost", "RuntimeDefault", "Unconfined": break
        case "": errors.append(.required(path.child("type"), "type is required when seccompProfile is set"))
        default: errors.append(.notSupported(path.child("type"), type, ["Localhost", "RuntimeDefault", "Unconfined"]))
        }
        if type == "Localhost" {
            if let local = profile.localhostProfile {
                errors += VolumeValidation.localDescendingPath(local, path.child("localhostProfile"))
            } else {
                errors.append(.required(path.child("localhostProfile"), "must be set when seccomp type is Localhost"))
            }
        } else if profile.localhostProfile != nil {
            errors.append(.invalid(path.child("localhostProfile"), "can only be set when seccomp type is Localhost"))
        }
        return errors
    }

    private static func isSysctlName(_ name: String) -> Bool {
        guard name.utf8.count <= 253 else { return false }
        let segments = name.utf8.split(omittingEmptySubsequences: false) { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "/") }
        return segments.allSatisfy { segment in
            guard let first = segment.first, let last = segment.last else { return false }
            return NameFormats.isLowerAlphanumeric(first) && NameFormats.isLowerAlphanumeric(last)
                && segment.allSatisfy { NameFormats.isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
        }
    }
}
