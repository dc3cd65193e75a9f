/// ReplicaCalculator: how many replicas one resource metric asks for, as Kubernetes' HPA
/// replica calculator does for `Resource` metrics with a Utilization target:
/// - utilization = total usage / total requests of the pods that have metrics, as a percentage;
///   the ratio to the target, within `tolerance` (default 10%) of 1, means "stay";
/// - pods without metrics count as using nothing when scaling up and their whole request when
///   scaling down, and (for cpu) pods not yet ready count as using nothing when scaling up:
///   so a rollout or a slow metrics pipeline never drives a scale in the wrong direction;
///   if taking them in flips the direction or lands within tolerance, it stays.
///
/// Concurrency: pure. Must never: divide by a zero request (a pod without one makes the
/// metric unusable, as in Kubernetes: "missing request for cpu").
import SkiffWire

public struct PodSample: Sendable, Equatable {
    public var name: String
    /// Sum of the containers' requests for the resource, in milli-units (millicores, milli-bytes).
    public var request: Int64
    /// Measured usage in the same units; nil when the kubelet has not reported the pod.
    public var usage: Int64?
    public var ready: Bool

    public init(name: String, request: Int64, usage: Int64?, ready: Bool) {
        self.name = name
        self.request = request
        self.usage = usage
        self.ready = ready
    }
}

public enum ReplicaCalculator {
    public struct Result: Sendable, Equatable {
        public var replicas: Int32
        /// The measured utilization (percent of requests) over the pods with metrics.
        public var utilization: Int32
        /// Average usage per pod with metrics, in milli-units.
        public var averageUsage: Int64
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case missingRequest(resource: String, pod: String)
        case noMetrics(resource: String)

        public var description: String {
            switch self {
            case .missingRequest(let resource, let pod): "missing request for \(resource) in pod \(pod)"
            case .noMetrics(let resource): "no metrics returned for resource \(resource)"
            }
        }
    }

    public static func replicas(current: Int32, targetUtilization: Int32, resource: String, pods: [PodSample],
                                tolerance: Double = 0.1) throws(Failure) -> Result {
        if let pod = pods.first(where: { $0.request <= 0 }) { throw .missingRequest(resource: resource, pod: pod.name) }
        // Not-ready pods are set aside for cpu only, as Kubernetes does (their start-up burst
        // says nothing about load).
        let setAside = resource == "cpu" ? pods.filter { !$0.ready && $0.usage != nil } : []
        let measured = pods.filter { $0.usage != nil && (resource != "cpu" || $0.ready) }
        let missing = pods.filter { $0.usage == nil }
        guard !measured.isEmpty else { throw .noMetrics(resource: resource) }

        let usage = measured.reduce(Int64(0)) { $0 + $1.usage! }
        let requests = measured.reduce(Int64(0)) { $0 + $1.request }
        let utilization = Double(usage) * 100 / Double(requests)
        let ratio = utilization / Double(targetUtilization)
        let result = { (replicas: Int32) in
            Result(replicas: replicas, utilization: Int32(utilization.rounded(.down)), averageUsage: usage / Int64(measured.count))
        }

        if missing.isEmpty && setAside.isEmpty {
            if abs(1 - ratio) <= tolerance { return result(current) }
            return result(Int32((ratio * Double(measured.count)).rounded(.up)))
        }
        var adjustedUsage = usage, adjustedRequests = requests
        for pod in missing {
            adjustedRequests += pod.request
            if ratio < 1 { adjustedUsage += pod.request }  // scaling down: assume it is busy
        }
        if ratio > 1 { for pod in setAside { adjustedRequests += pod.request } }  // scaling up: assume idle
        let newRatio = Double(adjustedUsage) * 100 / Double(adjustedRequests) / Double(targetUtilization)
        if abs(1 - newRatio) <= tolerance || (ratio > 1) != (newRatio > 1) { return result(current) }
        let counted = measured.count + missing.count + (ratio > 1 ? setAside.count : 0)
        let replicas = Int32((newRatio * Double(counted)).rounded(.up))
        // Never move against the unadjusted direction.
        if (newRatio < 1 && replicas > current) || (newRatio > 1 && replicas < current) { return result(current) }
        return result(replicas)
    }
}
