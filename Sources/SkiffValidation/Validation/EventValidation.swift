/// EventValidation: core/v1 Events: the object an event is about must be named and live in the
/// event's own namespace (cluster-scoped objects' events go to "default"); the type is Normal
/// or Warning.
///
/// Concurrency: pure functions. Must never: reject an event for its name's shape beyond the
/// subdomain rule; recorders name events "<object>.<hex timestamp>".
import SkiffAPI
import SkiffWire

enum EventValidation {
    static let types = ["Normal", "Warning"]

    static func validate(_ event: Event) -> [FieldError] {
        ObjectMetaValidation.validate(event.metadata, namespaced: true, name: NameFormats.dns1123Subdomain) + body(event)
    }

    static func validateUpdate(_ event: Event, old: Event) -> [FieldError] {
        ObjectMetaValidation.validateUpdate(event.metadata, old: old.metadata) + body(event)
    }

    private static func body(_ event: Event) -> [FieldError] {
        let objectPath = FieldPath("involvedObject")
        guard let involved = event.involvedObject else { return [.required(objectPath)] }
        var errors: [FieldError] = []
        if (involved.kind ?? "").isEmpty { errors.append(.required(objectPath.child("kind"))) }
        if (involved.name ?? "").isEmpty { errors.append(.required(objectPath.child("name"))) }
        let namespace = event.metadata?.namespace ?? ""
        let involvedNamespace = involved.namespace ?? ""
        let matches = involvedNamespace.isEmpty
            ? ["", "default", "kube-system"].contains(namespace)
            : involvedNamespace == namespace
        if !matches {
            errors.append(.invalid(objectPath.child("namespace"), involvedNamespace, "does not match event.namespace"))
        }
        errors += FieldChecks.optionalChoice(event.type, types, FieldPath("type"))
        errors += FieldChecks.nonNegative(event.count, FieldPath("count"))
        return errors
    }
}
