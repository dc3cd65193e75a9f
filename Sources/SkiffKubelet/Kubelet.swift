/// Kubelet: the node agent, wired. It registers its Node and keeps it heartbeating (NodeAgent),
/// watches only the pods bound to its node (the apiserver routes that watch from the node's
/// own topic, n/NODE/pods/), and syncs each pod from a work queue (PodWorker): on every change
/// of the pod, every change a probe reports, when a back-off ends, and every sync period for
/// all pods (level-triggered: a container that exited is noticed there). Housekeeping removes
/// what the runtime still holds for pods that no longer exist. Because state lives in the
/// runtime's files, a restarted kubelet adopts the containers still running instead of
/// starting them again.
///
/// Concurrency: `run()` once; several workers sync different pods at once, never one pod
/// twice at once (the work queue's guarantee). Must never: remove a container of a pod the
/// API still binds to this node, nor act before its pod cache has synced.
import Foundation
import Logging
import SkiffAPI
import SkiffBus
import SkiffClient
import SkiffImages
import SkiffWire
import Synchronization

public final class Kubelet: Sendable {
    public struct Configuration: Sendable {
        public var nodeName: String
        public var runDirectory: String
        public var dataDirectory: String
        public var imageDirectory: String
        public var podCIDR: String?
        /// Ranges that must never leave this node's namespace (all pods', the services'): given
        /// an `unreachable` route unless something more specific exists.
        public var clusterCIDRs: [String]
        /// The cluster DNS servers and domain pods resolve with (dnsPolicy ClusterFirst).
        public var clusterDNS: ClusterDNS
        public var capacity: [String: Quantity]
        public var labels: [String: String]
        public var taints: [Taint]
        public var nodeIP: String?
        public var runtime: RuntimeKind
        public var runcPath: String
        public var shimPath: String
        public var cniBinDirectory: String
        public var syncPeriod: Duration
        public var crashLoopBackoff: (base: Duration, cap: Duration)
        public var pidsLimit: Int64?
        public var listenURL: String?
        /// Where usage reports are published (default ipc://RUN/kubelet-NODE-events.sock).
        public var eventsURL: String?
        /// The apiserver's endpoints when given (another host's, over tcp://); else the run
        /// directory's apiserver.
        public var apiServerURL: String?
        public var apiEventsURL: String?
        public var workers: Int
        public var statusPeriod: Duration
        public var metricsPeriod: Duration
        /// A container's log is rotated past this size (Kubernetes' containerLogMaxSize).
        public var containerLogMaxBytes: Int64 = 10 * 1024 * 1024
        /// Where static pod manifests are read from (nil: no static pods).
        public var manifestDirectory: String?

        public enum RuntimeKind: String, Sendable { case runc, fake }

        /// Where this node's containers' cgroups live in each hierarchy: skiff/NODE.
        var cgroupParent: String { "skiff/\(nodeName)" }

        public init(nodeName: String, runDirectory: String, dataDirectory: String, imageDirectory: String,
                    podCIDR: String?, clusterCIDRs: [String] = [], clusterDNS: ClusterDNS = ClusterDNS(servers: []),
                    capacity: [String: Quantity], labels: [String: String] = [:], taints: [Taint] = [],
                    nodeIP: String? = nil, runtime: RuntimeKind = .runc, runcPath: String = "/usr/sbin/runc",
                    shimPath: String, cniBinDirectory: String = "/usr/lib/cni", syncPeriod: Duration = .seconds(1),
                    crashLoopBackoff: (base: Duration, cap: Duration) = (.seconds(10), .seconds(300)),
                    pidsLimit: Int64? = 4096, listenURL: String? = nil, workers: Int = 4,
                    statusPeriod: Duration = .seconds(10), metricsPeriod: Duration = .seconds(10), eventsURL: String? = nil,
                    manifestDirectory: String? = nil) {
            self.nodeName = nodeName
            self.runDirectory = runDirectory
            self.dataDirectory = dataDirectory
            self.imageDirectory = imageDirectory
            self.podCIDR = podCIDR
            self.clusterCIDRs = clusterCIDRs
            self.clusterDNS = clusterDNS
            self.capacity = capacity
            self.labels = labels
            self.taints = taints
            self.nodeIP = nodeIP
            self.runtime = runtime
            self.runcPath = runcPath
            self.shimPath = shimPath
            self.cniBinDirectory = cniBinDirectory
            self.syncPeriod = syncPeriod
            self.crashLoopBackoff = crashLoopBackoff
            self.pidsLimit = pidsLimit
            self.listenURL = listenURL
            self.workers = workers
            self.statusPeriod = statusPeriod
            self.metricsPeriod = metricsPeriod
            self.eventsURL = eventsURL
            self.manifestDirectory = manifestDirectory
        }
    }

