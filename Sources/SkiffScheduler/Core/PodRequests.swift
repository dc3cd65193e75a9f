/// PodRequests: what a pod asks of a node, computed as Kubernetes' `resource.PodRequests`:
/// the sum of its containers, raised to any init container's (a regular init container runs
/// alone, next to the sidecars started before it; a sidecar, an init container with
/// restartPolicy Always, keeps running and adds to the sum), pod-level requests replacing CPU
/// and memory when set, plus the pod's overhead.
///
/// Two figures: the real requests (fit: a pod without requests takes nothing) and the "non-zero"
/// CPU and memory used only for scoring, where a container that names no CPU or memory request
/// counts as 100m and 200Mi, so that spreading still sees best-effort pods.
///
/// Concurrency: pure functions. Must never: give the defaults a role in fit.
import SkiffWire

public struct PodRequests: Sendable, Equatable {
    public var requests: ResourceList
    public var nonZeroMilliCPU: Int64
    public var nonZeroMemory: Int64

    /// Kubernetes' DefaultMilliCPURequest and DefaultMemoryRequest (scoring only).
    public static let defaultMilliCPU: Int64 = 100
    public static let defaultMemory: Int64 = 200 * 1024 * 1024

    public init(requests: ResourceList, nonZeroMilliCPU: Int64, nonZeroMemory: Int64) {
        self.requests = requests
        self.nonZeroMilliCPU = nonZeroMilliCPU
        self.nonZeroMemory = nonZeroMemory
    }

    public init(_ spec: PodSpec?) {
        let spec = spec ?? PodSpec()
        let actual = Self.effective(spec) { ResourceList($0.resources?.requests ?? [:]) }
        let nonZero = Self.effective(spec) { container in
            let requests = container.resources?.requests ?? [:]
            var list = ResourceList(requests)
            if requests["cpu"] == nil { list.milliCPU = Self.defaultMilliCPU }
            if requests["memory"] == nil { list.memory = Self.defaultMemory }
            return list
        }
        self.init(requests: actual, nonZeroMilliCPU: nonZero.milliCPU, nonZeroMemory: nonZero.memory)
    }

    private static func effective(_ spec: PodSpec, _ containerRequests: (Container) -> ResourceList) -> ResourceList {
        var total = ResourceList()
        for container in spec.containers { total.add(containerRequests(container)) }
        var sidecars = ResourceList()
        var initPeak = ResourceList()
        for container in spec.initContainers {
            let own = containerRequests(container)
            if container.restartPolicy == "Always" {
                total.add(own)
                sidecars.add(own)
                initPeak.raise(to: sidecars)
            } else {
                initPeak.raise(to: own + sidecars)
            }
        }
        total.raise(to: initPeak)
        // Pod-level requests (spec.resources) stand for the whole pod's CPU and memory.
        if let podLevel = spec.resources?.requests {
            if let cpu = podLevel["cpu"] { total.milliCPU = cpu.milliValue }
            if let memory = podLevel["memory"] { total.memory = memory.value }
        }
        total.add(ResourceList(spec.overhead))
        return total
    }
}
