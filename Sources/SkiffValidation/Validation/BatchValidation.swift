/// BatchValidation: Jobs (run pods to completion) and CronJobs (create Jobs on a schedule).
/// A Job's pods must not restart forever, and most of a Job is fixed once it runs.
///
/// Concurrency: pure functions. Must never: let a running Job's template or selector change;
/// the Job controller counts completions of the pods it already made from them.
import Foundation
import SkiffAPI
import SkiffWire

enum BatchValidation {
    static let specPath = FieldPath("spec")
    static let completionModes = ["NonIndexed", "Indexed"]
    static let maxIndexedParallelism: Int32 = 100_000

    // MARK: Job

    static func validate(_ job: Job) -> [FieldError] {
        var errors = ObjectMetaValidation.validate(job.metadata, namespaced: true, name: NameFormats.dns1123Subdomain)
        errors += jobSpec(job.spec, specPath, requireSelector: true)
        // Indexed pods are named <job>-<index> and that must stay a DNS label.
        if job.spec?.completionMode == "Indexed", let completions = job.spec?.completions, completions > 0,
           let name = job.metadata?.name, !name.isEmpty {
            let longest = "\(name)-\(completions - 1)"
            if !NameFormats.dns1123Label(longest).isEmpty {
                errors.append(.invalid(ObjectMetaValidation.path.child("name"), name,
                                       "will not able to create pod with invalid DNS label: \(longest)"))
            }
        }
        return errors
    }

    static func validateUpdate(_ job: Job, old: Job) -> [FieldError] {
        var errors = ObjectMetaValidation.validateUpdate(job.metadata, old: old.metadata)
        errors += jobSpec(job.spec, specPath, requireSelector: true)
        let new = job.spec ?? JobSpec(), previous = old.spec ?? JobSpec()
        errors += FieldChecks.immutable(new.completions, previous.completions, specPath.child("completions"),
                                        shown: new.completions.map { String($0) } ?? "null")
        errors += FieldChecks.immutable(new.selector, previous.selector, specPath.child("selector"),
                                        shown: LabelSelectorValidation.rendered(new.selector))
        errors += FieldChecks.immutable(new.completionMode, previous.completionMode, specPath.child("completionMode"),
                                        shown: new.completionMode ?? "null")
        errors += FieldChecks.immutable(new.podFailurePolicy, previous.podFailurePolicy, specPath.child("podFailurePolicy"),
                                        shown: nil)
        // A suspended Job that never started may still be steered elsewhere: its template's
        // labels, annotations, node selector, tolerations and node affinity may change.
        var template = new.template
        if previous.suspend == true, old.status?.startTime == nil, var adjusted = template, let oldTemplate = previous.template {
            var meta = adjusted.metadata ?? ObjectMeta()
            meta.labels = oldTemplate.metadata?.labels ?? [:]
            meta.annotations = oldTemplate.metadata?.annotations ?? [:]
            adjusted.metadata = meta == ObjectMeta() && oldTemplate.metadata == nil ? nil : meta
            if var podSpec = adjusted.spec {
                podSpec.nodeSelector = oldTemplate.spec?.nodeSelector ?? [:]
                podSpec.tolerations = oldTemplate.spec?.tolerations ?? []
                var affinity = podSpec.affinity ?? Affinity()
                affinity.nodeAffinity = oldTemplate.spec?.affinity?.nodeAffinity
                podSpec.affinity = affinity == Affinity() && oldTemplate.spec?.affinity == nil ? nil : affinity
                adjusted.spec = podSpec
            }
            template = adjusted
        }
        errors += FieldChecks.immutable(template, previous.template, specPath.child("template"), shown: nil)
        return errors
    }

