/// SchedulingQueue.State: the pure heart of the scheduling queue, Kubernetes' `PriorityQueue`
/// with explicit times so tests drive it step by step:
///
///     add ──▶ activeQ (priority, then arrival) ──pop──▶ in flight (one scheduling cycle)
///                ▲   ▲                                     │ fit error            │ error
///                │   └── backoffQ (1 s doubling to 10 s) ◀─┤ (an event came       │ (bind failed)
///                │          ▲ flush when expired           │  during the cycle)   ▼
///                │          └──────────────────────────────┴──────────────── backoffQ
///                └── unschedulable set ◀── fit error, nothing changed meanwhile
///                      left by: a cluster event (moveAll), an update of the pod, or 60 s
///
/// A cluster event (node added or changed, assigned pod deleted) moves every unschedulable pod
/// out: to backoffQ while its backoff runs, else straight to activeQ. An event that arrives while
/// a pod is in flight is remembered by cycle number (`moveRequestCycle`), so a pod failing in
/// that cycle goes to backoffQ instead of waiting in the unschedulable set for an event that has
/// already happened.
///
/// Concurrency: a plain value owned by SchedulingQueue under its lock. Must never: hold a key in
/// two places at once, or lose an update that arrives while the pod is in flight.
import SkiffClient
import SkiffWire

extension SchedulingQueue {
    public struct Options: Sendable {
        /// Backoff after the first failed attempt; it doubles with each further one...
        public var initialBackoff: Duration = .seconds(1)
        /// ...up to this.
        public var maxBackoff: Duration = .seconds(10)
        /// The longest a pod waits in the unschedulable set without a cluster event (Kubernetes:
        /// podMaxInUnschedulablePodsDuration, 5 min).
        public var maxInUnschedulable: Duration = .seconds(60)
        public init() {}
    }

    public struct State: Sendable {
        private struct InFlight {
            var latest: Pod?
            var deleted = false
        }

        public let options: Options
        private var active: PodHeap
        private var backoff: PodHeap
        /// Pods whose last attempt failed with nothing changed since, with when they arrived.
        private var unschedulable: [ObjectKey: (pod: QueuedPod, since: Duration)] = [:]
        private var inFlight: [ObjectKey: InFlight] = [:]
        private(set) var schedulingCycle: Int64 = 0
        private var moveRequestCycle: Int64 = -1
        private var arrivals: UInt64 = 0

        public init(options: Options = Options()) {
            self.options = options
            // Higher priority first, then earlier arrival, then sequence.
            active = PodHeap { pod in
                PodHeap.Order(first: -Int64(pod.priority), second: Self.nanoseconds(pod.timestamp), third: pod.sequence)
            }
            // Earliest end of backoff first.
            backoff = PodHeap { pod in
                PodHeap.Order(first: Self.nanoseconds(Self.backoffExpiry(pod, options)), second: 0, third: pod.sequence)
            }
        }

        // MARK: reading

        public var activeCount: Int { active.count }
        public var backoffCount: Int { backoff.count }
        public var unschedulableCount: Int { unschedulable.count }
        public var inFlightCount: Int { inFlight.count }

        /// Where the pod is: "active", "backoff", "unschedulable", "in flight", or nil.
        public func placement(of key: ObjectKey) -> String? {
            if active.contains(key) { return "active" }
            if backoff.contains(key) { return "backoff" }
            if unschedulable[key] != nil { return "unschedulable" }
            if inFlight[key] != nil { return "in flight" }
            return nil
        }

        /// Kubernetes' calculateBackoffDuration: initial, doubled per attempt after the first.
        public static func backoffDuration(attempts: Int, _ options: Options) -> Duration {
            var duration = options.initialBackoff
            var attempt = 1
            while attempt < attempts {
                if duration > options.maxBackoff - duration { return options.maxBackoff }
                duration += duration
                attempt += 1
            }
            return min(duration, options.maxBackoff)
        }

        static func nanoseconds(_ duration: Duration) -> Int64 {
            let (seconds, attoseconds) = duration.components
            return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
        }

        static func backoffExpiry(_ pod: QueuedPod, _ options: Options) -> Duration {
            (pod.lastFailure ?? pod.timestamp) + backoffDuration(attempts: pod.attempts, options)
        }

        func isBackingOff(_ pod: QueuedPod, now: Duration) -> Bool {
            pod.lastFailure != nil && Self.backoffExpiry(pod, options) > now
        }

        // MARK: pods coming and going (informer events)

