/// NamespaceValidation: Namespaces: DNS-label names (they appear in service DNS names) and the
/// finalizers that hold a namespace open while its contents are deleted.
///
/// Concurrency: pure functions. Must never: accept a namespace name that cannot be a DNS label.
import SkiffAPI
import SkiffWire

enum NamespaceValidation {
    static func validate(_ namespace: Namespace) -> [FieldError] {
        ObjectMetaValidation.validate(namespace.metadata, namespaced: false, name: NameFormats.dns1123Label)
            + finalizers(namespace.spec)
    }

    static func validateUpdate(_ namespace: Namespace, old: Namespace) -> [FieldError] {
        ObjectMetaValidation.validateUpdate(namespace.metadata, old: old.metadata) + finalizers(namespace.spec)
    }

    private static func finalizers(_ spec: NamespaceSpec?) -> [FieldError] {
        let path = FieldPath("spec").child("finalizers")
        return (spec?.finalizers ?? []).enumerated().flatMap { index, finalizer in
            ObjectMetaValidation.finalizerName(finalizer, path, index: index)
        }
    }
}
