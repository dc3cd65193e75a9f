/// ServiceRuleCache: the sync loop's service port rules, kept per Service (by its key, which its
/// Endpoints share) with the resourceVersions of the two objects they were derived from. A
/// change to one service re-derives that service's rules only (`ServiceRules.build(service:...)`,
/// pure); a full pass looks at every service and re-derives those whose objects moved on. So
/// the rules always equal `ServiceRules.build` over the whole caches (ServiceRuleCacheTests),
/// at the cost of what changed.
///
/// Concurrency: a value, owned by the sync loop. Must never: keep rules of a service that is
/// gone from the cache it was refreshed against.
import SkiffAPI
import SkiffClient
import SkiffWire

public struct ServiceRuleCache: Sendable {
    struct Entry: Sendable {
        var serviceVersion: String
        var endpointsVersion: String?
        var rules: [ServicePortRule]
    }

    public let serviceCIDR: IPv4Range
    private var entries: [ObjectKey: Entry] = [:]

    public init(serviceCIDR: IPv4Range) { self.serviceCIDR = serviceCIDR }

    /// Every service's rules, in no particular order.
    public var rules: [ServicePortRule] {
        var all: [ServicePortRule] = []
        all.reserveCapacity(entries.count)
        for entry in entries.values { all += entry.rules }
        return all
    }

    /// The services that have an entry (tests).
    public var keys: Set<ObjectKey> { Set(entries.keys) }

    /// Derives `key`'s rules again from its Service and Endpoints as the caches hold them now
    /// (nil: not there); skipped when both objects are at the versions last derived from.
    public mutating func refresh(_ key: ObjectKey, service: Service?, endpoints: Endpoints?) {
        guard let service else {
            entries[key] = nil
            return
        }
        let serviceVersion = service.metadata?.resourceVersion ?? ""
        let endpointsVersion = endpoints.map { $0.metadata?.resourceVersion ?? "" }
        if let entry = entries[key], !serviceVersion.isEmpty, entry.serviceVersion == serviceVersion,
           entry.endpointsVersion == endpointsVersion, endpointsVersion != "" {
            return
        }
        entries[key] = Entry(serviceVersion: serviceVersion, endpointsVersion: endpointsVersion,
                             rules: ServiceRules.build(service: service, endpoints: endpoints, serviceCIDR: serviceCIDR))
    }

    /// Every service in `services` refreshed, and the entries of services no longer there dropped.
    public mutating func refreshAll(services: Indexer<Service>, endpoints: Indexer<Endpoints>) {
        let present = services.keys()
        for key in present {
            refresh(key, service: services.get(key), endpoints: endpoints.get(key))
        }
        if entries.count > present.count {
            let wanted = Set(present)
            for key in entries.keys where !wanted.contains(key) { entries[key] = nil }
        }
    }
}
