/// APIClient: the typed client every component and tool uses to talk to the apiserver: one
/// `Request` per call over the bus, the reply's Status thrown as an `APIError`, and watches
/// that combine the apiserver's pub/sub stream with its backlog (see WatchSession).
///
/// Concurrency: Sendable; calls may run concurrently from any task. Must never: return a
/// failed call as a success, or decode an object as a type other than the one it was sent as.
import Foundation
import Logging
import SkiffAPI
import SkiffBus
import SkiffWire

public struct ObjectList<O: APIObject>: Sendable {
    public var items: [O]
    public var resourceVersion: String
    /// Set when more items remain: pass it as `continue` for the next page.
    public var continueToken: String?
}

public final class APIClient: Sendable {
    public let config: ClientConfig
    public let serverURL: String
    public let eventsURL: String?
    private let requests: RequestClient
    private let pacing: TokenBucket?

    public init(_ config: ClientConfig) throws {
        let config = try config.resolvingKubeconfig()
        self.config = config
        (serverURL, eventsURL) = try config.resolveEndpoints()
        requests = try RequestClient(connectingTo: serverURL, component: config.component,
                                     options: RequestClient.Options(token: config.token))
        pacing = config.qps.map { TokenBucket(qps: $0, burst: config.burst) }
    }

    public func close() async { await requests.close() }

