/// NodeInfo: one node as the scheduler sees it (Kubernetes' `framework.NodeInfo`): the node's
/// labels, taints, cordon and readiness, what it can allocate, and the pods assigned to it
/// (bound, or assumed by this scheduler) with their summed requests, the host ports they hold
/// and how many pods of each controller run there.
///
/// Concurrency: a plain value; the SchedulerCache mutates it under its lock, and a scheduling
/// cycle reads it. Must never: let its sums drift from its pods: every change goes through
/// `add(_:)` and `remove(_:)`.
import SkiffClient
import SkiffWire

public enum NodeReadiness: Sendable, Equatable {
    /// Ready condition True.
    case ready
    /// Ready condition False.
    case notReady
    /// Ready condition Unknown, or not reported at all.
    case unknown

    init(_ conditions: [NodeCondition]) {
        switch conditions.last(where: { $0.type == "Ready" })?.status {
        case "True": self = .ready
        case "False": self = .notReady
        default: self = .unknown
        }
    }
}

public struct NodeInfo: Sendable {
    /// Everything lives in one copy-on-write box: a scheduling cycle passes NodeInfos to every
    /// plugin, and copying one is then a single retain instead of one per field.
    private final class Storage: @unchecked Sendable {
        // Mutated only through NodeInfo's mutating methods, after `isKnownUniquelyReferenced`.
        var labels: [String: String] = [:]
        var taints: [Taint] = []
        var unschedulable = false
        var readiness = NodeReadiness.unknown
        var allocatable = ResourceList()
        var allowedPodCount: Int64 = 0
        var pods: [ObjectKey: PodInfo] = [:]
        var requested = ResourceList()
        var nonZeroMilliCPU: Int64 = 0
        var nonZeroMemory: Int64 = 0
        var usedPorts: [HostPort: Int] = [:]
        var controllerCounts: [String: Int] = [:]

        init() {}

        func copy() -> Storage {
            let copy = Storage()
            copy.labels = labels
            copy.taints = taints
            copy.unschedulable = unschedulable
            copy.readiness = readiness
            copy.allocatable = allocatable
            copy.allowedPodCount = allowedPodCount
            copy.pods = pods
            copy.requested = requested
            copy.nonZeroMilliCPU = nonZeroMilliCPU
            copy.nonZeroMemory = nonZeroMemory
            copy.usedPorts = usedPorts
            copy.controllerCounts = controllerCounts
            return copy
        }
    }

    public let name: String
    private var storage = Storage()

    public var labels: [String: String] { storage.labels }
    public var taints: [Taint] { storage.taints }
    public var unschedulable: Bool { storage.unschedulable }
    public var readiness: NodeReadiness { storage.readiness }
    public var allocatable: ResourceList { storage.allocatable }
    /// status.allocatable["pods"]; 0 when the node does not say (it then takes no pods).
    public var allowedPodCount: Int64 { storage.allowedPodCount }
    public var pods: [ObjectKey: PodInfo] { storage.pods }
    /// The sum of the assigned pods' requests (fit).
    public var requested: ResourceList { storage.requested }
    /// The sum of their non-zero CPU and memory (scoring).
    public var nonZeroMilliCPU: Int64 { storage.nonZeroMilliCPU }
    public var nonZeroMemory: Int64 { storage.nonZeroMemory }
    /// Host ports in use, with how many pods hold each (two pods may legally share a port on
    /// different addresses).
    public var usedPorts: [HostPort: Int] { storage.usedPorts }
    /// Assigned pods per controller uid.
    public var controllerCounts: [String: Int] { storage.controllerCounts }
    public var podCount: Int { storage.pods.count }

    public init(_ node: Node) {
        name = node.metadata?.name ?? ""
        update(node)
    }

    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

    /// Takes the node's new labels, taints, cordon, readiness and allocatable; keeps the pods.
    public mutating func update(_ node: Node) {
        let storage = unique()
        storage.labels = node.metadata?.labels ?? [:]
        storage.taints = node.spec?.taints ?? []
        storage.unschedulable = node.spec?.unschedulable ?? false
        storage.readiness = NodeReadiness(node.status?.conditions ?? [])
        let allocatable = node.status?.allocatable ?? [:]
        storage.allocatable = ResourceList(allocatable)
        storage.allowedPodCount = allocatable["pods"]?.value ?? 0
    }

    public mutating func add(_ pod: PodInfo) {
        if storage.pods[pod.key] != nil { remove(pod.key) }
        let storage = unique()
        storage.pods[pod.key] = pod
        storage.requested.add(pod.requests.requests)
        storage.nonZeroMilliCPU += pod.requests.nonZeroMilliCPU
        storage.nonZeroMemory += pod.requests.nonZeroMemory
        for port in pod.hostPorts { storage.usedPorts[port, default: 0] += 1 }
        if let owner = pod.controllerUID { storage.controllerCounts[owner, default: 0] += 1 }
    }

    @discardableResult
    public mutating func remove(_ key: ObjectKey) -> PodInfo? {
        guard storage.pods[key] != nil else { return nil }
        let storage = unique()
        guard let pod = storage.pods.removeValue(forKey: key) else { return nil }
        storage.requested.subtract(pod.requests.requests)
        storage.nonZeroMilliCPU -= pod.requests.nonZeroMilliCPU
        storage.nonZeroMemory -= pod.requests.nonZeroMemory
        for port in pod.hostPorts {
            let left = storage.usedPorts[port, default: 0] - 1
            storage.usedPorts[port] = left > 0 ? left : nil
        }
        if let owner = pod.controllerUID {
            let left = storage.controllerCounts[owner, default: 0] - 1
            storage.controllerCounts[owner] = left > 0 ? left : nil
        }
        return pod
    }
}
