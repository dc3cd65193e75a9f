/// KubeletEvents: the Events a kubelet records about its pods (Created, Started, Killing,
/// BackOff, Failed, ...), with source component "kubelet" and its node as host. Repeats of the
/// same reason and message for the same pod bump `count` and `lastTimestamp` of one Event
/// instead of creating another, as client-go's event correlator does.
///
/// Concurrency: Sendable; `record` never blocks: writes happen in the background, one at a
/// time, and are dropped (not retried) on failure. Must never: slow a pod's sync.
import Foundation
import SkiffAPI
import SkiffClient
import SkiffWire
import Synchronization

final class KubeletEvents: Sendable {
    private struct Pending {
        var event: Event
        var isNew: Bool
    }
    private struct State {
        /// (pod uid, reason, message) -> the Event written for it.
        var seen: [String: Event] = [:]
        var queue: [String] = []
        var draining = false
    }

    private let client: APIClient
    private let nodeName: String
    private let state = Mutex(State())
    private let now: @Sendable () -> Date

    init(client: APIClient, nodeName: String, now: @escaping @Sendable () -> Date) {
        self.client = client
        self.nodeName = nodeName
        self.now = now
    }

    func record(_ pod: Pod, type: String, reason: String, message: String) {
        let uid = pod.metadata?.uid ?? ""
        let key = "\(uid)\u{1}\(reason)\u{1}\(message)"
        let time = Time(now())
        let start = state.withLock { state -> Bool in
            if var event = state.seen[key] {
                event.count = (event.count ?? 1) + 1
                event.lastTimestamp = time
                state.seen[key] = event
            } else {
                let name = "\(pod.metadata?.name ?? "pod").\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
                state.seen[key] = Event(
                    metadata: ObjectMeta(name: name, namespace: pod.metadata?.namespace),
                    involvedObject: ObjectReference(kind: "Pod", namespace: pod.metadata?.namespace, name: pod.metadata?.name,
                                                    uid: uid, apiVersion: "v1", resourceVersion: pod.metadata?.resourceVersion),
                    reason: reason, message: message, source: EventSource(component: "kubelet", host: nodeName),
                    firstTimestamp: time, lastTimestamp: time, count: 1, type: type,
                    reportingComponent: "kubelet", reportingInstance: nodeName)
            }
            if !state.queue.contains(key) { state.queue.append(key) }
            // Bounded memory: forget aggregation state for events not waiting to be written.
            if state.seen.count > 4096 {
                let queued = Set(state.queue)
                state.seen = state.seen.filter { queued.contains($0.key) }
            }
            if state.draining { return false }
            state.draining = true
            return true
        }
        if start { Task { await drain() } }
    }

    private func drain() async {
        while true {
            let next = state.withLock { state -> (String, Event)? in
                guard !state.queue.isEmpty else { state.draining = false; return nil }
                let key = state.queue.removeFirst()
                return state.seen[key].map { (key, $0) }
            }
            guard let (key, event) = next else { return }
            do {
                let written: Event
                if event.metadata?.resourceVersion == nil {
                    written = try await client.create(event)
                } else {
                    written = try await client.update(event)
                }
                state.withLock { state in
                    // Keep counts bumped meanwhile; take the new resourceVersion.
                    if var current = state.seen[key] {
                        current.metadata?.resourceVersion = written.metadata?.resourceVersion
                        state.seen[key] = current
                    }
                }
            } catch {
                state.withLock { $0.seen[key] = nil }
            }
        }
    }
}