    /// A client of a registered apiserver, retrying once a second until one is there (a
    /// component may start before the apiserver); throws CancellationError when stopped first.
    public static func connect(_ config: ClientConfig, logger: Logger) async throws -> APIClient {
        var warned = false
        while true {
            do {
                return try APIClient(config)
            } catch {
                if !warned { logger.info("waiting for an apiserver", metadata: ["error": "\(error)"]) }
                warned = true
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    // MARK: raw

    /// Sends one request; a reply with an error code is thrown as its APIError.
    public func send(_ request: Request) async throws -> Response {
        try await pacing?.take()
        let reply: Response
        do {
            reply = try await requests.call(request, replyType: Response.self, timeout: config.timeout)
        } catch let error as BusError where error.code == .timeout {
            throw APIError.timeout("the apiserver did not answer within \(config.timeout) (\(serverURL))")
        } catch let error as BusError {
            throw APIError.unavailable("cannot reach the apiserver at \(serverURL): \(error.message)")
        }
        let code = reply.code ?? 500
        guard (200..<300).contains(code) else {
            throw APIError(status: reply.status ?? Status(status: "Failure", message: "error \(code)", code: code))
        }
        return reply
    }

    // MARK: typed calls

    public func get<O: APIObject>(_ type: O.Type, name: String, namespace: String? = nil) async throws -> O {
        try decodeObject(try await send(request("get", O.self, namespace: namespace, name: name)))
    }

    public func list<O: APIObject>(_ type: O.Type, namespace: String? = nil, labelSelector: String? = nil,
                                   fieldSelector: String? = nil, limit: Int? = nil,
                                   continue token: String? = nil) async throws -> ObjectList<O> {
        var call = try request("list", O.self, namespace: namespace)
        call.labelSelector = labelSelector
        call.fieldSelector = fieldSelector
        call.limit = limit.map(Int64.init)
        call.continue = token
        let reply = try await send(call)
        var items: [O] = []
        items.reserveCapacity(reply.items.count)
        for bytes in reply.items { items.append(try O(serializedBytes: bytes)) }
        let next = reply.listMeta?.continue
        return ObjectList(items: items, resourceVersion: reply.listMeta?.resourceVersion ?? "",
                          continueToken: (next ?? "").isEmpty ? nil : next)
    }

    public func create<O: APIObject>(_ object: O, namespace: String? = nil) async throws -> O {
        var call = try request("create", O.self, namespace: namespace ?? object.metadata?.namespace)
        try attach(object, to: &call)
        return try decodeObject(try await send(call))
    }

    public func update<O: APIObject>(_ object: O) async throws -> O {
        try await write(object, subresource: nil)
    }

    public func updateStatus<O: APIObject>(_ object: O) async throws -> O {
        try await write(object, subresource: "status")
    }

    public func patch<O: APIObject>(_ type: O.Type, name: String, namespace: String? = nil,
                                    mergePatch: [UInt8], subresource: String? = nil) async throws -> O {
        var call = try request("patch", O.self, namespace: namespace, name: name)
        call.subresource = subresource
        call.patchType = "application/merge-patch+json"
        call.patch = mergePatch
        return try decodeObject(try await send(call))
    }

    public func delete<O: APIObject>(_ type: O.Type, name: String, namespace: String? = nil,
                                     options: DeleteOptions? = nil) async throws -> O {
        var call = try request("delete", O.self, namespace: namespace, name: name)
        call.deleteOptions = options
        return try decodeObject(try await send(call))
    }

    public func deleteCollection<O: APIObject>(_ type: O.Type, namespace: String? = nil, labelSelector: String? = nil,
                                               fieldSelector: String? = nil) async throws {
        var call = try request("deletecollection", O.self, namespace: namespace)
        call.labelSelector = labelSelector
        call.fieldSelector = fieldSelector
        _ = try await send(call)
    }

    public func getScale(_ resource: ResourceInfo, name: String, namespace: String) async throws -> Scale {
        let call = Request(verb: "get", group: resource.group, version: resource.version, resource: resource.plural,
                           subresource: "scale", namespace: namespace, name: name)
        return try decodeObject(try await send(call))
    }

    public func updateScale(_ resource: ResourceInfo, name: String, namespace: String, replicas: Int32,
                            resourceVersion: String? = nil) async throws -> Scale {
        var call = Request(verb: "update", group: resource.group, version: resource.version, resource: resource.plural,
                           subresource: "scale", namespace: namespace, name: name)
        let scale = Scale(metadata: ObjectMeta(name: name, namespace: namespace, resourceVersion: resourceVersion),
                          spec: ScaleSpec(replicas: replicas))
        call.body = try scale.serializedBytes()
        call.bodyType = Scale.protoName
        return try decodeObject(try await send(call))
    }

    /// Binds a pod to a node (the scheduler's write), through the binding subresource.
    public func bind(pod name: String, namespace: String, node: String) async throws {
        var call = Request(verb: "create", version: "v1", resource: "pods", subresource: "binding",
                           namespace: namespace, name: name)
        let binding = Binding(metadata: ObjectMeta(name: name, namespace: namespace),
                              target: ObjectReference(kind: "Node", name: node))
        call.body = try binding.serializedBytes()
        call.bodyType = Binding.protoName
        _ = try await send(call)
    }

    /// A signed token of a ServiceAccount (the serviceaccounts/NAME/token subresource).
    public func createToken(serviceAccount name: String, namespace: String,
                            _ spec: TokenRequestSpec = TokenRequestSpec()) async throws -> TokenRequest {
        var call = Request(verb: "create", version: "v1", resource: "serviceaccounts", subresource: "token",
                           namespace: namespace, name: name)
        call.body = try TokenRequest(metadata: ObjectMeta(name: name, namespace: namespace), spec: spec).serializedBytes()
        call.bodyType = TokenRequest.protoName
        return try decodeObject(try await send(call))
    }

    /// Whether `user` (nil: the caller itself) may do what `attributes` say: a
    /// SubjectAccessReview, or a SelfSubjectAccessReview for the caller.
    public func reviewAccess(_ attributes: ResourceAttributes, user: String? = nil,
                             groups: [String] = []) async throws -> SubjectAccessReviewStatus {
        var call = Request(verb: "create", group: "authorization.k8s.io", version: "v1")
        if let user {
            call.resource = "subjectaccessreviews"
            call.body = try SubjectAccessReview(spec: SubjectAccessReviewSpec(resourceAttributes: attributes, user: user,
                                                                              groups: groups)).serializedBytes()
            call.bodyType = SubjectAccessReview.protoName
            return try SubjectAccessReview(serializedBytes: try await send(call).object ?? []).status ?? SubjectAccessReviewStatus()
        }
        call.resource = "selfsubjectaccessreviews"
        call.body = try SelfSubjectAccessReview(spec: SelfSubjectAccessReviewSpec(resourceAttributes: attributes)).serializedBytes()
        call.bodyType = SelfSubjectAccessReview.protoName
        return try SelfSubjectAccessReview(serializedBytes: try await send(call).object ?? []).status ?? SubjectAccessReviewStatus()
    }

    // MARK: watch

    /// Changes after `resourceVersion` ("" or "0": from now), in order, until the consumer stops
    /// iterating; finishes with APIError `.expired` (410) when that version is too old.
    /// `known`: keys (ObjectKey text) the caller already holds as matching the selectors; nil
    /// reports every change that does not match as a delete (for callers with their own cache).
    public func watch<O: APIObject>(_ type: O.Type, namespace: String? = nil, labelSelector: String? = nil,
                                    fieldSelector: String? = nil, after resourceVersion: String,
                                    known: Set<String>? = []) -> AsyncThrowingStream<WatchChange<O>, any Error> {
        WatchSession<O>.stream(client: self, namespace: namespace, labelSelector: labelSelector,
                               fieldSelector: fieldSelector, after: resourceVersion, known: known)
    }

    /// A ListerWatcher for informers.
    public func listerWatcher<O: APIObject>(_ type: O.Type, namespace: String? = nil, labelSelector: String? = nil,
                                            fieldSelector: String? = nil) -> APIListerWatcher<O> {
        APIListerWatcher(client: self, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector)
    }

    // MARK: building requests

    static func resource<O: APIObject>(_ type: O.Type) throws(APIError) -> ResourceInfo {
        guard let info = ResourceCatalog.resource(for: type) else {
            throw APIError.badRequest("\(O.kind) is not a resource the apiserver serves")
        }
        return info
    }

    func request<O: APIObject>(_ verb: String, _ type: O.Type, namespace: String?, name: String? = nil) throws -> Request {
        let info = try Self.resource(type)
        return Request(verb: verb, group: info.group, version: info.version, resource: info.plural,
                       namespace: info.namespaced ? namespace : nil, name: name)
    }

    private func write<O: APIObject>(_ object: O, subresource: String?) async throws -> O {
        var call = try request("update", O.self, namespace: object.metadata?.namespace, name: object.metadata?.name ?? "")
        call.subresource = subresource
        try attach(object, to: &call)
        return try decodeObject(try await send(call))
    }

    private func attach<O: APIObject>(_ object: O, to call: inout Request) throws {
        call.body = try object.serializedBytes()
        call.bodyType = O.protoName
    }

    private func decodeObject<O: WireMessage>(_ reply: Response) throws -> O {
        guard let bytes = reply.object else {
            throw APIError.internalError("the apiserver answered without an object")
        }
        if let type = reply.objectType, type != O.protoName {
            throw APIError.internalError("the apiserver answered with a \(type), expected \(O.protoName)")
        }
        return try O(serializedBytes: bytes)
    }
}