    /// A Job's spec, or the spec in a CronJob's job template (whose selector is generated).
    private static func jobSpec(_ spec: JobSpec?, _ path: FieldPath, requireSelector: Bool) -> [FieldError] {
        guard let spec else { return [.required(path)] }
        var errors = FieldChecks.nonNegative(spec.parallelism, path.child("parallelism"))
        errors += FieldChecks.nonNegative(spec.completions, path.child("completions"))
        errors += FieldChecks.nonNegative(spec.activeDeadlineSeconds, path.child("activeDeadlineSeconds"))
        errors += FieldChecks.nonNegative(spec.backoffLimit, path.child("backoffLimit"))
        errors += FieldChecks.nonNegative(spec.backoffLimitPerIndex, path.child("backoffLimitPerIndex"))
        errors += FieldChecks.nonNegative(spec.maxFailedIndexes, path.child("maxFailedIndexes"))
        errors += FieldChecks.nonNegative(spec.ttlSecondsAfterFinished, path.child("ttlSecondsAfterFinished"))
        if let mode = spec.completionMode {
            errors += FieldChecks.optionalChoice(mode, completionModes, path.child("completionMode"))
            if mode == "Indexed" {
                if spec.completions == nil {
                    errors.append(.required(path.child("completions"), "when completion mode is Indexed"))
                }
                if let parallelism = spec.parallelism, parallelism > maxIndexedParallelism {
                    errors.append(.invalid(path.child("parallelism"), String(parallelism),
                                           "must be less than or equal to \(maxIndexedParallelism) when completion mode is Indexed"))
                }
            }
        }
        errors += FieldChecks.optionalChoice(spec.podReplacementPolicy, ["Failed", "TerminatingOrFailed"],
                                             path.child("podReplacementPolicy"))
        if let policy = spec.podFailurePolicy { errors += podFailurePolicy(policy, spec.template, path.child("podFailurePolicy")) }
        if requireSelector {
            let selectorPath = path.child("selector")
            if let selector = spec.selector {
                errors += LabelSelectorValidation.validate(selector, selectorPath)
                if LabelSelectorValidation.isEmpty(selector) {
                    errors.append(.invalid(selectorPath, "empty selector is invalid for job"))
                } else if LabelSelectorValidation.matches(selector, spec.template?.metadata?.labels ?? [:]) == false {
                    errors.append(WorkloadValidation.templateMismatch(spec.template?.metadata?.labels ?? [:], path.child("template")))
                }
            } else if spec.manualSelector == true {
                // Otherwise the apiserver generates it from the Job's uid, as Kubernetes does.
                errors.append(.required(selectorPath))
            }
        }
        let templatePath = path.child("template")
        errors += PodValidation.templateSpec(spec.template, templatePath)
        let restartPath = templatePath.child("spec").child("restartPolicy")
        switch spec.template?.spec?.restartPolicy {
        case nil:
            break  // reported as Required by the pod spec
        case "Always"?, ""?:
            errors.append(.required(restartPath, "valid values: \"OnFailure\", \"Never\""))
        case let policy? where policy != "OnFailure" && policy != "Never":
            errors.append(.notSupported(restartPath, policy, ["OnFailure", "Never"]))
        case let policy?:
            if spec.podFailurePolicy != nil && policy != "Never" {
                errors.append(.invalid(restartPath, policy, "only \"Never\" is supported when podFailurePolicy is specified"))
            }
        }
        return errors
    }

    private static func podFailurePolicy(_ policy: PodFailurePolicy, _ template: PodTemplateSpec?, _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        let containerNames = Set(((template?.spec?.containers ?? []) + (template?.spec?.initContainers ?? [])).compactMap(\.name))
        for (index, rule) in policy.rules.enumerated() {
            let rulePath = path.child("rules").index(index)
            let actions = ["Count", "FailIndex", "FailJob", "Ignore"]
            if (rule.action ?? "").isEmpty {
                errors.append(.required(rulePath.child("action"), "valid values: [\"Count\" \"FailIndex\" \"FailJob\" \"Ignore\"]"))
            } else {
                errors += FieldChecks.optionalChoice(rule.action, actions, rulePath.child("action"))
            }
            if let exitCodes = rule.onExitCodes {
                let codesPath = rulePath.child("onExitCodes")
                errors += FieldChecks.requiredChoice(exitCodes.operator, ["In", "NotIn"], codesPath.child("operator"))
                if let container = exitCodes.containerName, !containerNames.contains(container) {
                    errors.append(.invalid(codesPath.child("containerName"), container,
                                           "must be one of the container or initContainer names in the pod template"))
                }
                if exitCodes.values.isEmpty {
                    errors.append(.invalid(codesPath.child("values"), "at least one value is required"))
                }
                if exitCodes.values != exitCodes.values.sorted() {
                    errors.append(.invalid(codesPath.child("values"), "must be ordered"))
                }
            }
            for (patternIndex, pattern) in rule.onPodConditions.enumerated() {
                let patternPath = rulePath.child("onPodConditions").index(patternIndex)
                let type = pattern.type ?? ""
                errors += FieldChecks.format(NameFormats.qualifiedName(type), type, patternPath.child("type"))
                errors += FieldChecks.requiredChoice(pattern.status, ["False", "True", "Unknown"], patternPath.child("status"))
            }
            if rule.onExitCodes != nil && !rule.onPodConditions.isEmpty {
                errors.append(.invalid(rulePath, "specifying both OnExitCodes and OnPodConditions is not supported"))
            }
            if rule.onExitCodes == nil && rule.onPodConditions.isEmpty {
                errors.append(.invalid(rulePath, "specifying one of OnExitCodes and OnPodConditions is required"))
            }
        }
        return errors
    }

