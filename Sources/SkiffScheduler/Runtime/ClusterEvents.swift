/// ClusterEvents: what the scheduler does with each informer event, as kube-scheduler's event
/// handlers:
/// - an unassigned pod of this scheduler (schedulerName, default "default-scheduler") that is
///   not terminating goes to the queue; its updates follow it there; a pod with scheduling
///   gates waits outside the queue until its last gate is removed (Kubernetes' SchedulingGates);
/// - an assigned pod goes to the cache (confirming an assumption, or counting another
///   scheduler's or the user's binding) and leaves the queue;
/// - deleting an assigned pod frees room: unschedulable pods are retried;
/// - a node added, or changed in what scheduling reads (labels, taints, cordon, readiness,
///   allocatable), retries unschedulable pods; a kubelet's heartbeat alone does not.
///
/// Concurrency: called by the informers one event at a time; each call is quick (cache and queue
/// updates). Must never: block, or do I/O.
import SkiffClient
import SkiffWire

extension Scheduler {
    func isAssigned(_ pod: Pod) -> Bool { !(pod.spec?.nodeName ?? "").isEmpty }

    func isResponsible(for pod: Pod) -> Bool {
        let name = pod.spec?.schedulerName ?? ""
        return name == configuration.schedulerName || (name.isEmpty && configuration.schedulerName == "default-scheduler")
    }

    /// Whether the pod is this scheduler's to place now.
    func isWaiting(_ pod: Pod) -> Bool {
        isResponsible(for: pod) && pod.metadata?.deletionTimestamp == nil && (pod.spec?.schedulingGates ?? []).isEmpty
    }

    public func podAdded(_ pod: Pod) {
        if isAssigned(pod) {
            cache.confirmPod(pod)
            queue.delete(ObjectKey(pod))
        } else if isWaiting(pod) {
            queue.add(pod)
        }
    }

    public func podUpdated(_ old: Pod, _ new: Pod) {
        let key = ObjectKey(new)
        if isAssigned(new) {
            cache.confirmPod(new)
            if !isAssigned(old) { queue.delete(key) }
        } else if !isWaiting(new) {
            queue.delete(key)
        } else if !cache.isAssumed(key) {
            // An assumed pod is being bound; its next version will carry the node.
            queue.add(new)
        }
    }

    public func podDeleted(_ pod: Pod) {
        let key = ObjectKey(pod)
        queue.delete(key)
        if isAssigned(pod) || cache.isPlaced(key) {
            cache.removePod(key)
            queue.moveAllToActiveOrBackoff()
        }
    }

    public func nodeAdded(_ node: Node) {
        cache.upsertNode(node)
        queue.moveAllToActiveOrBackoff()
    }

    public func nodeUpdated(_ old: Node, _ new: Node) {
        cache.upsertNode(new)
        if Self.isSchedulingRelevantChange(from: old, to: new) { queue.moveAllToActiveOrBackoff() }
    }

    public func nodeDeleted(_ node: Node) {
        cache.removeNode(named: node.metadata?.name ?? "")
    }

    /// Whether a node update changed anything a filter or score reads.
    public static func isSchedulingRelevantChange(from old: Node, to new: Node) -> Bool {
        old.metadata?.labels != new.metadata?.labels
            || old.spec?.taints != new.spec?.taints
            || old.spec?.unschedulable != new.spec?.unschedulable
            || old.status?.allocatable != new.status?.allocatable
            || NodeReadiness(old.status?.conditions ?? []) != NodeReadiness(new.status?.conditions ?? [])
    }
}
