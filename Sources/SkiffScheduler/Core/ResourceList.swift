/// ResourceList: amounts of the resources a pod asks for and a node offers, as integers the
/// scheduler can add and compare (Kubernetes' `framework.Resource`): CPU in millicores, memory
/// and ephemeral storage in bytes, and the scalar resources (extended resources such as
/// `example.com/gpu`, `hugepages-*`, `attachable-volumes-*`) in their own units. The pod count
/// a node allows is kept apart, in NodeInfo.
///
/// Concurrency: a plain value. Must never: parse a Quantity on the scheduling hot path; parse
/// once, when a pod or node enters the scheduler, and keep the integers.
import SkiffWire

public struct ResourceList: Sendable, Equatable {
    public var milliCPU: Int64 = 0
    public var memory: Int64 = 0
    public var ephemeralStorage: Int64 = 0
    /// Extended, hugepages and attachable-volumes resources, by name.
    public var scalars: [String: Int64] = [:]

    public init(milliCPU: Int64 = 0, memory: Int64 = 0, ephemeralStorage: Int64 = 0, scalars: [String: Int64] = [:]) {
        self.milliCPU = milliCPU
        self.memory = memory
        self.ephemeralStorage = ephemeralStorage
        self.scalars = scalars
    }

    /// The resources of a `requests` or `allocatable` map the scheduler accounts for; names it
    /// does not (such as `pods`, handled apart, or an unknown native name) are left out.
    public init(_ quantities: [String: Quantity]) {
        for (name, quantity) in quantities {
            switch name {
            case "cpu": milliCPU = quantity.milliValue
            case "memory": memory = quantity.value
            case "ephemeral-storage": ephemeralStorage = quantity.value
            default:
                if Self.isScalar(name) { scalars[name] = quantity.value }
            }
        }
    }

    public var isZero: Bool {
        milliCPU == 0 && memory == 0 && ephemeralStorage == 0 && scalars.values.allSatisfy { $0 == 0 }
    }

    /// Whether the scheduler counts `name` as a scalar resource, as Kubernetes'
    /// `IsScalarResourceName`: an extended resource (a domain-prefixed name outside
    /// kubernetes.io), hugepages or attachable volumes.
    public static func isScalar(_ name: String) -> Bool {
        if name.hasPrefix("hugepages-") || name.hasPrefix("attachable-volumes-") { return true }
        guard name.contains("/") else { return false }
        return !name.contains("kubernetes.io/") && !name.hasPrefix("requests.")
    }

    public static func + (a: ResourceList, b: ResourceList) -> ResourceList {
        var sum = a
        sum.add(b)
        return sum
    }

    public mutating func add(_ other: ResourceList) {
        milliCPU += other.milliCPU
        memory += other.memory
        ephemeralStorage += other.ephemeralStorage
        for (name, amount) in other.scalars { scalars[name, default: 0] += amount }
    }

    public mutating func subtract(_ other: ResourceList) {
        milliCPU -= other.milliCPU
        memory -= other.memory
        ephemeralStorage -= other.ephemeralStorage
        for (name, amount) in other.scalars {
            let left = scalars[name, default: 0] - amount
            scalars[name] = left == 0 ? nil : left
        }
    }

    /// Each resource at the larger of the two amounts (an init container against the rest).
    public mutating func raise(to other: ResourceList) {
        milliCPU = max(milliCPU, other.milliCPU)
        memory = max(memory, other.memory)
        ephemeralStorage = max(ephemeralStorage, other.ephemeralStorage)
        for (name, amount) in other.scalars { scalars[name] = max(scalars[name, default: 0], amount) }
    }
}
