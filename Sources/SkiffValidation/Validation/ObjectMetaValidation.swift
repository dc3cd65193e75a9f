/// ObjectMetaValidation: the metadata rules every object shares (name and generateName in the
/// kind's format, namespace presence by scope, labels, annotations, owner references,
/// finalizers) and what an update may not change (name, namespace, uid, timestamps).
///
/// Concurrency: pure functions. Must never: require fields the apiserver fills itself (uid,
/// resourceVersion, creationTimestamp); those are the apiserver's to set, not the user's.
import SkiffAPI
import SkiffWire

enum ObjectMetaValidation {
    static let path = FieldPath("metadata")

    /// Metadata of an object being created. `name` checks the name's format for this kind.
    static func validate(_ meta: ObjectMeta?, namespaced: Bool, name rule: (String) -> [String]) -> [FieldError] {
        let meta = meta ?? ObjectMeta()
        var errors: [FieldError] = []
        let generateName = meta.generateName ?? ""
        if !generateName.isEmpty {
            errors += FieldChecks.format(rule(NameFormats.maskingTrailingDash(generateName)), generateName,
                                         path.child("generateName"))
        }
        if let name = meta.name, !name.isEmpty {
            errors += FieldChecks.format(rule(name), name, path.child("name"))
        } else if generateName.isEmpty {
            // The apiserver turns generateName into a name; one of the two must be there.
            errors.append(.required(path.child("name"), "name or generateName is required"))
        }
        errors += namespace(meta.namespace, namespaced: namespaced)
        errors += common(meta)
        return errors
    }

    /// Metadata of an update: what may not change, plus the rules any metadata must follow.
    static func validateUpdate(_ new: ObjectMeta?, old: ObjectMeta?) -> [FieldError] {
        let new = new ?? ObjectMeta()
        let old = old ?? ObjectMeta()
        var errors: [FieldError] = []
        errors += FieldChecks.immutable(new.name ?? "", old.name ?? "", path.child("name"), shown: new.name ?? "")
        errors += FieldChecks.immutable(new.namespace ?? "", old.namespace ?? "", path.child("namespace"),
                                        shown: new.namespace ?? "")
        // Fields the apiserver maintains: an update that omits them keeps the stored value.
        if let uid = new.uid, !uid.isEmpty {
            errors += FieldChecks.immutable(uid, old.uid ?? "", path.child("uid"), shown: uid)
        }
        if let created = new.creationTimestamp {
            errors += FieldChecks.immutable(created, old.creationTimestamp ?? Time(), path.child("creationTimestamp"),
                                            shown: created.description)
        }
        if let deleted = new.deletionTimestamp, deleted != old.deletionTimestamp {
            errors.append(.invalid(path.child("deletionTimestamp"), deleted.description, FieldChecks.immutableMessage))
        }
        if let grace = new.deletionGracePeriodSeconds, grace != old.deletionGracePeriodSeconds {
            errors.append(.invalid(path.child("deletionGracePeriodSeconds"), String(grace), FieldChecks.immutableMessage))
        }
        if let generation = new.generation, let oldGeneration = old.generation, generation < oldGeneration {
            errors.append(.invalid(path.child("generation"), String(generation), "must not be decremented"))
        }
        if old.deletionTimestamp != nil {
            let added = Set(new.finalizers).subtracting(old.finalizers).sorted()
            if !added.isEmpty {
                let listed = added.map { "\"\($0)\"" }.joined(separator: ", ")
                errors.append(.forbidden(path.child("finalizers"),
                                         "no new finalizers can be added if the object is being deleted, found new finalizers []string{\(listed)}"))
            }
        }
        errors += common(new)
        return errors
    }

    /// Labels and annotations of an embedded template; nothing else of its metadata matters.
    static func validateTemplate(_ meta: ObjectMeta?, _ path: FieldPath) -> [FieldError] {
        FieldChecks.labels(meta?.labels ?? [:], path.child("labels"))
            + FieldChecks.annotations(meta?.annotations ?? [:], path.child("annotations"))
    }

    private static func namespace(_ namespace: String?, namespaced: Bool) -> [FieldError] {
        let namespacePath = path.child("namespace")
        guard namespaced else {
            if let namespace, !namespace.isEmpty { return [.forbidden(namespacePath, "not allowed on this type")] }
            return []
        }
        return FieldChecks.requiredName(namespace, namespacePath, NameFormats.dns1123Label)
    }

    private static func common(_ meta: ObjectMeta) -> [FieldError] {
        var errors = FieldChecks.nonNegative(meta.generation, path.child("generation"))
        errors += FieldChecks.labels(meta.labels, path.child("labels"))
        errors += FieldChecks.annotations(meta.annotations, path.child("annotations"))
        errors += ownerReferences(meta.ownerReferences, path.child("ownerReferences"))
        errors += finalizers(meta.finalizers, path.child("finalizers"))
        return errors
    }

    // MARK: Owner references

    static func ownerReferences(_ references: [OwnerReference], _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        var firstController: String?
        for (index, reference) in references.enumerated() {
            let referencePath = path.index(index)
            let apiVersion = reference.apiVersion ?? ""
            if apiVersion.isEmpty {
                errors.append(.required(referencePath.child("apiVersion"), "must not be empty"))
            } else if !isGroupVersion(apiVersion) {
                errors.append(.invalid(referencePath.child("apiVersion"), apiVersion, "must be <group>/<version> or <version>"))
            }
            for field in ["kind", "name", "uid"] {
                let value = field == "kind" ? reference.kind : field == "name" ? reference.name : reference.uid
                if (value ?? "").isEmpty { errors.append(.required(referencePath.child(field), "must not be empty")) }
            }
            if apiVersion == "v1", reference.kind == "Event" {
                errors.append(.invalid(referencePath, "/v1, Kind=Event is disallowed from being an owner"))
            }
            if reference.controller == true {
                let current = "\(reference.kind ?? "")/\(reference.name ?? "")"
                if let firstController {
                    errors.append(.invalid(path,
                        "Only one reference can have Controller set to true. Found \"true\" in references for \(firstController) and \(current)"))
                } else {
                    firstController = current
                }
            }
        }
        return errors
    }

    /// "v1" or "apps/v1": a version, optionally after one group.
    private static func isGroupVersion(_ value: String) -> Bool {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return true
        case 2: return !parts[1].isEmpty
        default: return false
        }
    }

    // MARK: Finalizers

    /// Finalizers Kubernetes itself defines; any other must be qualified ("example.com/cleanup").
    static let standardFinalizers: Set<String> = ["kubernetes", "orphan", "foregroundDeletion"]

    static func finalizers(_ finalizers: [String], _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        for (index, finalizer) in finalizers.enumerated() {
            errors += finalizerName(finalizer, path, index: index)
        }
        if finalizers.contains("orphan") && finalizers.contains("foregroundDeletion") {
            errors.append(.invalid(path, "finalizer orphan and foregroundDeletion cannot be both set"))
        }
        return errors
    }

    /// One finalizer: a qualified name, and either standard or prefixed with a domain.
    static func finalizerName(_ finalizer: String, _ path: FieldPath, index: Int) -> [FieldError] {
        var errors = FieldChecks.format(NameFormats.qualifiedName(finalizer), finalizer, path)
        if !finalizer.contains("/") && !standardFinalizers.contains(finalizer) {
            errors.append(.invalid(path.index(index), finalizer,
                                   "name is neither a standard finalizer name nor is it fully qualified"))
        }
        return errors
    }
}
