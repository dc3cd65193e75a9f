/// PodWorker: one level-triggered sync of one pod (kubelet's SyncPod): read the pod and the
/// runtime, let PodSyncPlanner decide, perform the actions, then write the pod's status when
/// it differs from what the API holds. A pod being deleted is finished here too: once its
/// containers have stopped, everything the node made for it is removed and the API object is
/// deleted for good (grace period 0, preconditioned on its uid), as the real kubelet does.
///
/// Concurrency: the work queue never hands one pod to two workers; state shared across pods
/// (back-offs, waiting reasons) sits behind one lock. Must never: start a container without
/// its volumes, or delete a pod object whose containers may still run.
import Foundation
import Logging
import SkiffAPI
import SkiffClient
import SkiffImages
import SkiffWire
import Synchronization

final class PodWorker: Sendable {
    struct Settings: Sendable {
        var nodeName: String
        var logsDirectory: String
        var clusterDNS: ClusterDNS
        /// The node's own /etc/resolv.conf, for pods whose dnsPolicy is Default.
        var nodeResolver: String
        var pidsLimit: Int64?
        var hostIP: @Sendable () -> String?
    }

    private struct Shared {
        var backoff: RestartBackoff
        var imageBackoff: RestartBackoff
        /// Per pod uid: why containers wait (image, config and start failures).
        var waiting: [String: [String: WaitingReason]] = [:]
        /// Per pod uid: when its configMap, secret and downwardAPI files were last refreshed.
        var volumesRefreshed: [String: Date] = [:]
    }

    /// How often the files of configMap, secret and downwardAPI volumes are brought up to date
    /// with their objects (Kubernetes: about a minute; shorter here, the reads are cheap).
    static let volumeRefreshPeriod: TimeInterval = 5

    let runtime: any ContainerRuntime
    let images: ImageStore
    let volumes: PodVolumes
    let client: APIClient
    let settings: Settings
    let probes: ProbeManager
    let events: KubeletEvents
    private let shared: Mutex<Shared>
    private let now: @Sendable () -> Date
    private let logger: Logger

    init(runtime: any ContainerRuntime, images: ImageStore, volumes: PodVolumes, client: APIClient, settings: Settings,
         probes: ProbeManager, events: KubeletEvents, backoff: RestartBackoff, now: @escaping @Sendable () -> Date, logger: Logger) {
        self.runtime = runtime
        self.images = images
        self.volumes = volumes
        self.client = client
        self.settings = settings
        self.probes = probes
        self.events = events
        shared = Mutex(Shared(backoff: backoff, imageBackoff: backoff))
        self.now = now
        self.logger = logger
    }

    /// Syncs the pod; returns when to look again (a back-off ending), if nothing else will
    /// trigger it.
    func sync(_ pod: Pod) async throws -> Duration? {
        // The service account token volume is in the pod already: the apiserver's admission wrote it.
        try await sync(pod, statusTarget: pod)
    }

    /// Syncs a static pod (from the manifest directory), keeping its mirror pod in the API:
    /// created when missing, replaced when it mirrors an older manifest or is being deleted.
    func syncStatic(_ pod: Pod, mirror: Pod?) async throws -> Duration? {
        var mirror = mirror
        let hash = pod.metadata?.annotations[StaticPods.mirrorAnnotation]
        if let existing = mirror, existing.metadata?.annotations[StaticPods.mirrorAnnotation] == nil {
            // A pod of the user's with the mirror's name: leave it alone, run unmirrored.
            logger.warning("a pod that is not a mirror has the static pod's name; not mirroring",
                           metadata: ["pod": "\(ObjectKey(existing))"])
            mirror = nil
            return try await sync(pod, statusTarget: nil)
        }
        if let existing = mirror, existing.metadata?.annotations[StaticPods.mirrorAnnotation] != hash
            || existing.metadata?.deletionTimestamp != nil {
            do {
                _ = try await client.delete(Pod.self, name: existing.metadata?.name ?? "", namespace: existing.metadata?.namespace,
                                            options: DeleteOptions(gracePeriodSeconds: 0,
                                                                   preconditions: Preconditions(uid: existing.metadata?.uid)))
            } catch let error as APIError where error.code == 404 || error.code == 409 {}
            mirror = nil
        }
        if mirror == nil {
            // The static pod runs whether or not its mirror can be written now.
            let node = try? await client.get(Node.self, name: settings.nodeName)
            do {
                mirror = try await client.create(StaticPods.mirror(of: pod, node: node))
            } catch let error as APIError where error.code == 409 {
                mirror = try? await client.get(Pod.self, name: pod.metadata?.name ?? "", namespace: pod.metadata?.namespace)
            } catch {
                logger.warning("cannot write the mirror pod", metadata: ["pod": "\(ObjectKey(pod))", "error": "\(error)"])
            }
        }
        var withStatus = pod
        withStatus.status = mirror?.status
        return try await sync(withStatus, statusTarget: mirror)
    }

