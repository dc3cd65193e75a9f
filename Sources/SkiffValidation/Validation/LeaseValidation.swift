/// LeaseValidation: coordination Leases (leader election, node heartbeats): positive durations,
/// non-negative transition counts, a known strategy.
///
/// Concurrency: pure functions. Must never: reject a renewal that only moves renewTime; leases
/// are updated every few seconds.
import SkiffAPI
import SkiffWire

enum LeaseValidation {
    static func validate(_ lease: Lease) -> [FieldError] {
        ObjectMetaValidation.validate(lease.metadata, namespaced: true, name: NameFormats.dns1123Subdomain) + spec(lease.spec)
    }

    static func validateUpdate(_ lease: Lease, old: Lease) -> [FieldError] {
        ObjectMetaValidation.validateUpdate(lease.metadata, old: old.metadata) + spec(lease.spec)
    }

    private static func spec(_ spec: LeaseSpec?) -> [FieldError] {
        guard let spec else { return [] }
        let path = FieldPath("spec")
        var errors = FieldChecks.positive(spec.leaseDurationSeconds, path.child("leaseDurationSeconds"))
        errors += FieldChecks.nonNegative(spec.leaseTransitions, path.child("leaseTransitions"))
        if let strategy = spec.strategy {
            errors += FieldChecks.requiredChoice(strategy, ["OldestEmulationVersion"], path.child("strategy"))
        }
        if let holder = spec.preferredHolder, !holder.isEmpty, (spec.strategy ?? "").isEmpty {
            errors.append(.forbidden(path.child("preferredHolder"), "may only be specified if `strategy` is defined"))
        }
        return errors
    }
}
