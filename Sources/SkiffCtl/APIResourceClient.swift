/// APIResourceClient: `ResourceClient` over the real `APIClient`. Each call opens the resource's
/// Swift type and makes the typed call, so objects cross the bus as their own protobuf type.
///
/// Concurrency: Sendable; calls run concurrently. Must never: swallow a watch's error (the
/// stream finishes with it).
import SkiffAPI
import SkiffClient
import SkiffWire

public struct APIResourceClient: ResourceClient {
    public let client: APIClient

    public init(_ client: APIClient) { self.client = client }

    public func get(_ resource: ResourceInfo, name: String, namespace: String?) async throws -> any APIObject {
        try await get(resource.objectType, name: name, namespace: namespace)
    }

    private func get<O: APIObject>(_ type: O.Type, name: String, namespace: String?) async throws -> any APIObject {
        try await client.get(O.self, name: name, namespace: namespace)
    }

    public func list(_ resource: ResourceInfo, namespace: String?, labelSelector: String?,
                     fieldSelector: String?) async throws -> ObjectListing {
        try await list(resource.objectType, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector)
    }

    /// Every page: skiffctl prints whole collections.
    private func list<O: APIObject>(_ type: O.Type, namespace: String?, labelSelector: String?,
                                    fieldSelector: String?) async throws -> ObjectListing {
        var items: [any APIObject] = []
        var token: String?
        while true {
            let page = try await client.list(O.self, namespace: namespace, labelSelector: labelSelector,
                                             fieldSelector: fieldSelector, continue: token)
            items += page.items.map { $0 as any APIObject }
            guard let next = page.continueToken else { return ObjectListing(items: items, resourceVersion: page.resourceVersion) }
            token = next
        }
    }

    public func create(_ resource: ResourceInfo, _ object: any APIObject, namespace: String?) async throws -> any APIObject {
        try await create(object, namespace: namespace)
    }

    private func create<O: APIObject>(_ object: O, namespace: String?) async throws -> any APIObject {
        try await client.create(object, namespace: namespace)
    }

    public func update(_ resource: ResourceInfo, _ object: any APIObject) async throws -> any APIObject {
        try await update(object)
    }

    private func update<O: APIObject>(_ object: O) async throws -> any APIObject {
        try await client.update(object)
    }

    public func patch(_ resource: ResourceInfo, name: String, namespace: String?, mergePatch: [UInt8]) async throws -> any APIObject {
        try await patch(resource.objectType, name: name, namespace: namespace, mergePatch: mergePatch)
    }

    private func patch<O: APIObject>(_ type: O.Type, name: String, namespace: String?,
                                     mergePatch: [UInt8]) async throws -> any APIObject {
        try await client.patch(O.self, name: name, namespace: namespace, mergePatch: mergePatch)
    }

    public func delete(_ resource: ResourceInfo, name: String, namespace: String?,
                       options: DeleteOptions?) async throws -> any APIObject {
        try await delete(resource.objectType, name: name, namespace: namespace, options: options)
    }

    private func delete<O: APIObject>(_ type: O.Type, name: String, namespace: String?,
                                      options: DeleteOptions?) async throws -> any APIObject {
        try await client.delete(O.self, name: name, namespace: namespace, options: options)
    }

    public func watch(_ resource: ResourceInfo, namespace: String?, labelSelector: String?, fieldSelector: String?,
                      after resourceVersion: String) -> AsyncThrowingStream<ObjectChange, any Error> {
        watch(resource.objectType, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector,
              after: resourceVersion)
    }

    private func watch<O: APIObject>(_ type: O.Type, namespace: String?, labelSelector: String?, fieldSelector: String?,
                                     after resourceVersion: String) -> AsyncThrowingStream<ObjectChange, any Error> {
        let changes = client.watch(O.self, namespace: namespace, labelSelector: labelSelector,
                                   fieldSelector: fieldSelector, after: resourceVersion)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await change in changes {
                        switch change {
                        case .added(let object): continuation.yield(ObjectChange(.added, object))
                        case .modified(let object): continuation.yield(ObjectChange(.modified, object))
                        case .deleted(let object): continuation.yield(ObjectChange(.deleted, object))
                        case .bookmark: break
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    public func getScale(_ resource: ResourceInfo, name: String, namespace: String) async throws -> Scale {
        try await client.getScale(resource, name: name, namespace: namespace)
    }

    public func updateScale(_ resource: ResourceInfo, name: String, namespace: String, replicas: Int32) async throws -> Scale {
        try await client.updateScale(resource, name: name, namespace: namespace, replicas: replicas)
    }

    public func reviewAccess(_ attributes: ResourceAttributes, user: String?,
                             groups: [String]) async throws -> SubjectAccessReviewStatus {
        try await client.reviewAccess(attributes, user: user, groups: groups)
    }
}
