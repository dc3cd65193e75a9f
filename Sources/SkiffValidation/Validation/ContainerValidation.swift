/// ContainerValidation: one container of a pod spec: name and image, ports, environment,
/// mounts, resources, probes and lifecycle handlers, security context.
///
/// Concurrency: pure functions. Must never: check uniqueness across containers here; the pod
/// spec owns the lists and reports duplicates once, on the later entry.
import SkiffAPI
import SkiffWire

enum ContainerValidation {
    static let protocols = ["SCTP", "TCP", "UDP"]
    static let pullPolicies = ["Always", "IfNotPresent", "Never"]
    static let terminationMessagePolicies = ["File", "FallbackToLogsOnError"]
    static let mountPropagations = ["Bidirectional", "HostToContainer", "None"]

    /// Downward API fields an env var may read.
    static let environmentFieldPaths = [
        "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
        "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs",
    ]
    /// Downward API fields a volume file may hold.
    static let volumeFieldPaths = ["metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace",
                                   "metadata.uid"]
    static let resourceFieldPaths = ["limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu",
                                     "requests.ephemeral-storage", "requests.memory"]

    /// What every kind of container must satisfy.
    static func common(_ container: Container, volumes: [String: Volume], _ path: FieldPath) -> [FieldError] {
        var errors = FieldChecks.requiredName(container.name, path.child("name"), NameFormats.dns1123Label)
        if (container.image ?? "").isEmpty { errors.append(.required(path.child("image"))) }
        errors += FieldChecks.requiredChoice(container.terminationMessagePolicy, terminationMessagePolicies,
                                             path.child("terminationMessagePolicy"))
        errors += ports(container.ports, path.child("ports"))
        errors += environment(container.env, path.child("env"))
        errors += environmentSources(container.envFrom, path.child("envFrom"))
        errors += mounts(container, volumes: volumes, path.child("volumeMounts"))
        errors += devices(container, volumes: volumes, path.child("volumeDevices"))
        errors += FieldChecks.requiredChoice(container.imagePullPolicy, pullPolicies, path.child("imagePullPolicy"))
        errors += ResourceValidation.requirements(limits: container.resources?.limits ?? [:],
                                                  requests: container.resources?.requests ?? [:],
                                                  path.child("resources"))
        errors += securityContext(container.securityContext, path.child("securityContext"))
        return errors
    }

    /// Probes and lifecycle hooks, allowed on regular containers and restartable init containers.
    static func probesAndHooks(_ container: Container, gracePeriod: Int64?, _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if let lifecycle = container.lifecycle {
            if let hook = lifecycle.postStart { errors += handler(hook, gracePeriod: gracePeriod, path.child("lifecycle").child("postStart")) }
            if let hook = lifecycle.preStop { errors += handler(hook, gracePeriod: gracePeriod, path.child("lifecycle").child("preStop")) }
        }
        if let probe = container.livenessProbe {
            errors += self.probe(probe, path.child("livenessProbe"))
            errors += successThresholdIsOne(probe, path.child("livenessProbe"))
        }
        if let probe = container.readinessProbe {
            errors += self.probe(probe, path.child("readinessProbe"))
            if let grace = probe.terminationGracePeriodSeconds {
                errors.append(.invalid(path.child("readinessProbe").child("terminationGracePeriodSeconds"), String(grace),
                                       "must not be set for readinessProbes"))
            }
        }
        if let probe = container.startupProbe {
            errors += self.probe(probe, path.child("startupProbe"))
            errors += successThresholdIsOne(probe, path.child("startupProbe"))
        }
        return errors
    }

    // MARK: Ports

