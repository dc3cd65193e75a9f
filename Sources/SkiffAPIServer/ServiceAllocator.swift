/// ServiceAllocator: a Service's virtual IP (from the service range) and its node ports (from
/// 30000-32767), allocated when the Service is written, as Kubernetes' apiserver does.
///
/// Each allocated value is a reservation key in the store (`/registry/allocations/...`) that
/// names its owner (namespace/name/uid). The reservation is written in the same transaction
/// as the Service, each with its own compare, so two apiservers can never hand out one value
/// twice: the loser's transaction fails and it allocates again. Reservations are released
/// lazily: one whose owner no longer exists, or no longer holds that value, is stale and is
/// taken over (compare on its revision) by the next allocation that wants it; a crash between
/// any two steps therefore leaks nothing.
///
/// Dynamic allocations come from the upper part of each space first and the lower "static
/// band" last (Kubernetes' split), so a value a manifest asks for, like the DNS service's
/// 10.96.0.10, is rarely taken already.
///
/// Concurrency: a Sendable value; concurrent writers meet in the store's compares.
/// Must never: return a Service holding a value its claims do not cover.
import SkiffAPI
import SkiffStoreClient
import SkiffWire

/// The address space services are given: the service range and the node-port range.
public struct ServiceNetwork: Sendable {
    public var serviceRange: IPv4Range
    public var nodePorts: ClosedRange<Int32>

    public static let defaultServiceRange = IPv4Range("10.96.0.0/16")!
    public static let defaultNodePorts: ClosedRange<Int32> = 30000...32767

    public init(serviceRange: IPv4Range = defaultServiceRange, nodePorts: ClosedRange<Int32> = defaultNodePorts) {
        self.serviceRange = serviceRange
        self.nodePorts = nodePorts
    }
}

/// One space of allocatable values (addresses or ports) as offsets 0..<count, with Kubernetes'
/// static band at the low end.
struct AllocationSpace: Sendable {
    var count: UInt64
    /// Kubernetes' static band: min(max(16, count/16), 256) values, or none in tiny spaces.
    var staticBand: UInt64 {
        count < 16 ? 0 : min(max(16, count / 16), 256)
    }

    /// Candidate offsets for a dynamic allocation, upper band first, starting at random points.
    func candidates(tries: Int) -> [UInt64] {
        guard count > 0 else { return [] }
        let band = staticBand
        let upper = band < count ? (band..<count) : (0..<count)
        var picks = (0..<tries).map { _ in UInt64.random(in: upper) }
        if band > 0, band < count { picks.append(UInt64.random(in: 0..<band)) }
        return picks
    }
}

/// The pure part: which values a Service holds and must newly claim, given its previous version.
enum ServiceAllocation {
    static let ipPrefix = "/registry/allocations/serviceips/"
    static let portPrefix = "/registry/allocations/servicenodeports/"

    static func ipKey(_ address: String) -> String { ipPrefix + address }
    static func portKey(_ port: Int32) -> String { portPrefix + String(port) }

    /// The owner text a reservation stores.
    static func owner(_ service: Service) -> String {
        let meta = service.metadata
        return "\(meta?.namespace ?? "")/\(meta?.name ?? "")/\(meta?.uid ?? "")"
    }

    static func needsClusterIP(_ spec: ServiceSpec) -> Bool { spec.type != "ExternalName" }

    static func needsNodePorts(_ spec: ServiceSpec) -> Bool {
        spec.type == "NodePort" || (spec.type == "LoadBalancer" && spec.allocateLoadBalancerNodePorts != false)
    }

    /// The reservation keys a stored Service holds.
    static func heldKeys(_ service: Service) -> Set<String> {
        var keys: Set<String> = []
        if let ip = service.spec?.clusterIP, IPv4Address(ip) != nil { keys.insert(ipKey(ip)) }
        for port in service.spec?.ports ?? [] {
            if let nodePort = port.nodePort, nodePort != 0 { keys.insert(portKey(nodePort)) }
        }
        return keys
    }

    /// Clears what a type change made meaningless when the update left it as stored, as
    /// Kubernetes does: node ports and the external traffic policy of a Service turned
    /// ClusterIP, the address of one turned ExternalName. (A value the update itself changed is the user's, and validation judges it.)
    static func dropTypeDependentFields(_ spec: inout ServiceSpec, old: ServiceSpec?) {
        guard let old, old.type != spec.type else { return }
        if !needsNodePorts(spec) && needsNodePorts(old) {
            if spec.externalTrafficPolicy == old.externalTrafficPolicy && spec.externalIPs.isEmpty {
                spec.externalTrafficPolicy = nil  // only traffic from outside has an external policy
            }
            for index in spec.ports.indices {
                let nodePort = spec.ports[index].nodePort
                if nodePort != nil && old.ports.contains(where: { $0.nodePort == nodePort }) { spec.ports[index].nodePort = nil }
            }
        }
        if spec.type == "ExternalName" && spec.clusterIP == old.clusterIP {
            spec.clusterIP = nil
            spec.clusterIPs = []
            spec.ipFamilies = []
            spec.ipFamilyPolicy = nil
        }
    }

