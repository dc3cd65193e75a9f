/// ResourceClient: the API calls skiffctl makes, addressed by `ResourceInfo` and carrying
/// `any APIObject`, because a command learns its kind from the user's words at run time.
/// `APIClient` conforms (APIClient+ResourceClient.swift); tests use an in-memory fake that
/// records every call.
///
/// Concurrency: implementations are Sendable and may be called from any task. Must never:
/// retry a write on its own (the user decides), or hide an APIError's Status.
import SkiffAPI
import SkiffWire

public protocol ResourceClient: Sendable {
    func get(_ resource: ResourceInfo, name: String, namespace: String?) async throws -> any APIObject
    /// `namespace` nil: every namespace (or a cluster-scoped resource).
    func list(_ resource: ResourceInfo, namespace: String?, labelSelector: String?,
              fieldSelector: String?) async throws -> ObjectListing
    /// `namespace`: where a namespaced object goes; nil for cluster-scoped resources.
    func create(_ resource: ResourceInfo, _ object: any APIObject, namespace: String?) async throws -> any APIObject
    /// Guarded by the object's metadata.resourceVersion when set.
    func update(_ resource: ResourceInfo, _ object: any APIObject) async throws -> any APIObject
    /// A JSON merge patch (RFC 7386).
    func patch(_ resource: ResourceInfo, name: String, namespace: String?, mergePatch: [UInt8]) async throws -> any APIObject
    /// The object as deleted, or as it stands with deletionTimestamp set when deletion takes time.
    func delete(_ resource: ResourceInfo, name: String, namespace: String?,
                options: DeleteOptions?) async throws -> any APIObject
    /// Changes after `resourceVersion`, in order, until the consumer stops iterating.
    func watch(_ resource: ResourceInfo, namespace: String?, labelSelector: String?, fieldSelector: String?,
               after resourceVersion: String) -> AsyncThrowingStream<ObjectChange, any Error>
    func getScale(_ resource: ResourceInfo, name: String, namespace: String) async throws -> Scale
    func updateScale(_ resource: ResourceInfo, name: String, namespace: String, replicas: Int32) async throws -> Scale
    /// Whether `user` (nil: the caller) may do what `attributes` say: an access review.
    func reviewAccess(_ attributes: ResourceAttributes, user: String?, groups: [String]) async throws -> SubjectAccessReviewStatus
}

/// One page of a list call, type-erased.
public struct ObjectListing: Sendable {
    public var items: [any APIObject]
    /// Where a watch that follows this list starts.
    public var resourceVersion: String

    public init(items: [any APIObject], resourceVersion: String) {
        self.items = items
        self.resourceVersion = resourceVersion
    }
}

/// One change a watch reports.
public struct ObjectChange: Sendable {
    public enum Kind: String, Sendable { case added = "ADDED", modified = "MODIFIED", deleted = "DELETED" }
    public var kind: Kind
    /// The object after the change; its last state for `.deleted`.
    public var object: any APIObject

    public init(_ kind: Kind, _ object: any APIObject) {
        self.kind = kind
        self.object = object
    }
}
