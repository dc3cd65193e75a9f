/// PodMetricsSource: where the autoscaler reads pods' usage. `KubeletMetricsSource` asks each
/// node's kubelet for its latest usage report (the same figures `skiffctl top pods` prints),
/// standing in for Kubernetes' metrics-server; tests pass a fake.
///
/// Concurrency: Sendable; one call per reconcile. Must never: report a pod it has no sample for
/// (absent pods are "missing", which the calculator treats with care).
import Logging
import SkiffBus
import SkiffClient
import SkiffWire

public protocol PodMetricsSource: Sendable {
    /// The latest usage of the pods of `namespace` on `nodes`, by pod name.
    func podMetrics(namespace: String, nodes: [Node]) async -> [String: PodMetrics]
}

public struct KubeletMetricsSource: PodMetricsSource {
    public static let endpointAnnotation = "skiff.io/kubelet-endpoint"
    private let logger: Logger
    /// The controller's own bearer token: the kubelet checks it with the apiserver.
    private let token: String?

    public init(logger: Logger, token: String?) {
        self.logger = logger
        self.token = token
    }

    public func podMetrics(namespace: String, nodes: [Node]) async -> [String: PodMetrics] {
        await withTaskGroup(of: [PodMetrics].self) { group in
            for node in nodes {
                guard let endpoint = node.metadata?.annotations[Self.endpointAnnotation] else { continue }
                group.addTask {
                    do {
                        let client = try RequestClient(connectingTo: endpoint, component: "hpa-controller",
                                                       options: RequestClient.Options(token: token))
                        defer { Task { await client.close() } }
                        let reply = try await client.call(KubeletRequest(metrics: MetricsRequest(namespace: namespace)),
                                                          replyType: KubeletResponse.self, timeout: .seconds(5))
                        return reply.code == 200 ? reply.metrics?.pods ?? [] : []
                    } catch {
                        logger.debug("no metrics from a kubelet", metadata: ["node": "\(node.metadata?.name ?? "")", "error": "\(error)"])
                        return []
                    }
                }
            }
            var byName: [String: PodMetrics] = [:]
            for await pods in group {
                for pod in pods { if let name = pod.metadata?.name { byName[name] = pod } }
            }
            return byName
        }
    }
}