    /// - Parameter statusTarget: the API object that carries the pod's status (the pod itself,
    ///   or a static pod's mirror).
    private func sync(_ pod: Pod, statusTarget: Pod?) async throws -> Duration? {
        let uid = pod.metadata?.uid ?? ""
        var view = try await runtimeView(uid)
        var requeue: Duration?
        // A new sandbox is followed at once by a second pass that starts the containers in it,
        // as Kubernetes' SyncPod does both in one go.
        for _ in 0..<2 {
            let plan = PodSyncPlanner.plan(pod: pod, view: view, backoff: shared.withLock { $0.backoff }, now: now(),
                                           livenessFailures: probes.livenessFailures(uid))
            if let after = try await apply(plan, to: pod, view: view) { requeue = min(requeue ?? after, after) }
            if !plan.actions.isEmpty { view = try await runtimeView(uid) }
            guard plan.actions.contains(.createSandbox), view.readySandbox != nil else { break }
        }
        if let sandbox = view.readySandbox { await refreshVolumes(pod, sandbox: sandbox) }
        probes.track(pod, view: view)
        if try await finishDeletion(pod, view: view) { return nil }
        if let statusTarget { try await writeStatus(pod, view: view, to: statusTarget) }
        return requeue
    }

    /// Performs a plan's actions in order; returns when to look again, if a back-off says so.
    private func apply(_ plan: PodSyncPlan, to pod: Pod, view: PodRuntimeView) async throws -> Duration? {
        let uid = pod.metadata?.uid ?? ""
        var requeue = plan.requeueAfter
        shared.withLock { state in
            // Back-off reasons are recomputed every sync; failures recorded below add to them.
            var reasons = state.waiting[uid] ?? [:]
            reasons = reasons.filter { $0.value.reason != "CrashLoopBackOff" }
            for (name, reason) in plan.waiting { reasons[name] = reason }
            state.waiting[uid] = reasons
        }
        for (name, reason) in plan.waiting where reason.reason == "CrashLoopBackOff" {
            events.record(pod, type: "Warning", reason: "BackOff",
                          message: "Back-off restarting failed container \(name) in pod \(PodSyncPlanner.description(of: pod))")
        }
        var sandbox = view.readySandbox
        // All of a pod's containers get SIGTERM at once and share one grace period, as in
        // Kubernetes: stopped together first, before the other actions.
        let stops = plan.actions.compactMap { action -> (id: String, name: String, reason: String)? in
            if case .stopContainer(let id, let name, let reason) = action { return (id, name, reason) }
            return nil
        }
        if !stops.isEmpty {
            for stop in stops where ["Unhealthy", "Killing", "SpecChanged"].contains(stop.reason) {
                events.record(pod, type: "Normal", reason: "Killing", message: "Stopping container \(stop.name)")
            }
            let grace = gracePeriod(pod)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for stop in stops { group.addTask { try await self.runtime.stopContainer(stop.id, gracePeriod: grace) } }
                try await group.waitForAll()
            }
            for stop in stops where stop.reason == "Unhealthy" { probes.reset(uid: uid, container: stop.name) }
        }
        for action in plan.actions {
            switch action {
            case .createSandbox:
                sandbox = try await createSandbox(pod)
            case .stopSandbox(let id):
                try await runtime.stopPodSandbox(id)
            case .removeSandbox(let id):
                try await runtime.removePodSandbox(id)
            case .startContainer(let name, let attempt, let isInit):
                guard let sandbox else { break }
                if let wait = await startContainer(pod, name: name, attempt: attempt, isInit: isInit, sandbox: sandbox) {
                    requeue = min(requeue ?? wait, wait)
                }
            case .stopContainer:
                break  // done above, all at once
            case .removeContainer(let id):
                try await runtime.removeContainer(id)
            }
        }
        return requeue
    }

    /// Stops and removes everything the runtime holds for a pod that no longer exists in the
    /// API (or is not this node's).
    func removeOrphan(uid: String) async {
        guard let view = try? await runtimeView(uid) else { return }
        for container in view.containers {
            if container.state == .running {
                do { try await runtime.stopContainer(container.id, gracePeriod: .seconds(2)) } catch { return }
            }
            guard !Task.isCancelled else { return }
            try? await runtime.removeContainer(container.id)
        }
        for sandbox in view.sandboxes {
            try? await runtime.stopPodSandbox(sandbox.id)
            try? await runtime.removePodSandbox(sandbox.id)
        }
        volumes.teardown(uid)
        removeLogs(uid)
        probes.forget(uid: uid)
        shared.withLock { state in
            state.waiting[uid] = nil
            state.volumesRefreshed[uid] = nil
            state.backoff.forget(prefix: uid + "/")
            state.imageBackoff.forget(prefix: uid + "/")
        }
    }

    func runtimeView(_ uid: String) async throws -> PodRuntimeView {
        async let sandboxes = runtime.listPodSandboxes()
        async let containers = runtime.listContainers()
        return PodRuntimeView(sandboxes: try await sandboxes.filter { $0.podUID == uid },
                              containers: try await containers.filter { $0.podUID == uid })
    }

    // MARK: steps

    private func createSandbox(_ pod: Pod) async throws -> RuntimeSandbox {
        let spec = pod.spec ?? PodSpec()
        let aliases = spec.hostAliases.map { alias in "\(alias.ip ?? "")\t\(alias.hostnames.joined(separator: "\t"))" }
        var hostname = ContainerEnvironment.hostname(pod)
        if spec.hostNetwork == true { hostname = settings.nodeName }
        let config = SandboxConfig(podUID: pod.metadata?.uid ?? "", namespace: pod.metadata?.namespace ?? "",
                                   name: pod.metadata?.name ?? "", hostname: hostname, hostNetwork: spec.hostNetwork == true,
                                   resolvConf: resolvConf(pod), hostAliases: aliases)
        do {
            return try await runtime.runPodSandbox(config)
        } catch {
            events.record(pod, type: "Warning", reason: "FailedCreatePodSandBox",
                          message: "Failed to create pod sandbox: \(error)")
            throw error
        }
    }

    /// Starts one container; on failure records why it waits and returns when to retry.
    private func startContainer(_ pod: Pod, name: String, attempt: Int, isInit: Bool, sandbox: RuntimeSandbox) async -> Duration? {
        let uid = pod.metadata?.uid ?? ""
        let spec = pod.spec ?? PodSpec()
        guard let container = (isInit ? spec.initContainers : spec.containers).first(where: { $0.name == name }) else { return nil }
        let key = PodSyncPlanner.backoffKey(uid: uid, container: name)
        let imageName = container.image ?? ""

        // Image: ErrImagePull, then ImagePullBackOff while the back-off runs.
        guard let image = images.resolve(imageName) else {
            let current = now()
            let (remaining, delay) = shared.withLock { state -> (Duration?, Duration) in
                let remaining = state.imageBackoff.remaining(key, since: current, now: current)
                if remaining == nil { state.imageBackoff.next(key, now: current) }
                return (remaining, state.imageBackoff.delay(key))
            }
            if remaining == nil {
                let message = "Failed to pull image \"\(imageName)\": image not found in the node's image store " +
                    "(add it with `skiffctl image import \(imageName) PATH`)"
                setWaiting(uid, name, WaitingReason(reason: "ErrImagePull", message: message))
                events.record(pod, type: "Warning", reason: "Failed", message: message)
            } else {
                setWaiting(uid, name, WaitingReason(reason: "ImagePullBackOff", message: "Back-off pulling image \"\(imageName)\""))
                events.record(pod, type: "Normal", reason: "BackOff", message: "Back-off pulling image \"\(imageName)\"")
            }
            return remaining ?? delay
        }
        shared.withLock { $0.imageBackoff.reset(key) }

        do {
            let config = try await containerConfig(pod, container: container, attempt: attempt, image: image, sandbox: sandbox)
            let id = try await runtime.createContainer(in: sandbox, config, image: image)
            events.record(pod, type: "Normal", reason: "Created", message: "Created container \(name)")
            do {
                try await runtime.startContainer(id)
            } catch {
                try? await runtime.removeContainer(id)
                throw StartFailure(message: "\(error)")
            }
            events.record(pod, type: "Normal", reason: "Started", message: "Started container \(name)")
            shared.withLock { state in
                if attempt > 0 { state.backoff.next(key, now: now()) }
                state.waiting[uid]?[name] = nil
            }
            return nil
        } catch let error as ContainerConfigError {
            setWaiting(uid, name, WaitingReason(reason: "CreateContainerConfigError", message: error.message))
            events.record(pod, type: "Warning", reason: "Failed", message: "Error: \(error.message)")
        } catch let error as VolumeError {
            setWaiting(uid, name, WaitingReason(reason: "ContainerCreating", message: error.message))
            events.record(pod, type: "Warning", reason: "FailedMount", message: "MountVolume.SetUp failed: \(error.message)")
        } catch {
            setWaiting(uid, name, WaitingReason(reason: "RunContainerError", message: "\(error)"))
            events.record(pod, type: "Warning", reason: "Failed", message: "Error: \(error)")
        }
        let delay = shared.withLock { state -> Duration in
            state.backoff.next(key, now: now())
            return state.backoff.delay(key)
        }
        return delay
    }

    private struct StartFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    private func containerConfig(_ pod: Pod, container: Container, attempt: Int, image: Image,
                                 sandbox: RuntimeSandbox) async throws -> ContainerConfig {
        let namespace = pod.metadata?.namespace ?? "default"
        let hostIP = settings.hostIP()
        let podIP = pod.spec?.hostNetwork == true ? hostIP : sandbox.ip
        let objects = try await referencedObjects(container, namespace: namespace)
        let environment = try ContainerEnvironment.environment(pod: pod, container: container, image: image.config,
                                                               objects: objects, hostIP: hostIP, podIP: podIP)
        let volumePaths = try await volumes.prepare(pod, sources: volumeSources(namespace), hostIP: hostIP, podIP: podIP)
        var mounts: [ContainerConfig.Mount] = []
        for mount in container.volumeMounts {
            guard let name = mount.name, let source = volumePaths[name], let path = mount.mountPath else {
                throw ContainerConfigError(message: "volume \"\(mount.name ?? "")\" of container \(container.name ?? "") not found in the pod's volumes")
            }
            var hostPath = source
            if let sub = mount.subPath, !sub.isEmpty {
                guard !sub.hasPrefix("/"), !sub.split(separator: "/").contains("..") else {
                    throw ContainerConfigError(message: "invalid subPath \(sub)")
                }
                hostPath = "\(source)/\(sub)"
                if !FileManager.default.fileExists(atPath: hostPath) {
                    try FileManager.default.createDirectory(atPath: hostPath, withIntermediateDirectories: true)
                }
                // A container may have made part of the subPath a symlink: it must still lead
                // inside the volume (CVE-2017-1002101).
                let volumeRoot = URL(fileURLWithPath: source).resolvingSymlinksInPath().path
                let resolved = URL(fileURLWithPath: hostPath).resolvingSymlinksInPath().path
                guard resolved == volumeRoot || resolved.hasPrefix(volumeRoot + "/") else {
                    throw ContainerConfigError(message: "subPath \(sub) of volume \(name) leads outside the volume")
                }
                hostPath = resolved
            }
            mounts.append(ContainerConfig.Mount(source: hostPath, destination: path, readOnly: mount.readOnly == true))
        }
        let uid = pod.metadata?.uid ?? ""
        let name = container.name ?? ""
        let logPath = "\(settings.logsDirectory)/\(namespace)_\(pod.metadata?.name ?? "")_\(uid)/\(name)/\(attempt).log"
        let limits = container.resources?.limits ?? [:]
        let requests = container.resources?.requests ?? [:]
        var workingDirectory = container.workingDir ?? ""
        if workingDirectory.isEmpty { workingDirectory = image.config.workingDir.isEmpty ? "/" : image.config.workingDir }
        // $(VAR) in command and args is expanded with the container's environment, as in Kubernetes.
        let values = Dictionary(environment.map { entry -> (String, String) in
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }, uniquingKeysWith: { _, last in last })
        var expanded = container
        expanded.command = container.command.map { ContainerEnvironment.expand($0, values) }
        expanded.args = container.args.map { ContainerEnvironment.expand($0, values) }
        let argv = ContainerEnvironment.argv(expanded, image: image.config)
        guard !argv.isEmpty else {
            throw ContainerConfigError(message: "no command specified")
        }
        return ContainerConfig(name: name, attempt: attempt, argv: argv, environment: environment,
                               workingDirectory: workingDirectory, mounts: mounts,
                               memoryLimitBytes: limits["memory"]?.value,
                               cpuLimitMillis: limits["cpu"]?.milliValue,
                               cpuRequestMillis: (requests["cpu"] ?? limits["cpu"])?.milliValue,
                               pidsLimit: settings.pidsLimit, logPath: logPath, specHash: ContainerHash.of(container),
                               privileged: container.securityContext?.privileged == true)
    }

    private func referencedObjects(_ container: Container, namespace: String) async throws -> ReferencedObjects {
        var objects = ReferencedObjects()
        var configMaps = Set<String>(), secrets = Set<String>()
        for source in container.envFrom {
            if let name = source.configMapRef?.name { configMaps.insert(name) }
            if let name = source.secretRef?.name { secrets.insert(name) }
        }
        for variable in container.env {
            if let name = variable.valueFrom?.configMapKeyRef?.name { configMaps.insert(name) }
            if let name = variable.valueFrom?.secretKeyRef?.name { secrets.insert(name) }
        }
        for name in configMaps { objects.configMaps[name] = try await getOrNil(ConfigMap.self, name: name, namespace: namespace) }
        for name in secrets { objects.secrets[name] = try await getOrNil(Secret.self, name: name, namespace: namespace) }
        return objects
    }

    private func volumeSources(_ namespace: String) -> VolumeSources {
        let client = self.client
        return VolumeSources(
            configMap: { try await Self.getOrNil(client, ConfigMap.self, name: $0, namespace: namespace) },
            secret: { try await Self.getOrNil(client, Secret.self, name: $0, namespace: namespace) },
            claim: { try await Self.getOrNil(client, PersistentVolumeClaim.self, name: $0, namespace: namespace) },
            volume: { try await Self.getOrNil(client, PersistentVolume.self, name: $0, namespace: nil) })
    }

    private func getOrNil<O: APIObject>(_ type: O.Type, name: String, namespace: String) async throws -> O? {
        try await Self.getOrNil(client, type, name: name, namespace: namespace)
    }

    private static func getOrNil<O: APIObject>(_ client: APIClient, _ type: O.Type, name: String, namespace: String?) async throws -> O? {
        do {
            return try await client.get(type, name: name, namespace: namespace)
        } catch let error as APIError where error.code == 404 {
            return nil
        }
    }

    /// Once a deleted pod's containers have all stopped: remove them, the sandbox and the
    /// volumes, and delete the API object. Returns true when the pod is gone.
    private func finishDeletion(_ pod: Pod, view: PodRuntimeView) async throws -> Bool {
        guard pod.metadata?.deletionTimestamp != nil else { return false }
        guard view.containers.allSatisfy({ $0.state != .running }) else { return false }
        let uid = pod.metadata?.uid ?? ""
        await removeOrphan(uid: uid)
        do {
            _ = try await client.delete(Pod.self, name: pod.metadata?.name ?? "", namespace: pod.metadata?.namespace,
                                        options: DeleteOptions(gracePeriodSeconds: 0, preconditions: Preconditions(uid: uid)))
        } catch let error as APIError where error.code == 404 || error.code == 409 {
            // Already gone, or a new pod of the same name: nothing of ours to delete.
        }
        return true
    }

    private func writeStatus(_ pod: Pod, view: PodRuntimeView, to target: Pod) async throws {
        let uid = pod.metadata?.uid ?? ""
        let waiting = shared.withLock { $0.waiting[uid] ?? [:] }
        let readiness = probes.readiness(uid)
        let status = PodStatusBuilder.build(PodStatusInputs(pod: pod, view: view, waiting: waiting,
                                                            notReady: readiness.notReady, notStarted: readiness.notStarted,
                                                            hostIP: settings.hostIP(), now: now()))
        guard status != target.status else { return }
        var updated = target
        updated.status = status
        do {
            _ = try await client.updateStatus(updated)
        } catch let error as APIError where error.code == 409 {
            // Someone else wrote the pod (the scheduler's condition, a label): write over the
            // fresh copy, keeping their changes to other fields.
            var fresh = try await client.get(Pod.self, name: target.metadata?.name ?? "", namespace: target.metadata?.namespace)
            guard fresh.metadata?.uid == target.metadata?.uid else { return }
            var rebuilt = status
            if let scheduled = fresh.status?.conditions.first(where: { $0.type == "PodScheduled" }) {
                rebuilt.conditions.removeAll { $0.type == "PodScheduled" }
                rebuilt.conditions.insert(scheduled, at: 0)
            }
            fresh.status = rebuilt
            _ = try await client.updateStatus(fresh)
        }
    }

    /// Rewrites projected files whose objects changed (atomically; containers see the new set
    /// without a restart). Failures wait for the next period: the old files stay.
    private func refreshVolumes(_ pod: Pod, sandbox: RuntimeSandbox) async {
        let uid = pod.metadata?.uid ?? ""
        let projected = (pod.spec?.volumes ?? []).contains { $0.configMap != nil || $0.secret != nil || $0.downwardAPI != nil }
        guard projected, pod.metadata?.deletionTimestamp == nil else { return }
        let current = now()
        let due = shared.withLock { state -> Bool in
            guard current.timeIntervalSince(state.volumesRefreshed[uid] ?? .distantPast) >= Self.volumeRefreshPeriod else { return false }
            state.volumesRefreshed[uid] = current
            return true
        }
        guard due else { return }
        let hostIP = settings.hostIP()
        _ = try? await volumes.prepare(pod, sources: volumeSources(pod.metadata?.namespace ?? "default"), hostIP: hostIP,
                                       podIP: pod.spec?.hostNetwork == true ? hostIP : sandbox.ip)
    }

    // MARK: small things

    /// The pod's log directory (logs/NS_NAME_UID) goes with the pod.
    private func removeLogs(_ uid: String) {
        let fm = FileManager.default
        for entry in (try? fm.contentsOfDirectory(atPath: settings.logsDirectory)) ?? [] where entry.hasSuffix("_" + uid) {
            try? fm.removeItem(atPath: "\(settings.logsDirectory)/\(entry)")
        }
    }

    private func setWaiting(_ uid: String, _ name: String, _ reason: WaitingReason) {
        shared.withLock { $0.waiting[uid, default: [:]][name] = reason }
    }

    private func gracePeriod(_ pod: Pod) -> Duration {
        let seconds = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30
        return .seconds(max(0, seconds))
    }

    private func resolvConf(_ pod: Pod) -> String {
        PodDNS.resolvConf(for: pod, cluster: settings.clusterDNS, nodeResolver: settings.nodeResolver)
    }

}
