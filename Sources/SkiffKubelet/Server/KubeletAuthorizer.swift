/// KubeletAuthorizer: the kubelet's own requests (logs, exec, usage) pass the cluster's
/// authentication and authorization too, as Kubernetes' kubelet delegates them: the kubelet
/// asks the apiserver, with the caller's own bearer token, a SelfSubjectAccessReview for what
/// the request amounts to in API terms:
///   logs    get pods/log  (the pod's namespace and name)
///   exec    create pods/exec
///   usage   list pods     (in the asked namespace, or cluster-wide)
/// A token the apiserver does not accept is a 401, a "no" a 403. Answers are remembered briefly
/// (allowed 30 s, refused 5 s), so `logs -f` does not ask again for every poll.
///
/// Concurrency: Sendable; a lock guards the remembered answers. Must never: run a request whose
/// caller the apiserver has not said yes to.
import Foundation
import Synchronization
import SkiffAPI
import SkiffClient
import SkiffWire

final class KubeletAuthorizer: Sendable {
    /// Where the apiserver is (the kubelet's own client's endpoints).
    private let server: String
    private let events: String?
    private let remembered = Mutex<[String: (allowed: Bool, until: ContinuousClock.Instant)]>([:])

    init(server: String, events: String?) {
        self.server = server
        self.events = events
    }

    /// nil when the caller may; the refusal to send back otherwise.
    func refusal(for request: KubeletRequest, token: String?) async -> KubeletResponse? {
        guard let token, !token.isEmpty else { return Self.unauthorized() }
        let attributes = Self.attributes(of: request)
        let key = "\(token)\u{0}\(attributes.verb ?? "") \(attributes.resource ?? "")/\(attributes.subresource ?? "") \(attributes.namespace ?? "")/\(attributes.name ?? "")"
        let now = ContinuousClock.now
        if let known = remembered.withLock({ $0[key] }), known.until > now {
            return known.allowed ? nil : Self.forbidden(attributes)
        }
        let allowed: Bool
        do {
            allowed = try await ask(attributes, token: token)
        } catch let error as APIError where error.code == 401 {
            return Self.unauthorized()
        } catch {
            return KubeletResponse(code: 503, status: APIError.unavailable("cannot ask the apiserver: \(error)").status)
        }
        remembered.withLock { table in
            if table.count > 10_000 { table.removeAll() }
            table[key] = (allowed, now + (allowed ? .seconds(30) : .seconds(5)))
        }
        return allowed ? nil : Self.forbidden(attributes)
    }

    static func attributes(of request: KubeletRequest) -> ResourceAttributes {
        if let logs = request.logs {
            return ResourceAttributes(namespace: logs.namespace, verb: "get", resource: "pods", subresource: "log", name: logs.pod)
        }
        if let exec = request.exec {
            return ResourceAttributes(namespace: exec.namespace, verb: "create", resource: "pods", subresource: "exec", name: exec.pod)
        }
        return ResourceAttributes(namespace: request.metrics?.namespace ?? "", verb: "list", resource: "pods")
    }

    private func ask(_ attributes: ResourceAttributes, token: String) async throws -> Bool {
        let client = try APIClient(ClientConfig(server: server, events: events, token: token, timeout: .seconds(10),
                                                component: "kubelet-authorizer"))
        defer { Task { await client.close() } }
        return try await client.reviewAccess(attributes).allowed == true
    }

    static func unauthorized() -> KubeletResponse {
        KubeletResponse(code: 401, status: APIError.unauthorized().status)
    }

    static func forbidden(_ attributes: ResourceAttributes) -> KubeletResponse {
        let resource = (attributes.resource ?? "") + ((attributes.subresource ?? "").isEmpty ? "" : "/\(attributes.subresource!)")
        let scope = (attributes.namespace ?? "").isEmpty ? "at the cluster scope" : "in the namespace \"\(attributes.namespace!)\""
        return KubeletResponse(code: 403, status: APIError.forbidden(GroupResource(group: "", resource: resource), attributes.name ?? "",
                                                                     "the caller may not \(attributes.verb ?? "") \(resource) \(scope)").status)
    }
}
