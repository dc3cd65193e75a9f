/// PodSyncPlanner: what the kubelet must do to bring one pod's containers to its spec, decided
/// from the pod and what the runtime reports, with no I/O (kuberuntime's computePodActions):
/// - a pod being deleted, or finished (Succeeded/Failed), has its running containers stopped
///   and its sandbox's network released;
/// - a pod without a ready sandbox gets one (a lost sandbox stops what still runs in it);
/// - init containers run one at a time, in order, each to success, before any app container;
/// - an app container without an instance starts; an exited one restarts as restartPolicy
///   says (Always; OnFailure when its exit code was not 0; Never not at all), after the
///   CrashLoopBackOff delay; one whose spec changed is restarted;
/// - of each container the two newest instances are kept (`logs --previous`), older exited
///   ones removed; of an init container only the newest.
///
/// Concurrency: pure. Must never: start a container the restart policy forbids, or two
/// instances of one container at once.
import Foundation
import SkiffWire

/// One pod's share of the runtime: its sandboxes and containers, newest first.
struct PodRuntimeView: Sendable, Equatable {
    var sandboxes: [RuntimeSandbox] = []
    var containers: [RuntimeContainer] = []

    /// The newest ready sandbox.
    var readySandbox: RuntimeSandbox? {
        sandboxes.filter { $0.state == .ready }.max { $0.createdAt < $1.createdAt }
    }

    /// Instances of one container, newest (highest attempt) first.
    func instances(_ name: String) -> [RuntimeContainer] {
        containers.filter { $0.name == name }.sorted { ($0.attempt, $0.createdAt) > ($1.attempt, $1.createdAt) }
    }
}

enum PodAction: Sendable, Equatable {
    case createSandbox
    case stopSandbox(id: String)
    case removeSandbox(id: String)
    case startContainer(name: String, attempt: Int, isInit: Bool)
    case stopContainer(id: String, name: String, reason: String)
    case removeContainer(id: String)
}

/// Why a container is not running, for its status (`waiting.reason` and `message`).
struct WaitingReason: Sendable, Equatable {
    var reason: String
    var message: String
}

struct PodSyncPlan: Sendable, Equatable {
    var actions: [PodAction] = []
    /// Containers held back by a back-off, with Kubernetes' reason.
    var waiting: [String: WaitingReason] = [:]
    /// When to look again although nothing changes (a back-off ends).
    var requeueAfter: Duration?
}