    static func ports(_ ports: [ContainerPort], _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        var names: Set<String> = []
        for (index, port) in ports.enumerated() {
            let portPath = path.index(index)
            if let name = port.name, !name.isEmpty {
                let problems = NameFormats.portName(name)
                if !problems.isEmpty {
                    errors += FieldChecks.format(problems, name, portPath.child("name"))
                } else if !names.insert(name).inserted {
                    errors.append(.duplicate(portPath.child("name"), name))
                }
            }
            if let number = port.containerPort, number != 0 {
                errors += FieldChecks.portNumber(number, portPath.child("containerPort"))
            } else {
                errors.append(.required(portPath.child("containerPort")))
            }
            if let hostPort = port.hostPort, hostPort != 0 {
                errors += FieldChecks.portNumber(hostPort, portPath.child("hostPort"))
            }
            errors += FieldChecks.requiredChoice(port.protocol, protocols, portPath.child("protocol"))
        }
        return errors
    }

    // MARK: Environment

    static func environment(_ variables: [EnvVar], _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        for (index, variable) in variables.enumerated() {
            let variablePath = path.index(index)
            errors += FieldChecks.requiredName(variable.name, variablePath.child("name"), NameFormats.environmentVariableName)
            guard let source = variable.valueFrom else { continue }
            let sourcePath = variablePath.child("valueFrom")
            var count = 0
            if let fieldRef = source.fieldRef {
                count += 1
                errors += objectFieldSelector(fieldRef, environmentFieldPaths, sourcePath.child("fieldRef"))
            }
            if let resourceRef = source.resourceFieldRef {
                count += 1
                errors += resourceFieldSelector(resourceRef, sourcePath.child("resourceFieldRef"), requireContainer: false)
            }
            if let ref = source.configMapKeyRef {
                count += 1
                errors += keySelector(name: ref.name, key: ref.key, sourcePath.child("configMapKeyRef"))
            }
            if let ref = source.secretKeyRef {
                count += 1
                errors += keySelector(name: ref.name, key: ref.key, sourcePath.child("secretKeyRef"))
            }
            if count == 0 {
                errors.append(.invalid(sourcePath, "",
                                       "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
            } else if !(variable.value ?? "").isEmpty {
                errors.append(.invalid(sourcePath, "", "may not be specified when `value` is not empty"))
            } else if count > 1 {
                errors.append(.invalid(sourcePath, "", "may not have more than one field specified at a time"))
            }
        }
        return errors
    }

    static func environmentSources(_ sources: [EnvFromSource], _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        for (index, source) in sources.enumerated() {
            let sourcePath = path.index(index)
            errors += FieldChecks.optionalName(source.prefix, sourcePath.child("prefix"), NameFormats.environmentVariableName)
            var count = 0
            if let ref = source.configMapRef {
                count += 1
                errors += FieldChecks.requiredName(ref.name, sourcePath.child("configMapRef").child("name"),
                                                   NameFormats.dns1123Subdomain)
            }
            if let ref = source.secretRef {
                count += 1
                errors += FieldChecks.requiredName(ref.name, sourcePath.child("secretRef").child("name"),
                                                   NameFormats.dns1123Subdomain)
            }
            if count == 0 {
                errors.append(.invalid(sourcePath, "", "must specify one of: `configMapRef` or `secretRef`"))
            } else if count > 1 {
                errors.append(.invalid(sourcePath, "", "may not have more than one field specified at a time"))
            }
        }
        return errors
    }

    private static func keySelector(name: String?, key: String?, _ path: FieldPath) -> [FieldError] {
        let name = name ?? ""
        var errors = FieldChecks.format(NameFormats.dns1123Subdomain(name), name, path.child("name"))
        errors += FieldChecks.requiredName(key, path.child("key"), NameFormats.configKey)
        return errors
    }

    /// A downward API field: one of `supported`, or a single label or annotation by key.
    static func objectFieldSelector(_ selector: ObjectFieldSelector, _ supported: [String], _ path: FieldPath) -> [FieldError] {
        // An absent apiVersion is what defaulting fills with "v1".
        if let apiVersion = selector.apiVersion, apiVersion.isEmpty { return [.required(path.child("apiVersion"))] }
        guard let fieldPath = selector.fieldPath, !fieldPath.isEmpty else { return [.required(path.child("fieldPath"))] }
        if let open = fieldPath.firstIndex(of: "["), fieldPath.hasSuffix("]") {
            let base = String(fieldPath[..<open])
            var key = String(fieldPath[fieldPath.index(after: open)..<fieldPath.index(before: fieldPath.endIndex)])
            if key.count >= 2, key.hasPrefix("'"), key.hasSuffix("'") { key = String(key.dropFirst().dropLast()) }
            switch base {
            case "metadata.annotations": return FieldChecks.format(NameFormats.qualifiedName(key.lowercased()), key, path)
            case "metadata.labels": return FieldChecks.format(NameFormats.qualifiedName(key), key, path)
            default: return [.invalid(path, base, "does not support subscript")]
            }
        }
        return supported.contains(fieldPath) ? [] : [.notSupported(path.child("fieldPath"), fieldPath, supported)]
    }

    static func resourceFieldSelector(_ selector: ResourceFieldSelector, _ path: FieldPath, requireContainer: Bool) -> [FieldError] {
        var errors: [FieldError] = []
        let resource = selector.resource ?? ""
        if requireContainer && (selector.containerName ?? "").isEmpty {
            errors.append(.required(path.child("containerName")))
        } else if resource.isEmpty {
            errors.append(.required(path.child("resource")))
        } else if !resourceFieldPaths.contains(resource) && !resource.hasPrefix("requests.hugepages-")
                    && !resource.hasPrefix("limits.hugepages-") {
            errors.append(.notSupported(path.child("resource"), resource, resourceFieldPaths))
        }
        if let divisor = selector.divisor, divisor.milliValue != 0 {
            let cpu = resource == "limits.cpu" || resource == "requests.cpu"
            let allowed: Set<String> = cpu ? ["1m", "1"]
                : ["1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"]
            if (cpu || resource.hasSuffix("memory") || resource.hasSuffix("ephemeral-storage")
                || resource.contains("hugepages-")) && !allowed.contains(divisor.string) {
                let detail = cpu ? "only divisor's values 1m and 1 are supported with the cpu resource"
                    : "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the "
                        + (resource.hasSuffix("memory") ? "memory" : resource.contains("hugepages-") ? "hugepages"
                            : "local ephemeral storage") + " resource"
                errors.append(.invalid(path.child("divisor"), resource, detail))
            }
        }
        return errors
    }

    // MARK: Mounts

    private static func mounts(_ container: Container, volumes: [String: Volume], _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        var mountPaths: Set<String> = []
        let deviceNames = Set(container.volumeDevices.compactMap(\.name))
        let devicePaths = Set(container.volumeDevices.compactMap(\.devicePath))
        let privileged = container.securityContext?.privileged == true
        for (index, mount) in container.volumeMounts.enumerated() {
            let mountPath = path.index(index)
            let name = mount.name ?? ""
            if name.isEmpty { errors.append(.required(mountPath.child("name"))) }
            if volumes[name] == nil { errors.append(.notFound(mountPath.child("name"), name)) }
            let target = mount.mountPath ?? ""
            if target.isEmpty {
                errors.append(.required(mountPath.child("mountPath")))
            } else if !target.hasPrefix("/") {
                errors.append(.invalid(mountPath.child("mountPath"), target, "must be an absolute path"))
            }
            if !mountPaths.insert(target).inserted {
                errors.append(.invalid(mountPath.child("mountPath"), target, "must be unique"))
            }
            if deviceNames.contains(name) {
                errors.append(.invalid(mountPath.child("name"), name, "must not already exist in volumeDevices"))
            }
            if devicePaths.contains(target) {
                errors.append(.invalid(mountPath.child("mountPath"), target, "must not already exist as a path in volumeDevices"))
            }
            if volumes[name]?.image != nil {
                if let subPath = mount.subPath, !subPath.isEmpty {
                    errors.append(.invalid(mountPath.child("subPath"), subPath, "not allowed in image volume sources"))
                }
            }
            if let subPath = mount.subPath, !subPath.isEmpty {
                errors += VolumeValidation.localDescendingPath(subPath, mountPath.child("subPath"))
            }
            if let expression = mount.subPathExpr, !expression.isEmpty {
                if !(mount.subPath ?? "").isEmpty {
                    errors.append(.invalid(mountPath.child("subPathExpr"), expression, "subPathExpr and subPath are mutually exclusive"))
                }
                errors += VolumeValidation.localDescendingPath(expression, mountPath.child("subPathExpr"))
            }
            if let propagation = mount.mountPropagation {
                errors += FieldChecks.optionalChoice(propagation, mountPropagations, mountPath.child("mountPropagation"))
                if propagation == "Bidirectional" && !privileged {
                    errors.append(.forbidden(mountPath.child("mountPropagation"),
                                             "Bidirectional mount propagation is available only to privileged containers"))
                }
            }
            if let recursive = mount.recursiveReadOnly {
                let recursivePath = mountPath.child("recursiveReadOnly")
                switch recursive {
                case "Disabled": break
                case "Enabled", "IfPossible":
                    if mount.readOnly != true {
                        errors.append(.forbidden(recursivePath, "may only be specified when readOnly is true"))
                    }
                    if let propagation = mount.mountPropagation, propagation != "None" {
                        errors.append(.forbidden(recursivePath, "may only be specified when mountPropagation is None or not specified"))
                    }
                default:
                    errors.append(.notSupported(recursivePath, recursive, ["Disabled", "Enabled", "IfPossible"]))
                }
            }
        }
        return errors
    }

    private static func devices(_ container: Container, volumes: [String: Volume], _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        var names: Set<String> = [], devicePaths: Set<String> = []
        let mountNames = Set(container.volumeMounts.compactMap(\.name))
        let mountPaths = Set(container.volumeMounts.compactMap(\.mountPath))
        for (index, device) in container.volumeDevices.enumerated() {
            let devicePath = path.index(index)
            let name = device.name ?? "", target = device.devicePath ?? ""
            if name.isEmpty { errors.append(.required(devicePath.child("name"))) }
            if names.contains(name) { errors.append(.invalid(devicePath.child("name"), name, "must be unique")) }
            if let volume = volumes[name] {
                if volume.persistentVolumeClaim == nil && volume.ephemeral == nil {
                    errors.append(.invalid(devicePath.child("name"), name,
                                           "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode"))
                }
            } else {
                errors.append(.notFound(devicePath.child("name"), name))
            }
            if target.isEmpty { errors.append(.required(devicePath.child("devicePath"))) }
            if devicePaths.contains(target) { errors.append(.invalid(devicePath.child("devicePath"), target, "must be unique")) }
            if !VolumeValidation.noBacksteps(target, devicePath).isEmpty {
                errors.append(.invalid(devicePath.child("devicePath"), target, "can not contain backsteps ('..')"))
            } else {
                devicePaths.insert(target)
            }
            if mountNames.contains(name) {
                errors.append(.invalid(devicePath.child("name"), name, "must not already exist in volumeMounts"))
            }
            if mountPaths.contains(target) {
                errors.append(.invalid(devicePath.child("devicePath"), target, "must not already exist as a path in volumeMounts"))
            }
            if !name.isEmpty { names.insert(name) }
        }
        return errors
    }

    // MARK: Probes and handlers

    private static func probe(_ probe: Probe, _ path: FieldPath) -> [FieldError] {
        var errors = actions(exec: probe.exec, httpGet: probe.httpGet, tcpSocket: probe.tcpSocket, grpc: probe.grpc,
                             sleep: nil, gracePeriod: nil, path)
        errors += FieldChecks.nonNegative(probe.initialDelaySeconds, path.child("initialDelaySeconds"))
        // Defaulting fills these when absent; a value it did not choose must still be positive.
        for (field, value) in [("timeoutSeconds", probe.timeoutSeconds), ("periodSeconds", probe.periodSeconds),
                               ("successThreshold", probe.successThreshold), ("failureThreshold", probe.failureThreshold)] {
            errors += FieldChecks.positive(value, path.child(field), "must be greater than or equal to 1")
        }
        if let grace = probe.terminationGracePeriodSeconds, grace <= 0 {
            errors.append(.invalid(path.child("terminationGracePeriodSeconds"), String(grace), "must be greater than 0"))
        }
        return errors
    }

    private static func successThresholdIsOne(_ probe: Probe, _ path: FieldPath) -> [FieldError] {
        guard let threshold = probe.successThreshold, threshold != 1 else { return [] }
        return [.invalid(path.child("successThreshold"), String(threshold), "must be 1")]
    }

    private static func handler(_ handler: LifecycleHandler, gracePeriod: Int64?, _ path: FieldPath) -> [FieldError] {
        actions(exec: handler.exec, httpGet: handler.httpGet, tcpSocket: handler.tcpSocket, grpc: nil,
                sleep: handler.sleep, gracePeriod: gracePeriod, path)
    }

    /// Exactly one action, each valid.
    private static func actions(exec: ExecAction?, httpGet: HTTPGetAction?, tcpSocket: TCPSocketAction?, grpc: GRPCAction?,
                                sleep: SleepAction?, gracePeriod: Int64?, _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        var count = 0
        func accept(_ present: Bool, _ field: String, _ check: () -> [FieldError]) {
            guard present else { return }
            if count > 0 {
                errors.append(.forbidden(path.child(field), "may not specify more than 1 handler type"))
            } else {
                count += 1
                errors += check()
            }
        }
        accept(exec != nil, "exec") {
            (exec?.command ?? []).isEmpty ? [.required(path.child("exec").child("command"))] : []
        }
        accept(httpGet != nil, "httpGet") {
            let getPath = path.child("httpGet")
            var errors: [FieldError] = []
            // Absent path and scheme are defaulted ("/", HTTP); explicit empty ones are not.
            if let requestPath = httpGet?.path, requestPath.isEmpty { errors.append(.required(getPath.child("path"))) }
            errors += FieldChecks.portNumberOrName(httpGet?.port, getPath.child("port"))
            errors += FieldChecks.optionalChoice(httpGet?.scheme, ["HTTP", "HTTPS"], getPath.child("scheme"))
            for header in httpGet?.httpHeaders ?? [] {
                let name = header.name ?? ""
                errors += FieldChecks.format(NameFormats.httpHeaderName(name), name, getPath.child("httpHeaders"))
            }
            return errors
        }
        accept(tcpSocket != nil, "tcpSocket") {
            FieldChecks.portNumberOrName(tcpSocket?.port, path.child("tcpSocket").child("port"))
        }
        accept(grpc != nil, "grpc") {
            FieldChecks.portNumber(grpc?.port ?? 0, path.child("grpc").child("port"))
        }
        accept(sleep != nil, "sleep") {
            guard let gracePeriod, let seconds = sleep?.seconds, seconds < 0 || seconds > gracePeriod else { return [] }
            return [.invalid(path.child("sleep"), String(seconds),
                             "must be non-negative and less than terminationGracePeriodSeconds (\(gracePeriod))")]
        }
        if count == 0 { errors.append(.required(path, "must specify a handler type")) }
        return errors
    }

    // MARK: Security context

    private static let maxID: Int64 = 2_147_483_647

    static func securityContext(_ context: SecurityContext?, _ path: FieldPath) -> [FieldError] {
        guard let context else { return [] }
        var errors = FieldChecks.inRange(context.runAsUser, 0, maxID, path.child("runAsUser"))
        errors += FieldChecks.inRange(context.runAsGroup, 0, maxID, path.child("runAsGroup"))
        errors += FieldChecks.optionalChoice(context.procMount, ["Default", "Unmasked"], path.child("procMount"))
        errors += PodSpecValidation.seccompProfile(context.seccompProfile, path.child("seccompProfile"))
        if context.allowPrivilegeEscalation == false {
            if context.privileged == true {
                errors.append(.invalid(path, "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"))
            }
            if context.capabilities?.add.contains("CAP_SYS_ADMIN") == true {
                errors.append(.invalid(path, "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"))
            }
        }
        return errors
    }
}