        /// A new unscheduled pod, or a newer version of one already held anywhere.
        public mutating func add(_ pod: Pod, now: Duration) {
            let key = ObjectKey(pod)
            if inFlight[key] != nil {
                inFlight[key]?.latest = pod
            } else if var queued = active[key] {
                queued.pod = pod
                active.upsert(queued)
            } else if var queued = backoff[key] {
                queued.pod = pod
                backoff.upsert(queued)
            } else if let (queued, since) = unschedulable[key] {
                var updated = queued
                updated.pod = pod
                if Self.mayHaveBecomeSchedulable(from: queued.pod, to: pod) {
                    unschedulable[key] = nil
                    moveOut(updated, now: now)
                } else {
                    unschedulable[key] = (updated, since)
                }
            } else {
                pushActive(QueuedPod(pod, timestamp: now))
            }
        }

        /// A pod that is gone, bound, or no longer this scheduler's.
        public mutating func delete(_ key: ObjectKey) {
            active.remove(key)
            backoff.remove(key)
            unschedulable[key] = nil
            if inFlight[key] != nil { inFlight[key]?.deleted = true }
        }

        // MARK: the scheduling cycle

        /// The next pod to schedule, now in flight until `done` or a requeue.
        public mutating func pop() -> QueuedPod? {
            guard var queued = active.popFirst() else { return nil }
            schedulingCycle += 1
            queued.cycle = schedulingCycle
            queued.attempts += 1
            inFlight[queued.key] = InFlight()
            return queued
        }

        /// The cycle ended with the pod assumed on a node.
        public mutating func done(_ key: ObjectKey) { inFlight[key] = nil }

        /// The cycle found no node (a FitError). The pod waits for a cluster event, unless one
        /// already came during the cycle or the pod changed: then only its backoff.
        public mutating func requeueUnschedulable(_ queued: QueuedPod, now: Duration) {
            guard let (pod, changed) = land(queued, now: now) else { return }
            if changed || moveRequestCycle >= queued.cycle {
                moveOut(pod, now: now)
            } else {
                unschedulable[pod.key] = (pod, now)
            }
        }

        /// The cycle failed for another reason (the binding failed): retry after the backoff.
        public mutating func requeueAfterError(_ queued: QueuedPod, now: Duration) {
            guard let (pod, _) = land(queued, now: now) else { return }
            moveOut(pod, now: now)
        }

        /// Ends the pod's flight as a failure at `now`: nil if it was deleted meanwhile, else the
        /// pod (its latest version) and whether it changed in a way that may matter.
        private mutating func land(_ queued: QueuedPod, now: Duration) -> (QueuedPod, Bool)? {
            let flight = inFlight.removeValue(forKey: queued.key) ?? InFlight()
            guard !flight.deleted else { return nil }
            var pod = queued
            pod.lastFailure = now
            pod.timestamp = now
            var changed = false
            if let latest = flight.latest {
                changed = Self.mayHaveBecomeSchedulable(from: queued.pod, to: latest)
                pod.pod = latest
            }
            return (pod, changed)
        }

        // MARK: cluster events and time

        /// Something changed that may let unschedulable pods fit: every one of them moves out.
        public mutating func moveAllToActiveOrBackoff(now: Duration) {
            let waiting = unschedulable.values.map(\.pod).sorted { $0.sequence < $1.sequence }
            unschedulable.removeAll()
            for pod in waiting { moveOut(pod, now: now) }
            moveRequestCycle = schedulingCycle
        }

        /// Moves pods whose backoff is over to activeQ, and pods that waited too long in the
        /// unschedulable set out of it.
        public mutating func flush(now: Duration) {
            while let next = backoff.first, !isBackingOff(next, now: now) {
                backoff.remove(next.key)
                pushActive(next)
            }
            let stale = unschedulable.filter { now - $0.value.since >= options.maxInUnschedulable }
            for (key, entry) in stale.sorted(by: { $0.value.pod.sequence < $1.value.pod.sequence }) {
                unschedulable[key] = nil
                moveOut(entry.pod, now: now)
            }
        }

        private mutating func moveOut(_ pod: QueuedPod, now: Duration) {
            if isBackingOff(pod, now: now) { backoff.upsert(pod) } else { pushActive(pod) }
        }

        private mutating func pushActive(_ pod: QueuedPod) {
            var pod = pod
            arrivals += 1
            pod.sequence = arrivals
            active.upsert(pod)
        }

        /// Kubernetes' isPodUpdated: any change but status and bookkeeping metadata may matter.
        static func mayHaveBecomeSchedulable(from old: Pod, to new: Pod) -> Bool {
            old.spec != new.spec || old.metadata?.labels != new.metadata?.labels
                || old.metadata?.annotations != new.metadata?.annotations
                || old.metadata?.ownerReferences != new.metadata?.ownerReferences
        }
    }
}
