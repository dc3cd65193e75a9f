/// RBACValidation: Roles and ClusterRoles (rules of verbs on resources or non-resource URLs)
/// and their bindings (a fixed role reference and subjects: users, groups, service accounts).
///
/// Concurrency: pure functions. Must never: let a binding's roleRef change; granting a
/// different role must be a new binding, so the authorization to do so is checked afresh.
import SkiffAPI
import SkiffWire

enum RBACValidation {
    static let group = "rbac.authorization.k8s.io"

    // MARK: Roles

    static func validate(_ role: Role) -> [FieldError] {
        ObjectMetaValidation.validate(role.metadata, namespaced: true, name: NameFormats.pathSegmentName)
            + rules(role.rules, namespaced: true)
    }

    static func validateUpdate(_ role: Role, old: Role) -> [FieldError] {
        ObjectMetaValidation.validateUpdate(role.metadata, old: old.metadata) + rules(role.rules, namespaced: true)
    }

    static func validate(_ role: ClusterRole) -> [FieldError] {
        ObjectMetaValidation.validate(role.metadata, namespaced: false, name: NameFormats.pathSegmentName)
            + clusterRoleBody(role)
    }

    static func validateUpdate(_ role: ClusterRole, old: ClusterRole) -> [FieldError] {
        ObjectMetaValidation.validateUpdate(role.metadata, old: old.metadata) + clusterRoleBody(role)
    }

    private static func clusterRoleBody(_ role: ClusterRole) -> [FieldError] {
        var errors = rules(role.rules, namespaced: false)
        if let aggregation = role.aggregationRule {
            let selectorsPath = FieldPath("aggregationRule").child("clusterRoleSelectors")
            if aggregation.clusterRoleSelectors.isEmpty {
                errors.append(.required(selectorsPath, "at least one clusterRoleSelector required if aggregationRule is non-nil"))
            }
            for (index, selector) in aggregation.clusterRoleSelectors.enumerated() {
                errors += LabelSelectorValidation.validate(selector, selectorsPath.index(index))
            }
        }
        return errors
    }

    private static func rules(_ rules: [PolicyRule], namespaced: Bool) -> [FieldError] {
        var errors: [FieldError] = []
        for (index, rule) in rules.enumerated() {
            let rulePath = FieldPath("rules").index(index)
            if rule.verbs.isEmpty { errors.append(.required(rulePath.child("verbs"), "verbs must contain at least one value")) }
            if !rule.nonResourceURLs.isEmpty {
                let urlsPath = rulePath.child("nonResourceURLs")
                let shown = rule.nonResourceURLs.joined(separator: ",")
                if namespaced { errors.append(.invalid(urlsPath, shown, "namespaced rules cannot apply to non-resource URLs")) }
                if !rule.apiGroups.isEmpty || !rule.resources.isEmpty || !rule.resourceNames.isEmpty {
                    errors.append(.invalid(urlsPath, shown, "rules cannot apply to both regular resources and non-resource URLs"))
                }
                continue
            }
            if rule.apiGroups.isEmpty {
                errors.append(.required(rulePath.child("apiGroups"), "resource rules must supply at least one api group"))
            }
            if rule.resources.isEmpty {
                errors.append(.required(rulePath.child("resources"), "resource rules must supply at least one resource"))
            }
        }
        return errors
    }

    // MARK: Bindings

    static func validate(_ binding: RoleBinding) -> [FieldError] {
        ObjectMetaValidation.validate(binding.metadata, namespaced: true, name: NameFormats.pathSegmentName)
            + bindingBody(binding.roleRef, binding.subjects, roleKinds: ["Role", "ClusterRole"], namespaced: true)
    }

    static func validateUpdate(_ binding: RoleBinding, old: RoleBinding) -> [FieldError] {
        ObjectMetaValidation.validateUpdate(binding.metadata, old: old.metadata)
            + bindingBody(binding.roleRef, binding.subjects, roleKinds: ["Role", "ClusterRole"], namespaced: true)
            + fixedRoleRef(binding.roleRef, old.roleRef)
    }

    static func validate(_ binding: ClusterRoleBinding) -> [FieldError] {
        ObjectMetaValidation.validate(binding.metadata, namespaced: false, name: NameFormats.pathSegmentName)
            + bindingBody(binding.roleRef, binding.subjects, roleKinds: ["ClusterRole"], namespaced: false)
    }

    static func validateUpdate(_ binding: ClusterRoleBinding, old: ClusterRoleBinding) -> [FieldError] {
        ObjectMetaValidation.validateUpdate(binding.metadata, old: old.metadata)
            + bindingBody(binding.roleRef, binding.subjects, roleKinds: ["ClusterRole"], namespaced: false)
            + fixedRoleRef(binding.roleRef, old.roleRef)
    }

    private static func fixedRoleRef(_ new: RoleRef?, _ old: RoleRef?) -> [FieldError] {
        guard new != old else { return [] }
        let shown = "\(new?.apiGroup ?? "")/\(new?.kind ?? "")/\(new?.name ?? "")"
        return [.invalid(FieldPath("roleRef"), shown, "cannot change roleRef")]
    }

    private static func bindingBody(_ roleRef: RoleRef?, _ subjects: [Subject], roleKinds: [String], namespaced: Bool) -> [FieldError] {
        let refPath = FieldPath("roleRef")
        var errors: [FieldError] = []
        if roleRef == nil {
            errors.append(.required(refPath))
        } else {
            if roleRef?.apiGroup != group {
                errors.append(.notSupported(refPath.child("apiGroup"), roleRef?.apiGroup ?? "", [group]))
            }
            let kind = roleRef?.kind ?? ""
            if !roleKinds.contains(kind) { errors.append(.notSupported(refPath.child("kind"), kind, roleKinds)) }
            errors += FieldChecks.requiredName(roleRef?.name, refPath.child("name"), NameFormats.pathSegmentName)
        }
        for (index, subject) in subjects.enumerated() {
            errors += self.subject(subject, namespaced: namespaced, FieldPath("subjects").index(index))
        }
        return errors
    }

    private static func subject(_ subject: Subject, namespaced: Bool, _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        let name = subject.name ?? "", apiGroup = subject.apiGroup ?? ""
        if name.isEmpty { errors.append(.required(path.child("name"))) }
        switch subject.kind ?? "" {
        case "ServiceAccount":
            if !name.isEmpty { errors += FieldChecks.format(NameFormats.dns1123Subdomain(name), name, path.child("name")) }
            if !apiGroup.isEmpty { errors.append(.notSupported(path.child("apiGroup"), apiGroup, [""])) }
            // A ClusterRoleBinding has no namespace to default the account's from.
            if !namespaced && (subject.namespace ?? "").isEmpty { errors.append(.required(path.child("namespace"))) }
        case "User", "Group":
            if apiGroup != group { errors.append(.notSupported(path.child("apiGroup"), apiGroup, [group])) }
        case let other:
            errors.append(.notSupported(path.child("kind"), other, ["ServiceAccount", "User", "Group"]))
        }
        return errors
    }
}
