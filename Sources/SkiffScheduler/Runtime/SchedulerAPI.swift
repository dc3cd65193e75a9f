/// SchedulerAPI: every write (and the one read) the scheduler makes to the API, behind one
/// protocol so tests can run the scheduler against an in-memory fake that records them.
/// `APIClient` conforms; nothing else of the client is used outside the informers.
///
/// Concurrency: implementations are Sendable and called concurrently (binders, status and event
/// writers). Must never: retry a write on its own; the callers decide what a failure means.
import SkiffAPI
import SkiffClient
import SkiffWire

public protocol SchedulerAPI: EventWriter {
    /// POST pods/NAME/binding. 409 when the pod is already bound (or being deleted), 404 when gone.
    func bind(pod name: String, namespace: String, node: String) async throws
    func getPod(name: String, namespace: String) async throws -> Pod
    /// PUT pods/NAME/status with the object's resourceVersion: 409 if it changed meanwhile.
    func updatePodStatus(_ pod: Pod) async throws -> Pod
}

extension APIClient: SchedulerAPI {
    public func getPod(name: String, namespace: String) async throws -> Pod {
        try await get(Pod.self, name: name, namespace: namespace)
    }

    public func updatePodStatus(_ pod: Pod) async throws -> Pod { try await updateStatus(pod) }
}

extension Error {
    /// The API's reason for this error, if it is an APIError.
    var apiReason: APIError.Reason? { (self as? APIError)?.reason }
}
