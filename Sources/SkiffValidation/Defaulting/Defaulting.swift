/// Defaulting: fills in the fields an API object leaves unset with the values Kubernetes'
/// defaulters give them (a Pod's restartPolicy Always, a Deployment's 25% surge, a Job's
/// backoffLimit 6, ...), so that what the store keeps and watchers see is what a Kubernetes
/// cluster would show. The apiserver defaults every object it decodes from a request, before
/// validating it.
///
/// Only what Kubernetes' defaulters do lives here. What its registry strategies and admission
/// plugins do on create (a pod's Pending phase, a service's cluster IP, a namespace's
/// "kubernetes" finalizer, the serviceaccount "default") belongs to the apiserver.
///
/// Like Kubernetes', the defaulters treat a Go struct that is not a pointer (a Pod's spec, a
/// Deployment's strategy, a Namespace's status) as always present: it is created empty and
/// then defaulted.
///
/// Concurrency: pure functions on values. Must never: change a field the user set, or give a
/// different result when applied twice (defaulting is idempotent).
import SkiffWire

public enum Defaulting {
    /// Fills in `object`'s defaults. Kinds Kubernetes has no defaults for are left as they are.
    public static func apply<Object: APIObject>(to object: inout Object) {
        guard var defaulted = object as? any DefaultedValue else { return }
        defaulted.setDefaults()
        // `defaulted` is `object` with fields filled in: same dynamic type.
        object = defaulted as! Object
    }

    /// `object` with its defaults, for callers that hold an object of any kind.
    public static func defaulted(_ object: any APIObject) -> any APIObject {
        var copy = object
        apply(to: &copy)
        return copy
    }
}

/// A value with Kubernetes defaults: an API object, or a part of one that appears in several.
protocol DefaultedValue {
    init()
    /// Sets every unset field that has a default. Idempotent.
    mutating func setDefaults()
}

extension Optional where Wrapped: DefaultedValue {
    /// Defaults a field that Kubernetes declares as a plain struct, which always exists: the
    /// value is created empty when absent.
    mutating func setDefaultsCreating() {
        var value = self ?? Wrapped()
        value.setDefaults()
        self = value
    }
}

/// Kubernetes' defaulters test strings against "": an unset and an empty string are alike.
func setIfEmpty(_ field: inout String?, _ value: String) {
    if field?.isEmpty ?? true { field = value }
}

/// Kubernetes' defaulters test plain integers against 0: unset and 0 are alike.
func setIfZero<Number: BinaryInteger>(_ field: inout Number?, _ value: Number) {
    if (field ?? 0) == 0 { field = value }
}
