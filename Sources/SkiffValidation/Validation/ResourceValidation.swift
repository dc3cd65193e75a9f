/// ResourceValidation: compute resource names and amounts in requests and limits: standard
/// names (cpu, memory, ephemeral-storage, hugepages-*) or qualified extended resources,
/// non-negative quantities, requests no larger than limits.
///
/// Concurrency: pure functions. Must never: accept a request above its limit; the scheduler
/// and the node agent both rely on requests <= limits.
import SkiffAPI
import SkiffWire

enum ResourceValidation {
    /// Names with no domain prefix that Kubernetes knows (container, pod and quota resources).
    static let standardNames: Set<String> = [
        "cpu", "memory", "ephemeral-storage", "storage", "pods", "services", "replicationcontrollers",
        "resourcequotas", "secrets", "configmaps", "persistentvolumeclaims", "services.nodeports",
        "services.loadbalancers", "requests.cpu", "requests.memory", "requests.storage",
        "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage",
    ]

    static func isHugePages(_ name: String) -> Bool { name.hasPrefix("hugepages-") }

    /// Native resources: no domain, or a kubernetes.io domain.
    static func isNative(_ name: String) -> Bool { !name.contains("/") || name.contains("kubernetes.io/") }

    /// Device-plugin style resources ("example.com/gpu"): counted in whole units, not overcommitted.
    static func isExtended(_ name: String) -> Bool {
        !isNative(name) && !name.hasPrefix("requests.") && NameFormats.qualifiedName("requests." + name).isEmpty
    }

    static func overcommitAllowed(_ name: String) -> Bool { isNative(name) && !isHugePages(name) }

    /// A resource name a container may request.
    static func containerResourceName(_ name: String, _ path: FieldPath) -> [FieldError] {
        var errors = FieldChecks.format(NameFormats.qualifiedName(name), name, path)
        guard errors.isEmpty else { return errors }
        if !name.contains("/") {
            if !standardNames.contains(name) && !isHugePages(name) && !name.hasPrefix("requests.hugepages-")
                && !name.hasPrefix("limits.hugepages-") {
                errors.append(.invalid(path, name, "must be a standard resource type or fully qualified"))
            }
            if !["cpu", "memory", "ephemeral-storage"].contains(name) && !isHugePages(name) {
                errors.append(.invalid(path, name, "must be a standard resource for containers"))
            }
        } else if !isNative(name) && !isExtended(name) {
            errors.append(.invalid(path, name, "doesn't follow extended resource name standard"))
        }
        return errors
    }

    /// A non-negative amount, whole for resources counted in units.
    static func quantity(_ name: String, _ quantity: Quantity, _ path: FieldPath) -> [FieldError] {
        var errors = FieldChecks.nonNegative(quantity, path)
        if isExtended(name) && quantity.milliValue % 1000 != 0 {
            errors.append(.invalid(path, quantity.string, "must be an integer"))
        }
        return errors
    }

    /// A container's (or a pod's overhead's) requests and limits.
    static func requirements(limits: [String: Quantity], requests: [String: Quantity], _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        let limitsPath = path.child("limits"), requestsPath = path.child("requests")
        var hasCPUOrMemory = false, hasHugePages = false
        for name in limits.keys.sorted() {
            guard let amount = limits[name] else { continue }
            errors += containerResourceName(name, limitsPath.key(name))
            errors += quantity(name, amount, limitsPath.key(name))
            hasCPUOrMemory = hasCPUOrMemory || name == "cpu" || name == "memory"
            hasHugePages = hasHugePages || isHugePages(name)
        }
        for name in requests.keys.sorted() {
            guard let amount = requests[name] else { continue }
            errors += containerResourceName(name, requestsPath.key(name))
            errors += quantity(name, amount, requestsPath.key(name))
            if let limit = limits[name] {
                if !overcommitAllowed(name) && amount.milliValue != limit.milliValue {
                    errors.append(.invalid(requestsPath, amount.string, "must be equal to \(name) limit of \(limit.string)"))
                } else if amount.milliValue > limit.milliValue {
                    errors.append(.invalid(requestsPath, amount.string,
                                           "must be less than or equal to \(name) limit of \(limit.string)"))
                }
            } else if !overcommitAllowed(name) {
                errors.append(.required(limitsPath, "Limit must be set for non overcommitable resources"))
            }
            hasCPUOrMemory = hasCPUOrMemory || name == "cpu" || name == "memory"
            hasHugePages = hasHugePages || isHugePages(name)
        }
        if hasHugePages && !hasCPUOrMemory { errors.append(.forbidden(path, "HugePages require cpu or memory")) }
        return errors
    }
}
