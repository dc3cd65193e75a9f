/// ZoneSnapshot: every record skiff-dns serves at one moment, immutable: the zones it is
/// authoritative for (the cluster domain and the reverse zones of the service and pod ranges),
/// each with its SOA, and the records by owner name. Built by ZoneBuilder, compiled into an
/// AnswerTable for the query path.
///
/// Concurrency: a plain Sendable value, shared freely. Must never: hold a record outside its
/// zones (it would be unreachable and misleading).

public struct ZoneSnapshot: Sendable, Equatable {
    public struct Zone: Sendable, Equatable {
        public var apex: DNSName
        public var soa: ResourceRecord
    }

    /// Most specific first, so the first match of a name is its zone.
    public private(set) var zones: [Zone]
    /// Records by owner name (lower case), each name's records in a stable order.
    public private(set) var records: [DNSName: [ResourceRecord]] = [:]
    /// Names that own nothing but have something below them (empty non-terminals): they
    /// exist, so they answer NODATA rather than NXDOMAIN.
    public private(set) var emptyNonTerminals: Set<DNSName> = []
    /// `pod.<domain>`: below it, a-b-c-d.<ns>.pod.<domain> answers a.b.c.d (the spec's
    /// deprecated but required pod records), computed per query.
    public let podZone: DNSName?
    /// TTL of every record, and of negative answers.
    public let ttl: UInt32

    public init(zones: [Zone], podZone: DNSName?, ttl: UInt32) {
        self.zones = zones.sorted { $0.apex.wire.count > $1.apex.wire.count }
        self.podZone = podZone
        self.ttl = ttl
    }

    public func zone(containing name: DNSName) -> Zone? {
        zones.first { name.isSubdomain(of: $0.apex) }
    }

    /// Whether the name exists (owns records, or has some below it).
    public func exists(_ name: DNSName) -> Bool {
        records[name.lowercased] != nil || emptyNonTerminals.contains(name.lowercased)
    }

    public func records(at name: DNSName, type: RecordType) -> [ResourceRecord] {
        (records[name.lowercased] ?? []).filter { $0.type == type }
    }

    /// Adds a record unless the same one is already there, and marks its ancestors within the
    /// zone as existing. Returns false (adding nothing) for a name outside every zone.
    @discardableResult
    mutating func add(_ record: ResourceRecord) -> Bool {
        var record = record
        record.name = record.name.lowercased
        guard let zone = zone(containing: record.name) else { return false }
        var rrset = records[record.name] ?? []
        if rrset.contains(record) { return true }
        rrset.append(record)
        records[record.name] = rrset
        emptyNonTerminals.remove(record.name)
        var ancestor = record.name.parent
        // An ancestor already known to exist has its own ancestors recorded too: stop there.
        while let name = ancestor, name != zone.apex, records[name] == nil, emptyNonTerminals.insert(name).inserted {
            ancestor = name.parent
        }
        return true
    }

    /// Marks a name as existing without records of its own (svc.<domain>, pod.<domain>).
    mutating func addEmptyNonTerminal(_ name: DNSName) {
        if records[name.lowercased] == nil { emptyNonTerminals.insert(name.lowercased) }
    }
}