    // MARK: CronJob

    static let concurrencyPolicies = ["Allow", "Forbid", "Replace"]

    static func validate(_ cronJob: CronJob) -> [FieldError] {
        var errors = ObjectMetaValidation.validate(cronJob.metadata, namespaced: true, name: NameFormats.dns1123Subdomain)
        errors += cronJobSpec(cronJob.spec, old: nil)
        // Jobs are named <cronjob>-<11-character timestamp> and must stay within 63 characters.
        if let name = cronJob.metadata?.name, name.utf8.count > 52 {
            errors.append(.invalid(ObjectMetaValidation.path.child("name"), name, "must be no more than 52 characters"))
        }
        return errors
    }

    static func validateUpdate(_ cronJob: CronJob, old: CronJob) -> [FieldError] {
        ObjectMetaValidation.validateUpdate(cronJob.metadata, old: old.metadata) + cronJobSpec(cronJob.spec, old: old.spec)
    }

    private static func cronJobSpec(_ spec: CronJobSpec?, old: CronJobSpec?) -> [FieldError] {
        guard let spec else { return [.required(specPath)] }
        var errors: [FieldError] = []
        let schedulePath = specPath.child("schedule")
        if let schedule = spec.schedule, !schedule.isEmpty {
            if let problem = CronSchedule.problem(schedule) { errors.append(.invalid(schedulePath, schedule, problem)) }
            if schedule.contains("TZ"), spec.timeZone != nil {
                errors.append(.invalid(schedulePath, schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
            }
        } else {
            errors.append(.required(schedulePath))
        }
        errors += FieldChecks.nonNegative(spec.startingDeadlineSeconds, specPath.child("startingDeadlineSeconds"))
        if old == nil || old?.timeZone != spec.timeZone { errors += timeZone(spec.timeZone, specPath.child("timeZone")) }
        errors += FieldChecks.requiredChoice(spec.concurrencyPolicy, concurrencyPolicies, specPath.child("concurrencyPolicy"))
        let templatePath = specPath.child("jobTemplate")
        if let template = spec.jobTemplate {
            errors += ObjectMetaValidation.validateTemplate(template.metadata, templatePath.child("metadata"))
            errors += jobSpec(template.spec, templatePath.child("spec"), requireSelector: false)
            if template.spec?.selector != nil {
                errors.append(.invalid(templatePath.child("spec").child("selector"),
                                       LabelSelectorValidation.rendered(template.spec?.selector), "`selector` will be auto-generated"))
            }
            if template.spec?.manualSelector == true {
                errors.append(.notSupported(templatePath.child("spec").child("manualSelector"), "true", ["nil", "false"]))
            }
        } else {
            errors.append(.required(templatePath))
        }
        errors += FieldChecks.nonNegative(spec.successfulJobsHistoryLimit, specPath.child("successfulJobsHistoryLimit"))
        errors += FieldChecks.nonNegative(spec.failedJobsHistoryLimit, specPath.child("failedJobsHistoryLimit"))
        return errors
    }

    private static func timeZone(_ zone: String?, _ path: FieldPath) -> [FieldError] {
        guard let zone else { return [] }
        if zone.isEmpty { return [.invalid(path, zone, "timeZone must be nil or non-empty string")] }
        if zone.lowercased() == "local" {
            return [.invalid(path, zone, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones")]
        }
        return TimeZone(identifier: zone) == nil ? [.invalid(path, zone, "unknown time zone \(zone)")] : []
    }
}
