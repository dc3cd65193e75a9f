/// NodeLifecycleController: watches nodes' heartbeats (their Leases in kube-node-lease and the
/// kubelet's status posts) and, for a node gone silent, marks it and its pods not ready, taints
/// it unreachable and evicts its pods when their tolerations run out, so their controllers
/// replace them elsewhere; a node heard from again loses the taints. Decisions are
/// `NodeLifecycleDecision`'s; options `node-monitor-grace-seconds` (40) and
/// `pod-eviction-seconds` (300).
///
/// Heartbeats are timed by when this instance observed them on its injected monotonic clock;
/// a node is first "heard" when this instance first sees it, so a restarted controller gives
/// every node a whole grace period, and a taint's toleration counts from when this instance
/// first saw it. Every instance observes every node; each reconciles the nodes it owns.
///
/// Concurrency: Sendable; reconciles of different nodes run at once. Must never: judge a node
/// by comparing its clock with ours, or evict a pod that tolerates the taint.
import Logging
import SkiffAPI
import SkiffClient
import SkiffWire
import Synchronization

public final class NodeLifecycleController: Controller {
    private struct Observation {
        var heardAt: Duration
        var leaseVersion: String?
        var statusHeartbeat: Time?
        var noExecuteSince: [String: Duration] = [:]
    }

    static let leaseNamespace = "kube-node-lease"

    private let context: ControllerContext
    private let settings: NodeHealthSettings
    private let nodes: Informer<Node>
    private let pods: Informer<Pod>
    private let leases: Informer<Lease>
    private let timeline: Timeline
    private let observations = Mutex<[String: Observation]>([:])

    public init(context: ControllerContext) {
        self.context = context
        settings = NodeHealthSettings(options: context.options)
        timeline = Timeline(context.clock)
        nodes = context.informers.informer(Node.self)
        pods = context.informers.informer(Pod.self)
        leases = context.informers.informer(Lease.self, namespace: Self.leaseNamespace)
        nodes.addEventHandler(onAdd: { [weak self] in self?.sawNode($0) },
                              onUpdate: { [weak self] _, new in self?.sawNode(new) },
                              onDelete: { [weak self] node in
                                  self?.observations.withLock { _ = $0.removeValue(forKey: node.metadata?.name ?? "") }
                              })
        leases.addEventHandler(onAdd: { [weak self] in self?.sawLease($0) },
                               onUpdate: { [weak self] _, new in self?.sawLease(new) })
        pods.addEventHandler(onAdd: { pod in
                                 if let node = pod.spec?.nodeName, !node.isEmpty { context.queue.add(ObjectKey(namespace: "", name: node)) }
                             },
                             onUpdate: { old, new in
                                 if let node = new.spec?.nodeName, !node.isEmpty, node != old.spec?.nodeName {
                                     context.queue.add(ObjectKey(namespace: "", name: node))
                                 }
                             })
    }

    public func allKeys() -> [ObjectKey] { nodes.indexer.keys() }

    // MARK: heartbeats

    /// A node's Ready heartbeat time changing is a status post from its kubelet.
    private func sawNode(_ node: Node) {
        guard let name = node.metadata?.name else { return }
        let heartbeat = node.status?.conditions.first { $0.type == "Ready" }?.lastHeartbeatTime
        let now = timeline.elapsed()
        observations.withLock { observations in
            guard var observation = observations[name] else {
                observations[name] = Observation(heardAt: now, statusHeartbeat: heartbeat)
                return
            }
            if let heartbeat, heartbeat != observation.statusHeartbeat {
                observation.heardAt = now
                observation.statusHeartbeat = heartbeat
            }
            observations[name] = observation
        }
        context.queue.add(ObjectKey(namespace: "", name: name))
    }

    /// Any new version of a node's Lease is a renewal.
    private func sawLease(_ lease: Lease) {
        guard let name = lease.metadata?.name else { return }
        let version = lease.metadata?.resourceVersion
        let now = timeline.elapsed()
        let renewed = observations.withLock { observations -> Bool in
            guard var observation = observations[name] else {
                observations[name] = Observation(heardAt: now, leaseVersion: version)
                return true
            }
            guard observation.leaseVersion != version else { return false }
            observation.leaseVersion = version
            observation.heardAt = now
            observations[name] = observation
            return true
        }
        if renewed { context.queue.add(ObjectKey(namespace: "", name: name)) }
    }

    // MARK: reconcile

    public func reconcile(_ key: ObjectKey) async throws -> Reconciled {
        guard let node = nodes.indexer.get(key) else { return .done }
        let now = timeline.elapsed()
        let observation = observations.withLock { observations in
            let observation = observations[key.name] ?? Observation(heardAt: now)
            observations[key.name] = observation
            return observation
        }
        let decision = NodeLifecycleDecision.decide(
            node, pods: pods.indexer.byIndex(.byNode, key.name), lastHeartbeat: observation.heardAt,
            noExecuteSince: observation.noExecuteSince, now: now, wallNow: context.wallClock.now(), settings: settings)
        observations.withLock { $0[key.name]?.noExecuteSince = decision.noExecuteSince }

        var current = node
        do {
            if let conditions = decision.conditions {
                current.status = current.status ?? NodeStatus()
                current.status!.conditions = conditions
                current = try await context.client.updateStatus(current)
                context.events.normal(node, "NodeNotReady", "Node \(key.name) status is now: NodeNotReady")
                context.logger.notice("node stopped posting status", metadata: ["node": "\(key.name)"])
            }
            if let taints = decision.taints {
                current.spec = current.spec ?? NodeSpec()
                current.spec!.taints = taints
                current = try await context.client.update(current)
            }
        } catch let error as APIError where error.reason == .notFound {
            return .done
        }
        var failure: String?
        for pod in decision.markNotReady {
            do { try await markNotReady(pod) } catch { failure = "\(error)" }
        }
        for pod in decision.evict {
            let name = pod.metadata?.name ?? "", namespace = pod.metadata?.namespace ?? ""
            do {
                _ = try await context.client.delete(Pod.self, name: name, namespace: namespace,
                                                    options: DeleteOptions(preconditions: Preconditions(uid: pod.metadata?.uid)))
                context.events.normal(pod, "TaintManagerEviction", "Marking for deletion Pod \(namespace)/\(name)")
            } catch let error as APIError where error.reason == .notFound || error.reason == .conflict {
                // Gone, or another pod by that name now.
            } catch {
                failure = "\(error)"
            }
        }
        if let failure { throw ReconcileError("node \(key.name): \(failure)") }
        return decision.recheckAfter.map { .after(max($0, .milliseconds(100))) } ?? .done
    }

    private func markNotReady(_ pod: Pod) async throws {
        var updated = pod
        var status = updated.status ?? PodStatus()
        let now = context.wallClock.now()
        if let index = status.conditions.firstIndex(where: { $0.type == "Ready" }) {
            status.conditions[index].status = "False"
            status.conditions[index].lastTransitionTime = now
        } else {
            status.conditions.append(PodCondition(type: "Ready", status: "False", lastTransitionTime: now))
        }
        updated.status = status
        do {
            _ = try await context.client.updateStatus(updated)
        } catch let error as APIError where error.reason == .notFound {
            // Gone meanwhile.
        }
    }
}
