/// PodValidation: Pods, PodTemplates and the pod templates embedded in controllers, on create
/// and on update (where a pod may change little more than its images).
///
/// Concurrency: pure functions. Must never: let a pod update change what the scheduler and node
/// agent already acted on (containers, volumes, node); only the fields Kubernetes lists change.
import SkiffAPI
import SkiffWire

enum PodValidation {
    /// Kubernetes' list, verbatim: it is part of the message users see.
    static let updatableSpecFields = [
        "`spec.containers[*].image`",
        "`spec.initContainers[*].image`",
        "`spec.activeDeadlineSeconds`",
        "`spec.tolerations` (only additions to existing tolerations)",
        "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
    ]

    static func validate(_ pod: Pod) -> [FieldError] {
        var errors = ObjectMetaValidation.validate(pod.metadata, namespaced: true, name: NameFormats.dns1123Subdomain)
        errors += podOnly(pod)
        if pod.spec?.nodeName?.isEmpty == false && pod.spec?.schedulingGates.isEmpty == false {
            errors.append(.forbidden(FieldPath("spec").child("nodeName"), "cannot be set until all schedulingGates have been cleared"))
        }
        return errors
    }

    static func validateUpdate(_ pod: Pod, old: Pod) -> [FieldError] {
        var errors = ObjectMetaValidation.validateUpdate(pod.metadata, old: old.metadata)
        errors += podOnly(pod)
        let specPath = FieldPath("spec")
        var new = pod.spec ?? PodSpec()
        let previous = old.spec ?? PodSpec()

        for (field, newContainers, oldContainers) in [("containers", new.containers, previous.containers),
                                                      ("initContainers", new.initContainers, previous.initContainers)] {
            if newContainers.count != oldContainers.count {
                errors.append(.forbidden(specPath.child(field), "pod updates may not add or remove containers"))
                return errors
            }
        }
        if let deadline = new.activeDeadlineSeconds {
            if deadline < 0 || deadline > 2_147_483_647 {
                errors.append(.invalid(specPath.child("activeDeadlineSeconds"), String(deadline),
                                       NameFormats.inclusiveRange(0, 2_147_483_647)))
                return errors
            }
            if let oldDeadline = previous.activeDeadlineSeconds, oldDeadline < deadline {
                errors.append(.invalid(specPath.child("activeDeadlineSeconds"), String(deadline),
                                       "must be less than or equal to previous value"))
                return errors
            }
        } else if previous.activeDeadlineSeconds != nil {
            errors.append(.invalid(specPath.child("activeDeadlineSeconds"), "",
                                   "must not update from a positive integer to nil value"))
        }
        errors += onlyAddedTolerations(new.tolerations, previous.tolerations, specPath.child("tolerations"))
        for (index, gate) in new.schedulingGates.enumerated() where !previous.schedulingGates.contains(gate) {
            errors.append(.forbidden(specPath.child("schedulingGates").index(index).child("name"),
                                     "only deletion is allowed, but found new scheduling gate '\(gate.name ?? "")'"))
        }
        guard new != previous else { return errors }

        // Take the updatable fields from the old spec; whatever still differs may not change.
        for index in new.containers.indices { new.containers[index].image = previous.containers[index].image }
        for index in new.initContainers.indices { new.initContainers[index].image = previous.initContainers[index].image }
        new.activeDeadlineSeconds = previous.activeDeadlineSeconds
        new.schedulingGates = previous.schedulingGates
        new.tolerations = previous.tolerations
        if let oldGrace = previous.terminationGracePeriodSeconds, oldGrace < 0, new.terminationGracePeriodSeconds == 1 {
            new.terminationGracePeriodSeconds = oldGrace
        }
        if new != previous {
            let changed = StructureDifference.changedFields(new, previous).map { "spec.\($0)" }
            errors.append(.forbidden(specPath, "pod updates may not change fields other than "
                                     + updatableSpecFields.joined(separator: ",")
                                     + "\n(changed: \(changed.joined(separator: ", ")))"))
        }
        return errors
    }

    /// Pod rules beyond the spec shared with templates.
    private static func podOnly(_ pod: Pod) -> [FieldError] {
        let specPath = FieldPath("spec")
        var errors = PodSpecValidation.validate(pod.spec, specPath, owner: .pod)
        guard let spec = pod.spec else { return errors }
        if (spec.serviceAccountName ?? "").isEmpty {
            for (volumeIndex, volume) in spec.volumes.enumerated() {
                for (sourceIndex, source) in (volume.projected?.sources ?? []).enumerated() where source.serviceAccountToken != nil {
                    errors.append(.forbidden(specPath.child("volumes").index(volumeIndex).child("projected").child("sources")
                                                .index(sourceIndex).child("serviceAccountToken"),
                                             "must not be specified when serviceAccountName is not set"))
                }
            }
        }
        for (field, containers) in [("containers", spec.containers), ("initContainers", spec.initContainers)] {
            for (index, container) in containers.enumerated() {
                guard let image = container.image, image != image.trimmingWhitespace else { continue }
                errors.append(.invalid(specPath.child(field).index(index).child("image"), image,
                                       "must not have leading or trailing whitespace"))
            }
        }
        return errors
    }

    private static func onlyAddedTolerations(_ new: [Toleration], _ old: [Toleration], _ path: FieldPath) -> [FieldError] {
        for previous in old {
            let kept = new.contains { candidate in
                var comparable = previous
                comparable.tolerationSeconds = candidate.tolerationSeconds
                return comparable == candidate
            }
            if !kept { return [.forbidden(path, "existing toleration can not be modified except its tolerationSeconds")] }
        }
        return PodSpecValidation.tolerations(new, path)
    }

    // MARK: Templates

    /// A PodTemplate object.
    static func validate(_ template: PodTemplate) -> [FieldError] {
        ObjectMetaValidation.validate(template.metadata, namespaced: true, name: NameFormats.dns1123Subdomain)
            + templateSpec(template.template, FieldPath("template"))
    }

    static func validateUpdate(_ template: PodTemplate, old: PodTemplate) -> [FieldError] {
        ObjectMetaValidation.validateUpdate(template.metadata, old: old.metadata)
            + templateSpec(template.template, FieldPath("template"))
    }

    /// A pod template wherever it is embedded: its labels and annotations, and its spec.
    static func templateSpec(_ template: PodTemplateSpec?, _ path: FieldPath, extraVolumes: [String] = []) -> [FieldError] {
        guard let template else { return [.required(path)] }
        return ObjectMetaValidation.validateTemplate(template.metadata, path.child("metadata"))
            + PodSpecValidation.validate(template.spec, path.child("spec"), owner: .template, extraVolumes: extraVolumes)
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and newlines.
    var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
