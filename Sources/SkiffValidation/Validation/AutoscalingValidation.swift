/// AutoscalingValidation: autoscaling/v2 HorizontalPodAutoscalers: the scale target, replica
/// bounds, metric sources with their targets, and scaling behavior.
///
/// Concurrency: pure functions. Must never: accept maxReplicas below minReplicas; the
/// autoscaler would oscillate between the two bounds.
import SkiffAPI
import SkiffWire

enum AutoscalingValidation {
    static let specPath = FieldPath("spec")
    static let sourceTypes = ["ContainerResource", "External", "Object", "Pods", "Resource"]
    static let targetTypes = ["Utilization", "Value", "AverageValue"]

    static func validate(_ autoscaler: HorizontalPodAutoscaler) -> [FieldError] {
        ObjectMetaValidation.validate(autoscaler.metadata, namespaced: true, name: NameFormats.dns1123Subdomain)
            + spec(autoscaler.spec)
    }

    static func validateUpdate(_ autoscaler: HorizontalPodAutoscaler, old: HorizontalPodAutoscaler) -> [FieldError] {
        ObjectMetaValidation.validateUpdate(autoscaler.metadata, old: old.metadata) + spec(autoscaler.spec)
    }

    private static func spec(_ spec: HorizontalPodAutoscalerSpec?) -> [FieldError] {
        guard let spec else { return [.required(specPath)] }
        var errors: [FieldError] = []
        if let minimum = spec.minReplicas, minimum < 1 {
            errors.append(.invalid(specPath.child("minReplicas"), String(minimum), "must be greater than or equal to 1"))
        }
        let maximum = spec.maxReplicas ?? 0
        if maximum < 1 {
            errors.append(.invalid(specPath.child("maxReplicas"), String(maximum), "must be greater than 0"))
        }
        if let minimum = spec.minReplicas, maximum < minimum {
            errors.append(.invalid(specPath.child("maxReplicas"), String(maximum), "must be greater than or equal to `minReplicas`"))
        }
        errors += objectReference(spec.scaleTargetRef, specPath.child("scaleTargetRef"))
        for (index, metric) in spec.metrics.enumerated() {
            errors += self.metric(metric, specPath.child("metrics").index(index))
        }
        if let behavior = spec.behavior {
            errors += scalingRules(behavior.scaleUp, specPath.child("behavior").child("scaleUp"))
            errors += scalingRules(behavior.scaleDown, specPath.child("behavior").child("scaleDown"))
        }
        return errors
    }

    private static func objectReference(_ reference: CrossVersionObjectReference?, _ path: FieldPath) -> [FieldError] {
        FieldChecks.requiredName(reference?.kind, path.child("kind"), NameFormats.pathSegmentName)
            + FieldChecks.requiredName(reference?.name, path.child("name"), NameFormats.pathSegmentName)
    }

    private static func metric(_ metric: MetricSpec, _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        let type = metric.type ?? ""
        if type.isEmpty { errors.append(.required(path.child("type"), "must specify a metric source type")) }
        if !sourceTypes.contains(type) { errors.append(.notSupported(path.child("type"), type, sourceTypes)) }
        var present: [String] = []
        if let object = metric.object {
            present.append("object")
            if present.count == 1 {
                let objectPath = path.child("object")
                errors += objectReference(object.describedObject, objectPath.child("describedObject"))
                errors += metricName(object.metric, objectPath.child("metric"))
                errors += target(object.target, objectPath.child("target"))
                if let target = object.target, target.value == nil && target.averageValue == nil {
                    errors.append(.required(objectPath.child("target").child("averageValue"), "must set either a target value or averageValue"))
                }
            }
        }
        if let pods = metric.pods {
            present.append("pods")
            if present.count == 1 {
                let podsPath = path.child("pods")
                errors += metricName(pods.metric, podsPath.child("metric"))
                errors += target(pods.target, podsPath.child("target"))
                if let target = pods.target, target.averageValue == nil {
                    errors.append(.required(podsPath.child("target").child("averageValue"), "must specify a positive target averageValue"))
                }
            }
        }
        if let resource = metric.resource {
            present.append("resource")
            if present.count == 1 { errors += resourceSource(name: resource.name, target: resource.target, path.child("resource")) }
        }
        if let resource = metric.containerResource {
            present.append("containerResource")
            if present.count == 1 {
                let resourcePath = path.child("containerResource")
                errors += resourceSource(name: resource.name, target: resource.target, resourcePath)
                errors += FieldChecks.requiredName(resource.container, resourcePath.child("container"), NameFormats.dns1123Label)
            }
        }
        if let external = metric.external {
            present.append("external")
            if present.count == 1 {
                let externalPath = path.child("external")
                errors += metricName(external.metric, externalPath.child("metric"))
                errors += target(external.target, externalPath.child("target"))
                if let target = external.target, target.value == nil && target.averageValue == nil {
                    errors.append(.required(externalPath.child("target").child("averageValue"),
                                            "must set either a target value for metric or a per-pod target"))
                }
            }
        }
        let expected = type.isEmpty ? "" : type.prefix(1).lowercased() + type.dropFirst()
        if !type.isEmpty && !present.contains(expected) {
            errors.append(.required(path.child(expected), "must populate information for the given metric source"))
        }
        if present.count > 1 {
            for field in present where field != expected {
                errors.append(.forbidden(path.child(field), "must populate the given metric source only"))
            }
        }
        return errors
    }