    /// Carries over what an update left out but the stored Service had, as Kubernetes does for
    /// a PUT of a manifest that never named them: the clusterIP, and each port's nodePort
    /// (matched by name, else by port and protocol).
    static func carryOver(_ spec: inout ServiceSpec, from old: ServiceSpec?) {
        guard let old else { return }
        if (spec.clusterIP ?? "").isEmpty, spec.clusterIPs.isEmpty, spec.type != "ExternalName",
           let ip = old.clusterIP, !ip.isEmpty {
            spec.clusterIP = ip
            spec.clusterIPs = old.clusterIPs
        }
        guard needsNodePorts(spec) else { return }
        for index in spec.ports.indices where (spec.ports[index].nodePort ?? 0) == 0 {
            let port = spec.ports[index]
            let match = old.ports.first { oldPort in
                if let name = port.name, !name.isEmpty { return oldPort.name == name }
                return oldPort.port == port.port && oldPort.protocol == port.protocol
            }
            if let nodePort = match?.nodePort, nodePort != 0 { spec.ports[index].nodePort = nodePort }
        }
    }
}

struct ServiceAllocator: Sendable {
    let network: ServiceNetwork
    let store: any StoreBackend

    /// A claim on one reservation key, written with the Service.
    struct Claim: Sendable {
        var key: String
        var value: [UInt8]
        /// The key's revision now: 0 when absent, else the stale reservation being taken over.
        var revision: Int64

        var compare: Compare { Compare(key: key, modRevision: revision) }
        var operation: Operation { Operation(key: key, value: value) }
    }

    private struct Reservation {
        var owner: String
        var revision: Int64
    }

    /// Fills in the Service's clusterIP (clusterIPs, ipFamilies) and missing nodePorts, and
    /// returns the claims for every value it holds that `previous` did not. Throws 422 naming
    /// the field for a requested value outside its range or held by another Service.
    func allocate(_ service: inout Service, previous: Service?) async throws -> [Claim] {
        guard var spec = service.spec else { return [] }
        ServiceAllocation.carryOver(&spec, from: previous?.spec)
        let owner = ServiceAllocation.owner(service)
        let alreadyHeld = previous.map(ServiceAllocation.heldKeys) ?? []
        var claims: [Claim] = []
        var errors: [FieldError] = []
        let name = service.metadata?.name ?? ""

        if ServiceAllocation.needsClusterIP(spec) {
            if spec.ipFamilies.isEmpty { spec.ipFamilies = ["IPv4"] }
            if spec.ipFamilyPolicy == nil { spec.ipFamilyPolicy = "SingleStack" }
            let requested = spec.clusterIP ?? spec.clusterIPs.first ?? ""
            if requested == "None" {
                spec.clusterIP = "None"
                spec.clusterIPs = ["None"]
            } else if requested.isEmpty {
                let (address, claim) = try await dynamicAddress(owner: owner, taken: Set(claims.map(\.key)))
                spec.clusterIP = address
                spec.clusterIPs = [address]
                claims.append(claim)
            } else if !alreadyHeld.contains(ServiceAllocation.ipKey(requested)) {
                let field = "spec.clusterIPs[0]"
                if let error = outOfRange(requested) {
                    errors.append(.invalid(field, requested, "failed to allocate IP \(requested): \(error)"))
                } else if let claim = try await claimIfFree(ServiceAllocation.ipKey(requested), owner: owner) {
                    claims.append(claim)
                } else {
                    errors.append(.invalid(field, requested, "failed to allocate IP \(requested): provided IP is already allocated"))
                }
                spec.clusterIP = requested
                spec.clusterIPs = [requested]
            }
        }

        if ServiceAllocation.needsNodePorts(spec) {
            // One node port per port number: a Service may use it for TCP and UDP alike.
            var chosen: [Int32: Int32] = [:]
            for index in spec.ports.indices {
                let port = spec.ports[index]
                let requested = port.nodePort ?? 0
                if requested != 0 {
                    let key = ServiceAllocation.portKey(requested)
                    if alreadyHeld.contains(key) || claims.contains(where: { $0.key == key }) { continue }
                    guard network.nodePorts.contains(requested) else { continue }  // validation reports it
                    if let claim = try await claimIfFree(key, owner: owner) {
                        claims.append(claim)
                    } else {
                        errors.append(.invalid("spec.ports[\(index)].nodePort", String(requested), "provided port is already allocated"))
                    }
                } else if let same = chosen[port.port ?? 0] {
                    spec.ports[index].nodePort = same
                } else {
                    let (nodePort, claim) = try await dynamicNodePort(owner: owner, taken: Set(claims.map(\.key)))
                    spec.ports[index].nodePort = nodePort
                    chosen[port.port ?? 0] = nodePort
                    claims.append(claim)
                }
            }
        }

        if !errors.isEmpty { throw APIError.invalid(kind: "Service", group: "", name: name, errors) }
        service.spec = spec
        return claims
    }

