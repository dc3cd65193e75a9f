/// WorkloadValidation: the controllers that keep pods running from a template:
/// ReplicationController, ReplicaSet, Deployment, DaemonSet, StatefulSet, and the
/// ControllerRevisions they record. Their selector must select their own template.
///
/// Concurrency: pure functions. Must never: accept a selector that does not match the
/// template's labels; the controller would create pods it then fails to count, forever.
import SkiffAPI
import SkiffWire

enum WorkloadValidation {
    static let specPath = FieldPath("spec")

    // MARK: ReplicationController

    static func validate(_ controller: ReplicationController) -> [FieldError] {
        ObjectMetaValidation.validate(controller.metadata, namespaced: true, name: NameFormats.dns1123Subdomain)
            + replicationControllerSpec(controller.spec)
    }

    static func validateUpdate(_ controller: ReplicationController, old: ReplicationController) -> [FieldError] {
        ObjectMetaValidation.validateUpdate(controller.metadata, old: old.metadata) + replicationControllerSpec(controller.spec)
    }

    private static func replicationControllerSpec(_ spec: ReplicationControllerSpec?) -> [FieldError] {
        guard let spec else { return [.required(specPath)] }
        var errors = FieldChecks.nonNegative(spec.minReadySeconds, specPath.child("minReadySeconds"))
        if spec.selector.isEmpty { errors.append(.required(specPath.child("selector"))) }
        errors += FieldChecks.labels(spec.selector, specPath.child("selector"))
        errors += FieldChecks.nonNegative(spec.replicas, specPath.child("replicas"))
        let templatePath = specPath.child("template")
        if let template = spec.template, !spec.selector.isEmpty {
            let labels = template.metadata?.labels ?? [:]
            if spec.selector.contains(where: { labels[$0.key] != $0.value }) {
                errors.append(templateMismatch(labels, templatePath))
            }
        }
        errors += alwaysRestartingTemplate(spec.template, templatePath, kind: "ReplicationController")
        return errors
    }

    // MARK: ReplicaSet

    static func validate(_ replicaSet: ReplicaSet) -> [FieldError] {
        ObjectMetaValidation.validate(replicaSet.metadata, namespaced: true, name: NameFormats.dns1123Subdomain)
            + replicaSetSpec(replicaSet.spec)
    }

    static func validateUpdate(_ replicaSet: ReplicaSet, old: ReplicaSet) -> [FieldError] {
        ObjectMetaValidation.validateUpdate(replicaSet.metadata, old: old.metadata)
            + replicaSetSpec(replicaSet.spec)
            + immutableSelector(replicaSet.spec?.selector, old.spec?.selector)
    }

    private static func replicaSetSpec(_ spec: ReplicaSetSpec?) -> [FieldError] {
        guard let spec else { return [.required(specPath)] }
        var errors = FieldChecks.nonNegative(spec.replicas, specPath.child("replicas"))
        errors += FieldChecks.nonNegative(spec.minReadySeconds, specPath.child("minReadySeconds"))
        errors += selectorAndTemplate(spec.selector, spec.template, kind: "replicaset", invalidSelectorDetail: "invalid label selector")
        errors += alwaysRestartingTemplate(spec.template, specPath.child("template"), kind: "ReplicaSet")
        return errors
    }

    // MARK: Deployment

    static func validate(_ deployment: Deployment) -> [FieldError] {
        ObjectMetaValidation.validate(deployment.metadata, namespaced: true, name: NameFormats.dns1123Subdomain)
            + deploymentSpec(deployment.spec)
    }

    static func validateUpdate(_ deployment: Deployment, old: Deployment) -> [FieldError] {
        ObjectMetaValidation.validateUpdate(deployment.metadata, old: old.metadata)
            + deploymentSpec(deployment.spec)
            + immutableSelector(deployment.spec?.selector, old.spec?.selector)
    }

