/// NodeAgent: the kubelet's Node object and its heartbeats. It registers the Node (labels,
/// taints, pod CIDR, and the endpoint where this kubelet serves logs and exec), posts its
/// status (capacity and allocatable, the Ready and pressure conditions, addresses, system
/// info, images) at start and every status period, and renews the node's Lease in
/// kube-node-lease every renew period, as Kubernetes' node heartbeats work.
///
/// Concurrency: one task runs `run()`. Must never: report Ready while the runtime does not
/// answer.
import Foundation
import Logging
import SkiffAPI
import SkiffClient
import SkiffImages
import SkiffWire

struct NodeSettings: Sendable {
    var name: String
    var labels: [String: String]
    var taints: [Taint]
    var podCIDR: String?
    var capacity: [String: Quantity]
    var nodeIP: String?
    var kubeletEndpoint: String
    var statusPeriod: Duration = .seconds(10)
    var leaseDurationSeconds: Int32 = 40
    var leaseRenewPeriod: Duration = .seconds(10)

    static let endpointAnnotation = "skiff.io/kubelet-endpoint"
}

final class NodeAgent: Sendable {
    let settings: NodeSettings
    private let client: APIClient
    private let runtime: any ContainerRuntime
    private let images: ImageStore
    private let now: @Sendable () -> Date
    private let logger: Logger

    init(settings: NodeSettings, client: APIClient, runtime: any ContainerRuntime, images: ImageStore,
         now: @escaping @Sendable () -> Date, logger: Logger) {
        self.settings = settings
        self.client = client
        self.runtime = runtime
        self.images = images
        self.now = now
        self.logger = logger
    }

    /// Registers the node (retrying until the apiserver answers) and posts its first status.
    func register() async throws {
        while true {
            do {
                try await ensureNode()
                try await postStatus()
                return
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.warning("registering node failed, retrying", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Heartbeats until cancelled.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.every(self.settings.statusPeriod) { try await self.postStatus() } }
            group.addTask { await self.every(self.settings.leaseRenewPeriod) { try await self.renewLease() } }
        }
    }

    private func every(_ period: Duration, _ body: @Sendable () async throws -> Void) async {
        while !Task.isCancelled {
            do { try await body() } catch is CancellationError { return } catch {
                logger.warning("node heartbeat failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: period)
        }
    }

    private func ensureNode() async throws {
        var labels = settings.labels
        labels["kubernetes.io/hostname"] = labels["kubernetes.io/hostname"] ?? settings.name
        labels["kubernetes.io/os"] = "linux"
        labels["kubernetes.io/arch"] = Self.architecture
        let annotations = [NodeSettings.endpointAnnotation: settings.kubeletEndpoint]
        do {
            var node = try await client.get(Node.self, name: settings.name)
            // A re-registering kubelet refreshes what it owns; other labels stay.
            var changed = false
            for (key, value) in labels where node.metadata?.labels[key] != value { node.metadata?.labels[key] = value; changed = true }
            for (key, value) in annotations where node.metadata?.annotations[key] != value {
                node.metadata?.annotations[key] = value; changed = true
            }
            if changed { _ = try await client.update(node) }
        } catch let error as APIError where error.code == 404 {
            var spec = NodeSpec(taints: settings.taints)
            if let cidr = settings.podCIDR { spec.podCIDR = cidr; spec.podCIDRs = [cidr] }
            let node = Node(metadata: ObjectMeta(name: settings.name, labels: labels, annotations: annotations), spec: spec)
            do { _ = try await client.create(node) } catch let error as APIError where error.code == 409 {}
            logger.info("registered node", metadata: ["node": "\(settings.name)"])
        }
    }

    func postStatus() async throws {
        var node = try await client.get(Node.self, name: settings.name)
        let runtimeProblem = await runtime.unhealthyReason()
        let time = Time(now())
        var status = node.status ?? NodeStatus()
        status.capacity = settings.capacity
        status.allocatable = settings.capacity
        status.phase = nil
        var conditions = [
            NodeCondition(type: "MemoryPressure", status: "False", reason: "KubeletHasSufficientMemory",
                          message: "kubelet has sufficient memory available"),
            NodeCondition(type: "DiskPressure", status: "False", reason: "KubeletHasNoDiskPressure",
                          message: "kubelet has no disk pressure"),
            NodeCondition(type: "PIDPressure", status: "False", reason: "KubeletHasSufficientPID",
                          message: "kubelet has sufficient PID available"),
            runtimeProblem == nil
                ? NodeCondition(type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status")
                : NodeCondition(type: "Ready", status: "False", reason: "KubeletNotReady",
                                message: "container runtime is down: \(runtimeProblem ?? "")"),
        ]
        for index in conditions.indices {
            conditions[index].lastHeartbeatTime = time
            let old = status.conditions.first { $0.type == conditions[index].type }
            conditions[index].lastTransitionTime = old?.status == conditions[index].status ? (old?.lastTransitionTime ?? time) : time
        }
        status.conditions = conditions
        status.addresses = (settings.nodeIP.map { [NodeAddress(type: "InternalIP", address: $0)] } ?? [])
            + [NodeAddress(type: "Hostname", address: settings.name)]
        status.daemonEndpoints = NodeDaemonEndpoints(kubeletEndpoint: DaemonEndpoint(Port: 0))
        status.nodeInfo = systemInfo()
        status.images = images.list().map { ContainerImage(names: [$0.reference]) }
        node.status = status
        _ = try await client.updateStatus(node)
    }

    private func renewLease() async throws {
        let time = MicroTime(now())
        do {
            var lease = try await client.get(Lease.self, name: settings.name, namespace: "kube-node-lease")
            lease.spec = LeaseSpec(holderIdentity: settings.name, leaseDurationSeconds: settings.leaseDurationSeconds,
                                   acquireTime: lease.spec?.acquireTime, renewTime: time,
                                   leaseTransitions: lease.spec?.leaseTransitions)
            _ = try await client.update(lease)
        } catch let error as APIError where error.code == 404 {
            let node = try await client.get(Node.self, name: settings.name)
            let owner = OwnerReference(apiVersion: "v1", kind: "Node", name: settings.name, uid: node.metadata?.uid ?? "")
            let lease = Lease(metadata: ObjectMeta(name: settings.name, namespace: "kube-node-lease", ownerReferences: [owner]),
                              spec: LeaseSpec(holderIdentity: settings.name, leaseDurationSeconds: settings.leaseDurationSeconds,
                                              acquireTime: time, renewTime: time, leaseTransitions: 0))
            _ = try await client.create(lease)
        }
    }

    private func systemInfo() -> NodeSystemInfo {
        var uts = utsname()
        uname(&uts)
        let kernel = withUnsafeBytes(of: &uts.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let osRelease = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8)) ?? ""
        let pretty = osRelease.split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }
            .map { String($0.dropFirst("PRETTY_NAME=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) } ?? "Linux"
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) }
        return NodeSystemInfo(machineID: read("/etc/machine-id"), bootID: read("/proc/sys/kernel/random/boot_id"),
                              kernelVersion: kernel, osImage: pretty, containerRuntimeVersion: runtime.version,
                              kubeletVersion: Self.version, operatingSystem: "linux", architecture: Self.architecture)
    }

    static let version = "v1.30.0-skiff"
    static var architecture: String {
        #if arch(x86_64)
        "amd64"
        #elseif arch(arm64)
        "arm64"
        #else
        "unknown"
        #endif
    }
}