    /// Why `text` cannot be a service address of this range, or nil if it can.
    func outOfRange(_ text: String) -> String? {
        let range = network.serviceRange
        guard let address = IPv4Address(text), let offset = range.offset(of: address),
              range.size <= 2 || (offset != 0 && offset != range.size - 1) else {
            return "the provided IP (\(text)) is not in the valid range. The range of valid IPs is \(range)"
        }
        return nil
    }

    // MARK: dynamic allocation

    private func dynamicAddress(owner: String, taken: Set<String>) async throws -> (String, Claim) {
        let range = network.serviceRange
        // The network and broadcast addresses are never handed out.
        let usable = range.size > 2 ? range.size - 2 : range.size
        let skip: UInt64 = range.size > 2 ? 1 : 0
        let space = AllocationSpace(count: usable)
        let key = { (offset: UInt64) in ServiceAllocation.ipKey(range.address(at: offset + skip).description) }
        guard let (offset, claim) = try await dynamic(space, key: key, owner: owner, taken: taken) else {
            throw APIError.internalError("failed to allocate a serviceIP: range is full")
        }
        return (range.address(at: offset + skip).description, claim)
    }

    private func dynamicNodePort(owner: String, taken: Set<String>) async throws -> (Int32, Claim) {
        let ports = network.nodePorts
        let space = AllocationSpace(count: UInt64(ports.upperBound - ports.lowerBound + 1))
        let key = { (offset: UInt64) in ServiceAllocation.portKey(ports.lowerBound + Int32(offset)) }
        guard let (offset, claim) = try await dynamic(space, key: key, owner: owner, taken: taken) else {
            throw APIError.internalError("failed to allocate a nodePort: range is full")
        }
        return (ports.lowerBound + Int32(offset), claim)
    }

    /// A few random candidates first (a sparse space answers at once), then a full scan: free
    /// offsets in order, upper band first, then reserved ones whose owner may be gone.
    private func dynamic(_ space: AllocationSpace, key: (UInt64) -> String, owner: String,
                         taken: Set<String>) async throws -> (UInt64, Claim)? {
        for offset in space.candidates(tries: 8) where !taken.contains(key(offset)) {
            if let claim = try await claimIfFree(key(offset), owner: owner) { return (offset, claim) }
        }
        let reserved = try await reservedKeys(beside: key(0))
        let band = space.staticBand < space.count ? space.staticBand : 0
        let order = Array(band..<space.count) + Array(0..<band)
        for wantReserved in [false, true] {
            for offset in order where reserved.contains(key(offset)) == wantReserved && !taken.contains(key(offset)) {
                if let claim = try await claimIfFree(key(offset), owner: owner) { return (offset, claim) }
            }
        }
        return nil
    }

    /// Every reservation key in the folder of `sample` (one read, for a full scan).
    private func reservedKeys(beside sample: String) async throws -> Set<String> {
        let prefix = String(sample[...sample.lastIndex(of: "/")!])
        let reply = try await storeCall {
            try await store.range(RangeRequest(key: prefix, rangeEnd: SkiffStoreClient.prefixEnd(for: prefix)))
        }
        return Set(reply.kvs.compactMap(\.key))
    }

    // MARK: reservations

    /// A claim on `key` if it is free or its reservation is stale; nil if a live Service holds it.
    private func claimIfFree(_ key: String, owner: String) async throws -> Claim? {
        let value = Array(owner.utf8)
        guard let reservation = try await reservation(key) else { return Claim(key: key, value: value, revision: 0) }
        if try await isLive(reservation, key: key) { return nil }
        return Claim(key: key, value: value, revision: reservation.revision)
    }

    private func reservation(_ key: String) async throws -> Reservation? {
        let reply = try await storeCall { try await store.range(RangeRequest(key: key)) }
        guard let kv = reply.kvs.first, let value = kv.value else { return nil }
        return Reservation(owner: String(decoding: value, as: UTF8.self), revision: kv.modRevision ?? 0)
    }

    /// Whether the reservation's owner still exists, with the same uid, and still holds the key.
    private func isLive(_ reservation: Reservation, key: String) async throws -> Bool {
        let parts = reservation.owner.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let services = ResourceCatalog.resource(group: "", plural: "services") else { return false }
        let storageKey = StorageKey(resource: services, namespace: parts[0], name: parts[1]).key
        let reply = try await storeCall { try await store.range(RangeRequest(key: storageKey)) }
        guard let value = reply.kvs.first?.value, let service = try? Service(serializedBytes: value) else { return false }
        return service.metadata?.uid == parts[2] && ServiceAllocation.heldKeys(service).contains(key)
    }
}