    private static func resourceSource(name: String?, target: MetricTarget?, _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if (name ?? "").isEmpty { errors.append(.required(path.child("name"), "must specify a resource name")) }
        errors += self.target(target, path.child("target"))
        guard let target else { return errors }
        if target.averageUtilization == nil && target.averageValue == nil {
            errors.append(.required(path.child("target").child("averageUtilization"),
                                    "must set either a target raw value or a target utilization"))
        }
        if target.averageUtilization != nil && target.averageValue != nil {
            errors.append(.forbidden(path.child("target").child("averageValue"),
                                     "may not set both a target raw value and a target utilization"))
        }
        return errors
    }

    private static func metricName(_ identifier: MetricIdentifier?, _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if let name = identifier?.name, !name.isEmpty {
            errors += FieldChecks.format(NameFormats.pathSegmentName(name), name, path.child("name"))
        } else {
            errors.append(.required(path.child("name"), "must specify a metric name"))
        }
        errors += LabelSelectorValidation.validate(identifier?.selector, path.child("selector"))
        return errors
    }

    private static func target(_ target: MetricTarget?, _ path: FieldPath) -> [FieldError] {
        guard let target else { return [.required(path)] }
        var errors: [FieldError] = []
        let type = target.type ?? ""
        if type.isEmpty { errors.append(.required(path.child("type"), "must specify a metric target type")) }
        if !targetTypes.contains(type) {
            errors.append(.invalid(path.child("type"), type, "must be either Utilization, Value, or AverageValue"))
        }
        if let value = target.value, value.milliValue <= 0 { errors.append(.invalid(path.child("value"), value.string, "must be positive")) }
        if let value = target.averageValue, value.milliValue <= 0 {
            errors.append(.invalid(path.child("averageValue"), value.string, "must be positive"))
        }
        if let utilization = target.averageUtilization, utilization < 1 {
            errors.append(.invalid(path.child("averageUtilization"), String(utilization), "must be greater than 0"))
        }
        return errors
    }

    private static func scalingRules(_ rules: HPAScalingRules?, _ path: FieldPath) -> [FieldError] {
        guard let rules else { return [] }
        var errors: [FieldError] = []
        if let window = rules.stabilizationWindowSeconds {
            let windowPath = path.child("stabilizationWindowSeconds")
            if window < 0 { errors.append(.invalid(windowPath, String(window), "must be greater than or equal to zero")) }
            if window > 3600 { errors.append(.invalid(windowPath, String(window), "must be less than or equal to 3600")) }
        }
        if rules.policies.isEmpty { errors.append(.required(path.child("policies"), "must specify at least one Policy")) }
        errors += FieldChecks.optionalChoice(rules.selectPolicy, ["Disabled", "Max", "Min"], path.child("selectPolicy"))
        for (index, policy) in rules.policies.enumerated() {
            let policyPath = path.child("policies").index(index)
            let type = policy.type ?? ""
            if type != "Pods" && type != "Percent" { errors.append(.notSupported(policyPath.child("type"), type, ["Percent", "Pods"])) }
            errors += FieldChecks.positive(policy.value ?? 0, policyPath.child("value"), "must be greater than zero")
            let period = policy.periodSeconds ?? 0
            errors += FieldChecks.positive(period, policyPath.child("periodSeconds"), "must be greater than zero")
            if period > 1800 {
                errors.append(.invalid(policyPath.child("periodSeconds"), String(period), "must be less than or equal to 1800"))
            }
        }
        if let tolerance = rules.tolerance { errors += FieldChecks.nonNegative(tolerance, path.child("tolerance")) }
        return errors
    }
}