    public let configuration: Configuration
    let runtime: any ContainerRuntime
    private let client: APIClient
    private let informer: Informer<Pod>
    private let queue = WorkQueue<ObjectKey>()
    private let worker: PodWorker
    private let agent: NodeAgent
    private let server: RequestServer
    private let publisher: Publisher
    private let usage: UsageCollector
    /// Static pods by key, as last read from the manifest directory.
    private let staticPods = Mutex<[ObjectKey: Pod]>([:])
    private let logger: Logger

    public init(_ configuration: Configuration, logger: Logger = Logger(label: "skiff.kubelet")) throws {
        self.configuration = configuration
        self.logger = logger
        let data = configuration.dataDirectory
        for dir in [data, data + "/logs", data + "/pods", configuration.imageDirectory] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        switch configuration.runtime {
        case .runc: runtime = try Self.runcRuntime(configuration, logger: logger)
        case .fake: runtime = FakeRuntime(subnetPrefix: Self.subnetPrefix(configuration.podCIDR))
        }
        client = try APIClient(ClientConfig(server: configuration.apiServerURL, events: configuration.apiEventsURL,
                                            runDirectory: configuration.runDirectory, timeout: .seconds(10),
                                            component: "kubelet"))
        informer = Informer(client.listerWatcher(Pod.self, fieldSelector: "spec.nodeName=\(configuration.nodeName)"),
                            logger: logger)
        let images = ImageStore(directory: configuration.imageDirectory)
        let now: @Sendable () -> Date = { Date() }
        let queue = self.queue
        let probes = ProbeManager(runtime: runtime) { queue.add($0) }
        let nodeIP = configuration.nodeIP
        let settings = PodWorker.Settings(nodeName: configuration.nodeName, logsDirectory: data + "/logs",
                                          clusterDNS: configuration.clusterDNS,
                                          nodeResolver: (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? "",
                                          pidsLimit: configuration.pidsLimit,
                                          hostIP: { nodeIP })
        worker = PodWorker(runtime: runtime, images: images, volumes: PodVolumes(podsDirectory: data + "/pods"), client: client,
                           settings: settings, probes: probes,
                           events: KubeletEvents(client: client, nodeName: configuration.nodeName, now: now),
                           backoff: RestartBackoff(base: configuration.crashLoopBackoff.base, cap: configuration.crashLoopBackoff.cap),
                           now: now, logger: logger)
        let sender = "kubelet-\(configuration.nodeName)"
        // Before any socket is bound in it: 0700, so the cluster's user alone reaches them.
        try PrivateDirectory.prepare(configuration.runDirectory)
        server = try RequestServer(component: "kubelet", options: RequestServer.Options(
            sender: sender, directory: EndpointDirectory(runDirectory: configuration.runDirectory)))
        let listen = configuration.listenURL ?? "ipc://\(configuration.runDirectory)/\(sender).sock"
        publisher = try Publisher(component: "kubelet", options: Publisher.Options(
            sender: sender, directory: EndpointDirectory(runDirectory: configuration.runDirectory)))
        let cgroupParent = "/" + configuration.cgroupParent
        let measuresCgroups = configuration.runtime == .runc
        usage = UsageCollector(nodeName: configuration.nodeName, runtime: runtime, pods: informer.indexer, publisher: publisher,
                               period: configuration.metricsPeriod,
                               nodeUsage: {
                                   // No cgroup yet (nothing ever ran): an idle node.
                                   (measuresCgroups ? CgroupTree.usage(cgroupParent) : nil) ?? ContainerUsage(cpuNanoseconds: 0, memoryWorkingSetBytes: 0)
                               },
                               logger: logger)
        var capacity = configuration.capacity
        capacity["pods"] = capacity["pods"] ?? "110"
        agent = NodeAgent(settings: NodeSettings(name: configuration.nodeName, labels: configuration.labels,
                                                 taints: configuration.taints, podCIDR: configuration.podCIDR,
                                                 capacity: capacity, nodeIP: configuration.nodeIP, kubeletEndpoint: listen,
                                                 statusPeriod: configuration.statusPeriod),
                          client: client, runtime: runtime, images: images, now: now, logger: logger)
        let handler = KubeletServer(pods: informer.indexer, runtime: runtime, usage: usage)
        let informer = self.informer
        let authorizer = KubeletAuthorizer(server: client.serverURL, events: client.eventsURL)
        server.handle(KubeletRequest.self) { request, context in
            if let refusal = await authorizer.refusal(for: request, token: context.token) { return refusal }
            // A kubelet that just started answers only once it knows its pods (not "not found").
            try? await informer.waitForSync()
            return await handler.handle(request)
        }
        informer.addEventHandler(onAdd: { queue.add(ObjectKey($0)) },
                                 onUpdate: { _, pod in queue.add(ObjectKey(pod)) },
                                 onDelete: { queue.add(ObjectKey($0)) })
    }

    public func run() async throws {
        if configuration.runtime == .runc {
            try await NetworkSafety.prepare(podCIDR: configuration.podCIDR, clusterCIDRs: configuration.clusterCIDRs)
        }
        try server.bind(to: agent.settings.kubeletEndpoint)
        try publisher.bind(to: configuration.eventsURL
            ?? "ipc://\(configuration.runDirectory)/kubelet-\(configuration.nodeName)-events.sock")
        try await agent.register()
        logger.info("node registered", metadata: ["node": "\(configuration.nodeName)", "runtime": "\(runtime.version)"])
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.server.run() }
            group.addTask { try? await self.informer.run() }
            group.addTask { await self.agent.run() }
            group.addTask { await self.usage.run() }
            group.addTask {
                guard (try? await self.informer.waitForSync()) != nil else { return }
                await withTaskGroup(of: Void.self) { workers in
                    for _ in 0..<max(1, self.configuration.workers) { workers.addTask { await self.work() } }
                    workers.addTask { await self.housekeeping() }
                }
            }
            await withTaskCancellationHandler {
                await group.next()
            } onCancel: {
                self.queue.shutDown()
            }
            group.cancelAll()
        }
    }

    public func close() async {
        queue.shutDown()
        await server.close()
        publisher.close()
        await client.close()
    }

    private func work() async {
        while let key = await queue.get() {
            defer { queue.done(key) }
            let apiPod = informer.indexer.get(key)
            let staticPod = staticPods.withLock { $0[key] }
            do {
                var after: Duration?
                if let staticPod {
                    after = try await worker.syncStatic(staticPod, mirror: apiPod)
                } else if let apiPod, apiPod.metadata?.annotations[StaticPods.mirrorAnnotation] != nil {
                    // The mirror of a static pod whose manifest is gone.
                    _ = try? await client.delete(Pod.self, name: key.name, namespace: key.namespace,
                                                 options: DeleteOptions(gracePeriodSeconds: 0,
                                                                        preconditions: Preconditions(uid: apiPod.metadata?.uid)))
                } else if let apiPod {
                    after = try await worker.sync(apiPod)
                }
                if let after { queue.addAfter(key, after) }
                queue.forget(key)
            } catch is CancellationError {
                return
            } catch {
                logger.warning("pod sync failed", metadata: ["pod": "\(key)", "error": "\(error)"])
                queue.addRateLimited(key)
            }
        }
    }

    /// Every sync period: every pod is synced again, and what belongs to no pod is removed.
    private func housekeeping() async {
        var reportedErrors: [String] = []
        while !Task.isCancelled {
            if let directory = configuration.manifestDirectory {
                let (loaded, errors) = StaticPods.load(directory, nodeName: configuration.nodeName)
                if errors != reportedErrors {
                    for error in errors { logger.warning("static pod manifest refused", metadata: ["error": "\(error)"]) }
                    reportedErrors = errors
                }
                let current = Dictionary(loaded.map { (ObjectKey($0), $0) }, uniquingKeysWith: { first, _ in first })
                let previous = staticPods.withLock { state in defer { state = current }; return state }
                for key in Set(previous.keys).union(current.keys) { queue.add(key) }
            }
            // The runtime is listed before the pods: a pod whose sandbox appears after this
            // listing was in the cache before it, so it is never taken for an orphan.
            let sandboxes = (try? await runtime.listPodSandboxes()) ?? []
            let containers = (try? await runtime.listContainers()) ?? []
            let statics = staticPods.withLock { Array($0.values) }
            let pods = informer.indexer.list()
            for pod in pods { queue.add(ObjectKey(pod)) }
            let known = Set((pods + statics).compactMap { $0.metadata?.uid })
            let orphans = Set(sandboxes.map(\.podUID) + containers.map(\.podUID)).subtracting(known)
            for uid in orphans {
                // Stopping is not a reason to remove anything: the next kubelet adopts it.
                guard !Task.isCancelled else { return }
                logger.info("removing containers of a pod that is gone", metadata: ["uid": "\(uid)"])
                await worker.removeOrphan(uid: uid)
            }
            try? await Task.sleep(for: configuration.syncPeriod)
        }
    }

    /// Stops and removes every container, sandbox (with its address), volume mount and cgroup
    /// this node's kubelet made, e.g. when a node is taken down for good (compose/down, tests).
    /// Run it in the node's network namespace, with no kubelet running on the data directory.
    public static func teardown(_ configuration: Configuration) async throws {
        let data = configuration.dataDirectory
        guard FileManager.default.fileExists(atPath: data + "/runtime") else { return }
        let runtime = try runcRuntime(configuration, logger: Logger(label: "skiff.kubelet.teardown"))
        // Everything is attempted; the first failure is reported at the end.
        var failure: (any Error)?
        for container in try await runtime.listContainers() {
            try? await runtime.stopContainer(container.id, gracePeriod: .zero)
            do { try await runtime.removeContainer(container.id) } catch { failure = failure ?? error }
        }
        for sandbox in try await runtime.listPodSandboxes() {
            try? await runtime.stopPodSandbox(sandbox.id)
            do { try await runtime.removePodSandbox(sandbox.id) } catch { failure = failure ?? error }
        }
        let volumes = PodVolumes(podsDirectory: data + "/pods")
        for uid in (try? FileManager.default.contentsOfDirectory(atPath: data + "/pods")) ?? [] { volumes.teardown(uid) }
        CgroupTree.remove("/" + configuration.cgroupParent)
        if let failure { throw failure }
    }

    /// The runc runtime over this node's data directory, with its pod network if it has a range.
    static func runcRuntime(_ configuration: Configuration, logger: Logger) throws -> RuncRuntime {
        let data = configuration.dataDirectory
        let network = configuration.podCIDR.map {
            PodNetwork(podCIDR: $0, cniBinDirectory: configuration.cniBinDirectory, stateDirectory: data + "/cni", bridge: "skiff0")
        }
        return try RuncRuntime(RuncRuntime.Configuration(
            dataDirectory: data + "/runtime", runcPath: configuration.runcPath, shimPath: configuration.shimPath,
            network: network, cgroupParent: configuration.cgroupParent, logMaxBytes: configuration.containerLogMaxBytes),
            logger: logger)
    }

    static func subnetPrefix(_ cidr: String?) -> String {
        guard let cidr else { return "10.244.0" }
        return cidr.split(separator: "/").first?.split(separator: ".").prefix(3).joined(separator: ".") ?? "10.244.0"
    }
}
