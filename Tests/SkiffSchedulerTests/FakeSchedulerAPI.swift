/// FakeSchedulerAPI: an in-memory SchedulerAPI that records every write as a line ("bind
/// default/p a", "event Normal Scheduled ...", "status default/p False Unschedulable ...",
/// "bump <event> 2"), and answers with what a test scripted (a 409 on a bind, say).
import Foundation
import SkiffAPI
import SkiffScheduler
import SkiffWire
import Synchronization

final class FakeSchedulerAPI: SchedulerAPI {
    private struct State {
        var actions: [String] = []
        var pods: [String: Pod] = [:]
        var events: [String: Event] = [:]
        var bindErrors: [String: APIError] = [:]
    }

    private let state = Mutex(State())

    var actions: [String] { state.withLock { $0.actions } }
    var events: [Event] { state.withLock { Array($0.events.values) } }

    /// The fake's copy of a pod, as an informer's cache would hold it.
    func pod(_ key: String) -> Pod? { state.withLock { $0.pods[key] } }

    func store(_ pod: Pod) { state.withLock { $0.pods["\(pod.metadata!.namespace!)/\(pod.metadata!.name!)"] = pod } }

    func failBinding(of key: String, with error: APIError) { state.withLock { $0.bindErrors[key] = error } }

    func bind(pod name: String, namespace: String, node: String) async throws {
        let key = "\(namespace)/\(name)"
        try state.withLock { state in
            if let error = state.bindErrors[key] {
                state.actions.append("bind \(key) \(node) refused \(error.code)")
                throw error
            }
            state.actions.append("bind \(key) \(node)")
            state.pods[key]?.spec?.nodeName = node
        }
    }

    func getPod(name: String, namespace: String) async throws -> Pod {
        try state.withLock { state in
            guard let pod = state.pods["\(namespace)/\(name)"] else {
                throw APIError.notFound(GroupResource(group: "", resource: "pods"), name)
            }
            return pod
        }
    }

    func updatePodStatus(_ pod: Pod) async throws -> Pod {
        let key = "\(pod.metadata!.namespace!)/\(pod.metadata!.name!)"
        let condition = pod.status?.conditions.first { $0.type == "PodScheduled" }
        return state.withLock { state in
            state.actions.append("status \(key) \(condition?.status ?? "") \(condition?.reason ?? "") \(condition?.message ?? "")")
            state.pods[key] = pod
            return pod
        }
    }

    func createEvent(_ event: Event) async throws -> Event {
        state.withLock { state in
            state.actions.append("event \(event.type ?? "") \(event.reason ?? "") \(event.message ?? "")")
            state.events[event.metadata!.name!] = event
            return event
        }
    }

    func patchEvent(name: String, namespace: String, mergePatch: [UInt8]) async throws -> Event {
        let fields = try JSONSerialization.jsonObject(with: Data(mergePatch)) as? [String: Any] ?? [:]
        let count = fields["count"] as? Int ?? 0
        return try state.withLock { state in
            guard var event = state.events[name] else {
                throw APIError.notFound(GroupResource(group: "", resource: "events"), name)
            }
            state.actions.append("bump \(event.reason ?? "") \(count)")
            event.count = Int32(count)
            state.events[name] = event
            return event
        }
    }
}