    private static func deploymentSpec(_ spec: DeploymentSpec?) -> [FieldError] {
        guard let spec else { return [.required(specPath)] }
        var errors = FieldChecks.nonNegative(spec.replicas, specPath.child("replicas"))
        errors += selectorAndTemplate(spec.selector, spec.template, kind: "deployment", invalidSelectorDetail: "invalid label selector")
        errors += alwaysRestartingTemplate(spec.template, specPath.child("template"), kind: "Deployment")
        errors += deploymentStrategy(spec.strategy, specPath.child("strategy"))
        errors += FieldChecks.nonNegative(spec.minReadySeconds, specPath.child("minReadySeconds"))
        errors += FieldChecks.nonNegative(spec.revisionHistoryLimit, specPath.child("revisionHistoryLimit"))
        if let deadline = spec.progressDeadlineSeconds {
            let deadlinePath = specPath.child("progressDeadlineSeconds")
            errors += FieldChecks.nonNegative(deadline, deadlinePath)
            if deadline <= spec.minReadySeconds ?? 0 {
                errors.append(.invalid(deadlinePath, String(deadline), "must be greater than minReadySeconds"))
            }
        }
        return errors
    }

    private static func deploymentStrategy(_ strategy: DeploymentStrategy?, _ path: FieldPath) -> [FieldError] {
        switch strategy?.type ?? "" {
        case "Recreate":
            return strategy?.rollingUpdate == nil ? []
                : [.forbidden(path.child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'")]
        case "RollingUpdate":
            let rollingPath = path.child("rollingUpdate")
            guard let rolling = strategy?.rollingUpdate else {
                return [.required(rollingPath, "this should be defaulted and never be nil")]
            }
            var errors = FieldChecks.countOrPercent(rolling.maxUnavailable, rollingPath.child("maxUnavailable"))
            errors += FieldChecks.countOrPercent(rolling.maxSurge, rollingPath.child("maxSurge"))
            if FieldChecks.countOrPercentValue(rolling.maxUnavailable) == 0 && FieldChecks.countOrPercentValue(rolling.maxSurge) == 0 {
                errors.append(.invalid(rollingPath.child("maxUnavailable"), rolling.maxUnavailable?.description ?? "0",
                                       "may not be 0 when `maxSurge` is 0"))
            }
            errors += FieldChecks.atMost100Percent(rolling.maxUnavailable, rollingPath.child("maxUnavailable"))
            return errors
        case let other:
            return [.notSupported(path, other, ["Recreate", "RollingUpdate"])]
        }
    }

    // MARK: DaemonSet

    static func validate(_ daemonSet: DaemonSet) -> [FieldError] {
        ObjectMetaValidation.validate(daemonSet.metadata, namespaced: true, name: NameFormats.dns1123Subdomain)
            + daemonSetSpec(daemonSet.spec)
    }

    static func validateUpdate(_ daemonSet: DaemonSet, old: DaemonSet) -> [FieldError] {
        ObjectMetaValidation.validateUpdate(daemonSet.metadata, old: old.metadata)
            + daemonSetSpec(daemonSet.spec)
            + immutableSelector(daemonSet.spec?.selector, old.spec?.selector)
    }

    private static func daemonSetSpec(_ spec: DaemonSetSpec?) -> [FieldError] {
        guard let spec else { return [.required(specPath)] }
        var errors = selectorAndTemplate(spec.selector, spec.template, kind: "daemonset", invalidSelectorDetail: nil)
        errors += alwaysRestartingTemplate(spec.template, specPath.child("template"), kind: "DaemonSet")
        errors += FieldChecks.nonNegative(spec.minReadySeconds, specPath.child("minReadySeconds"))
        errors += FieldChecks.nonNegative(spec.revisionHistoryLimit, specPath.child("revisionHistoryLimit"))
        let strategyPath = specPath.child("updateStrategy")
        switch spec.updateStrategy?.type ?? "" {
        case "OnDelete":
            break
        case "RollingUpdate":
            let rollingPath = strategyPath.child("rollingUpdate")
            guard let rolling = spec.updateStrategy?.rollingUpdate else {
                errors.append(.required(rollingPath))
                break
            }
            errors += FieldChecks.countOrPercent(rolling.maxUnavailable, rollingPath.child("maxUnavailable"))
            errors += FieldChecks.countOrPercent(rolling.maxSurge, rollingPath.child("maxSurge"))
            errors += FieldChecks.atMost100Percent(rolling.maxUnavailable, rollingPath.child("maxUnavailable"))
            errors += FieldChecks.atMost100Percent(rolling.maxSurge, rollingPath.child("maxSurge"))
            let unavailable = FieldChecks.countOrPercentValue(rolling.maxUnavailable) != 0
            let surge = FieldChecks.countOrPercentValue(rolling.maxSurge) != 0
            if unavailable && surge {
                errors.append(.invalid(rollingPath.child("maxSurge"), rolling.maxSurge?.description ?? "",
                                       "may not be set when maxUnavailable is non-zero"))
            } else if !unavailable && !surge {
                errors.append(.required(rollingPath.child("maxUnavailable"), "cannot be 0 when maxSurge is 0"))
            }
        case let other:
            errors.append(.notSupported(strategyPath, other, ["RollingUpdate", "OnDelete"]))
        }
        return errors
    }

    // MARK: StatefulSet

    static func validate(_ statefulSet: StatefulSet) -> [FieldError] {
        // Pods are named <statefulset>-<ordinal> and get that as hostname: a DNS label.
        ObjectMetaValidation.validate(statefulSet.metadata, namespaced: true, name: NameFormats.dns1123Label)
            + statefulSetSpec(statefulSet.spec)
    }

    static let statefulSetUpdatableMessage =
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"

    static func validateUpdate(_ statefulSet: StatefulSet, old: StatefulSet) -> [FieldError] {
        var errors = ObjectMetaValidation.validateUpdate(statefulSet.metadata, old: old.metadata)
        errors += statefulSetSpec(statefulSet.spec)
        errors += immutableSelector(statefulSet.spec?.selector, old.spec?.selector)
        var new = statefulSet.spec ?? StatefulSetSpec()
        let previous = old.spec ?? StatefulSetSpec()
        new.replicas = previous.replicas
        new.template = previous.template
        new.updateStrategy = previous.updateStrategy
        new.minReadySeconds = previous.minReadySeconds
        new.ordinals = previous.ordinals
        new.persistentVolumeClaimRetentionPolicy = previous.persistentVolumeClaimRetentionPolicy
        new.selector = previous.selector  // reported above, on its own path
        if new != previous { errors.append(.forbidden(specPath, statefulSetUpdatableMessage)) }
        return errors
    }

    private static func statefulSetSpec(_ spec: StatefulSetSpec?) -> [FieldError] {
        guard let spec else { return [.required(specPath)] }
        var errors: [FieldError] = []
        let policyPath = specPath.child("podManagementPolicy")
        switch spec.podManagementPolicy ?? "" {
        case "": errors.append(.required(policyPath))
        case "OrderedReady", "Parallel": break
        case let other: errors.append(.invalid(policyPath, other, "must be 'OrderedReady' or 'Parallel'"))
        }
        let strategyPath = specPath.child("updateStrategy")
        switch spec.updateStrategy?.type ?? "" {
        case "":
            errors.append(.required(strategyPath))
        case "OnDelete":
            if spec.updateStrategy?.rollingUpdate != nil {
                errors.append(.invalid(strategyPath.child("rollingUpdate"), "only allowed for updateStrategy 'RollingUpdate'"))
            }
        case "RollingUpdate":
            if let rolling = spec.updateStrategy?.rollingUpdate {
                let rollingPath = strategyPath.child("rollingUpdate")
                errors += FieldChecks.nonNegative(rolling.partition, rollingPath.child("partition"))
                if let maxUnavailable = rolling.maxUnavailable {
                    let maxPath = rollingPath.child("maxUnavailable")
                    errors += FieldChecks.countOrPercent(maxUnavailable, maxPath)
                    if FieldChecks.countOrPercentValue(maxUnavailable) == 0 {
                        errors.append(.invalid(maxPath, maxUnavailable.description, "cannot be 0"))
                    }
                    errors += FieldChecks.atMost100Percent(maxUnavailable, maxPath)
                }
            }
        case let other:
            errors.append(.invalid(strategyPath, other, "must be 'RollingUpdate' or 'OnDelete'"))
        }
        if let retention = spec.persistentVolumeClaimRetentionPolicy {
            let retentionPath = specPath.child("persistentVolumeClaimRetentionPolicy")
            errors += FieldChecks.optionalChoice(retention.whenDeleted, ["Retain", "Delete"], retentionPath.child("whenDeleted"))
            errors += FieldChecks.optionalChoice(retention.whenScaled, ["Retain", "Delete"], retentionPath.child("whenScaled"))
        }
        errors += FieldChecks.nonNegative(spec.replicas, specPath.child("replicas"))
        errors += FieldChecks.nonNegative(spec.minReadySeconds, specPath.child("minReadySeconds"))
        errors += FieldChecks.nonNegative(spec.revisionHistoryLimit, specPath.child("revisionHistoryLimit"))
        errors += FieldChecks.nonNegative(spec.ordinals?.start, specPath.child("ordinals.start"))
        errors += selectorAndTemplate(spec.selector, spec.template, kind: "statefulset", invalidSelectorDetail: "")
        // The claim templates become volumes of every pod; mounts may name them.
        var claimNames: [String] = []
        for (index, claim) in spec.volumeClaimTemplates.enumerated() {
            let claimPath = specPath.child("volumeClaimTemplates").index(index)
            errors += FieldChecks.requiredName(claim.metadata?.name, claimPath.child("metadata").child("name"),
                                               NameFormats.dns1123Label)
            errors += StorageValidation.claimSpec(claim.spec, claimPath.child("spec"))
            if let name = claim.metadata?.name { claimNames.append(name) }
        }
        errors += alwaysRestartingTemplate(spec.template, specPath.child("template"), kind: "StatefulSet",
                                           extraVolumes: claimNames)
        return errors
    }

    // MARK: ControllerRevision

    static func validate(_ revision: ControllerRevision) -> [FieldError] {
        var errors = ObjectMetaValidation.validate(revision.metadata, namespaced: true, name: NameFormats.dns1123Subdomain)
        if revision.data == nil { errors.append(.required(FieldPath("data"), "data is mandatory")) }
        errors += FieldChecks.nonNegative(revision.revision, FieldPath("revision"))
        return errors
    }

    static func validateUpdate(_ revision: ControllerRevision, old: ControllerRevision) -> [FieldError] {
        var errors = ObjectMetaValidation.validateUpdate(revision.metadata, old: old.metadata)
        if revision.data == nil { errors.append(.required(FieldPath("data"), "data is mandatory")) }
        errors += FieldChecks.nonNegative(revision.revision, FieldPath("revision"))
        errors += FieldChecks.immutable(revision.data, old.data, FieldPath("data"), shown: nil)
        return errors
    }

    // MARK: Shared

    /// A non-empty, valid selector that selects the template's labels. `invalidSelectorDetail`
    /// is the extra error some kinds report for a selector that cannot be parsed.
    static func selectorAndTemplate(_ selector: SkiffWire.LabelSelector?, _ template: PodTemplateSpec?,
                                    kind: String, invalidSelectorDetail: String?) -> [FieldError] {
        let selectorPath = specPath.child("selector")
        guard let selector else { return [.required(selectorPath)] }
        var errors = LabelSelectorValidation.validate(selector, selectorPath)
        if LabelSelectorValidation.isEmpty(selector) {
            errors.append(.invalid(selectorPath, "empty selector is invalid for \(kind)"))
            return errors
        }
        guard let template else { return errors }
        let labels = template.metadata?.labels ?? [:]
        switch LabelSelectorValidation.matches(selector, labels) {
        case nil:
            if let invalidSelectorDetail {
                errors.append(.invalid(selectorPath, LabelSelectorValidation.rendered(selector), invalidSelectorDetail))
            }
        case false?:
            errors.append(templateMismatch(labels, specPath.child("template")))
        case true?:
            break
        }
        return errors
    }

    static func templateMismatch(_ labels: [String: String], _ templatePath: FieldPath) -> FieldError {
        let shown = labels.keys.sorted().map { "\($0)=\(labels[$0] ?? "")" }.joined(separator: ",")
        return .invalid(templatePath.child("metadata").child("labels"), shown, "`selector` does not match template `labels`")
    }

    /// The template, which must restart its pods forever and may not set a deadline.
    private static func alwaysRestartingTemplate(_ template: PodTemplateSpec?, _ path: FieldPath, kind: String,
                                                 extraVolumes: [String] = []) -> [FieldError] {
        var errors = PodValidation.templateSpec(template, path, extraVolumes: extraVolumes)
        guard let spec = template?.spec else { return errors }
        if let policy = spec.restartPolicy, policy != "Always" {
            errors.append(.notSupported(path.child("spec").child("restartPolicy"), policy, ["Always"]))
        }
        if spec.activeDeadlineSeconds != nil {
            errors.append(.forbidden(path.child("spec").child("activeDeadlineSeconds"),
                                     "activeDeadlineSeconds in \(kind) is not Supported"))
        }
        return errors
    }

    /// apps/v1 selectors cannot change: pods selected by the old one would be orphaned.
    static func immutableSelector(_ new: SkiffWire.LabelSelector?, _ old: SkiffWire.LabelSelector?) -> [FieldError] {
        FieldChecks.immutable(new, old, specPath.child("selector"), shown: LabelSelectorValidation.rendered(new))
    }
}