enum PodSyncPlanner {
    static func plan(pod: Pod, view: PodRuntimeView, backoff: RestartBackoff, now: Date,
                     livenessFailures: Set<String> = []) -> PodSyncPlan {
        var plan = PodSyncPlan()
        let spec = pod.spec ?? PodSpec()
        let uid = pod.metadata?.uid ?? ""
        let phase = pod.status?.phase ?? ""
        let stopping = pod.metadata?.deletionTimestamp != nil || phase == "Succeeded" || phase == "Failed"

        // Old sandboxes (replaced, or stopped and empty) go once their containers are gone.
        let current = view.readySandbox
        let newest = Set((spec.initContainers + spec.containers).compactMap { view.instances($0.name ?? "").first?.id })
        for sandbox in view.sandboxes where sandbox.id != current?.id {
            let inside = view.containers.filter { $0.sandboxID == sandbox.id }
            for container in inside where container.state == .running {
                plan.actions.append(.stopContainer(id: container.id, name: container.name, reason: "SandboxChanged"))
            }
            if sandbox.state == .ready { plan.actions.append(.stopSandbox(id: sandbox.id)) }
            if !stopping, current != nil, inside.allSatisfy({ $0.state != .running && !newest.contains($0.id) }) {
                for container in inside { plan.actions.append(.removeContainer(id: container.id)) }
                plan.actions.append(.removeSandbox(id: sandbox.id))
            }
        }

        if stopping {
            for container in view.containers where container.state == .running
                && !plan.actions.contains(where: { if case .stopContainer(container.id, _, _) = $0 { true } else { false } }) {
                plan.actions.append(.stopContainer(id: container.id, name: container.name, reason: "Killing"))
            }
            if let current { plan.actions.append(.stopSandbox(id: current.id)) }
            return plan
        }

        guard let sandbox = current else {
            // A pod whose containers all ran to the end under Never is not started again.
            let ranBefore = !view.containers.isEmpty
            if !(ranBefore && spec.restartPolicy == "Never") { plan.actions.append(.createSandbox) }
            return plan
        }
        let inSandbox = PodRuntimeView(sandboxes: [sandbox], containers: view.containers.filter { $0.sandboxID == sandbox.id })

        // Init containers: the first not yet succeeded runs (or waits), and nothing after it.
        for container in spec.initContainers {
            let name = container.name ?? ""
            let instances = inSandbox.instances(name)
            guard let latest = instances.first else {
                plan.actions.append(.startContainer(name: name, attempt: nextAttempt(view.instances(name)), isInit: true))
                return plan
            }
            for old in instances.dropFirst() where old.state == .exited { plan.actions.append(.removeContainer(id: old.id)) }
            if latest.state == .exited && latest.exitCode == 0 { continue }
            if latest.state == .created { plan.actions.append(.removeContainer(id: latest.id)); return plan }
            if latest.state != .exited { return plan }
            if spec.restartPolicy == "Never" { return plan }  // the pod has failed
            restart(name, latest, uid: uid, pod: pod, isInit: true, backoff: backoff, now: now, into: &plan)
            return plan
        }

        for container in spec.containers {
            let name = container.name ?? ""
            let instances = inSandbox.instances(name)
            garbage(instances, into: &plan)
            guard let latest = instances.first else {
                if spec.restartPolicy == "OnFailure", let previous = view.instances(name).first,
                   previous.state == .exited, previous.exitCode == 0 { continue }
                plan.actions.append(.startContainer(name: name, attempt: nextAttempt(view.instances(name)), isInit: false))
                continue
            }
            switch latest.state {
            case .created:
                // A container that never started (its start failed): try again with a new one.
                plan.actions.append(.removeContainer(id: latest.id))
            case .running:
                if livenessFailures.contains(name) {
                    plan.actions.append(.stopContainer(id: latest.id, name: name, reason: "Unhealthy"))
                } else if latest.specHash != ContainerHash.of(container) {
                    plan.actions.append(.stopContainer(id: latest.id, name: name, reason: "SpecChanged"))
                }
            case .exited:
                let policy = spec.restartPolicy ?? "Always"
                // A container whose spec changed is restarted whatever the policy, as in Kubernetes.
                let changed = latest.specHash != ContainerHash.of(container)
                let restarts = changed || policy == "Always" || (policy == "OnFailure" && latest.exitCode != 0)
                if restarts { restart(name, latest, uid: uid, pod: pod, isInit: false, backoff: backoff, now: now, into: &plan) }
            }
        }
        return plan
    }

    /// Restarts an exited container now, or records the back-off and when it ends.
    private static func restart(_ name: String, _ latest: RuntimeContainer, uid: String, pod: Pod, isInit: Bool,
                                backoff: RestartBackoff, now: Date, into plan: inout PodSyncPlan) {
        let key = backoffKey(uid: uid, container: name)
        if let remaining = backoff.remaining(key, since: latest.finishedAt ?? now, now: now) {
            plan.waiting[name] = WaitingReason(
                reason: "CrashLoopBackOff",
                message: "back-off \(backoff.delay(key).goString) restarting failed container=\(name) pod=\(description(of: pod))")
            plan.requeueAfter = min(plan.requeueAfter ?? remaining, remaining)
        } else {
            plan.actions.append(.startContainer(name: name, attempt: latest.attempt + 1, isInit: isInit))
        }
    }

    /// Keeps a container's two newest instances (the current one and the one before it, for
    /// `logs --previous`); older exited ones go.
    private static func garbage(_ instances: [RuntimeContainer], into plan: inout PodSyncPlan) {
        for old in instances.dropFirst(2) where old.state == .exited {
            plan.actions.append(.removeContainer(id: old.id))
        }
    }

    /// NAME_NAMESPACE(UID), as the kubelet names a pod in its messages.
    static func description(of pod: Pod) -> String {
        "\(pod.metadata?.name ?? "")_\(pod.metadata?.namespace ?? "")(\(pod.metadata?.uid ?? ""))"
    }

    static func nextAttempt(_ instances: [RuntimeContainer]) -> Int {
        instances.first.map { $0.attempt + 1 } ?? 0
    }

    static func backoffKey(uid: String, container: String) -> String { "\(uid)/\(container)" }
}

/// The hash a running container carries of the spec it was started from.
enum ContainerHash {
    static func of(_ container: Container) -> String {
        String(FNV1a.hash((try? container.serializedBytes()) ?? []), radix: 16)
    }
}
