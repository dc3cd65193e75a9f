/// FakeResourceClient: an in-memory apiserver for skiffctl's tests. It keeps objects by
/// resource, namespace and name, numbers writes with a resourceVersion, answers with the
/// apiserver's errors (NotFound, AlreadyExists, Conflict), applies merge patches (no write,
/// no new resourceVersion, when nothing changes), filters lists by label and field selectors,
/// and feeds watches. Every call is recorded as a line ("create deployments.apps default/web")
/// so tests can assert what was, and was not, sent.
///
/// Concurrency: all state behind one Mutex; watch continuations are called outside it.
import Foundation
import SkiffAPI
import SkiffCtl
import SkiffWire
import Synchronization

final class FakeResourceClient: ResourceClient {
    struct Watcher {
        var resource: GroupResource
        var namespace: String?
        var fields: FieldSelector
        var continuation: AsyncThrowingStream<ObjectChange, any Error>.Continuation
    }

    struct State {
        var objects: [String: any APIObject] = [:]
        var resourceVersion = 100
        var uidCounter = 0
        var calls: [String] = []
        var watchers: [UUID: Watcher] = [:]
        var scales: [String: Int32] = [:]
        /// What access reviews answer yes to: "USER VERB GROUP/RESOURCE[/SUB] NAMESPACE" ("" user: the caller).
        var allowed: Set<String> = []
        /// Updates that find the object written by someone else just before (a controller's status).
        var concurrentWrites = 0
    }

    private let state = Mutex(State())
    /// Stamped as creationTimestamp on created objects.
    let createdAt: Time

    init(createdAt: Time = Time(seconds: 1_700_000_000)) {
        self.createdAt = createdAt
    }

    var calls: [String] { state.withLock { $0.calls } }

    /// The next `count` updates each find the object rewritten by another client in between.
    func writeConcurrently(beforeUpdates count: Int) { state.withLock { $0.concurrentWrites = count } }
    /// The calls that change something (no get, list or watch).
    var writes: [String] { calls.filter { !$0.hasPrefix("get ") && !$0.hasPrefix("list ") && !$0.hasPrefix("watch ") } }
    var watcherCount: Int { state.withLock { $0.watchers.count } }

    private static func key(_ resource: ResourceInfo, _ namespace: String?, _ name: String) -> String {
        "\(resource.groupResource)/\(namespace ?? "")/\(name)"
    }

    private static func describe(_ resource: ResourceInfo, _ namespace: String?, _ name: String) -> String {
        "\(resource.groupResource) \(namespace ?? "")/\(name)"
    }

    func stored(_ resource: ResourceInfo, _ name: String, namespace: String? = "default") -> (any APIObject)? {
        let namespace = resource.namespaced ? namespace : nil
        return state.withLock { $0.objects[Self.key(resource, namespace, name)] }
    }

    /// Puts an object in place without recording a call (test setup), stamping metadata as a create would.
    @discardableResult
    func seed(_ object: any APIObject) -> any APIObject {
        let resource = ResourceCatalog.resource(for: type(of: object))!
        return state.withLock { state in
            let stamped = stamp(object, resource: resource, namespace: object.metadata?.namespace, state: &state)
            state.objects[Self.key(resource, stamped.metadata?.namespace, stamped.metadata?.name ?? "")] = stamped
            return stamped
        }
    }

    private func stamp(_ object: any APIObject, resource: ResourceInfo, namespace: String?,
                       state: inout State) -> any APIObject {
        var object = object
        var meta = object.metadata ?? ObjectMeta()
        state.resourceVersion += 1
        state.uidCounter += 1
        meta.namespace = resource.namespaced ? (namespace ?? "default") : nil
        meta.uid = meta.uid ?? "uid-\(state.uidCounter)"
        meta.resourceVersion = "\(state.resourceVersion)"
        meta.creationTimestamp = meta.creationTimestamp ?? createdAt
        if meta.name == nil, let prefix = meta.generateName { meta.name = prefix + "x\(state.uidCounter)" }
        object.metadata = meta
        return object
    }

    /// Changes an object as a controller would (a status update), notifying watchers.
    func modify(_ resource: ResourceInfo, _ name: String, namespace: String? = "default",
                _ change: (inout any APIObject) -> Void) {
        let namespace = resource.namespaced ? namespace : nil
        let notify: (ObjectChange, [Watcher])? = state.withLock { state in
            let key = Self.key(resource, namespace, name)
            guard var object = state.objects[key] else { return nil }
            change(&object)
            state.resourceVersion += 1
            object.metadata?.resourceVersion = "\(state.resourceVersion)"
            state.objects[key] = object
            return (ObjectChange(.modified, object), Array(state.watchers.values))
        }
        if let (change, watchers) = notify { deliver(change, resource: resource, to: watchers) }
    }

    /// Removes an object whose deletion was held by finalizers, as the last finalizer would.
    func finishDeletion(_ resource: ResourceInfo, _ name: String, namespace: String? = "default") {
        let namespace = resource.namespaced ? namespace : nil
        let notify: (ObjectChange, [Watcher])? = state.withLock { state in
            guard let object = state.objects.removeValue(forKey: Self.key(resource, namespace, name)) else { return nil }
            return (ObjectChange(.deleted, object), Array(state.watchers.values))
        }
        if let (change, watchers) = notify { deliver(change, resource: resource, to: watchers) }
    }

    private func deliver(_ change: ObjectChange, resource: ResourceInfo, to watchers: [Watcher]) {
        for watcher in watchers where watcher.resource == resource.groupResource {
            if let namespace = watcher.namespace, namespace != change.object.metadata?.namespace { continue }
            if !watcher.fields.matches(change.object) { continue }
            watcher.continuation.yield(change)
        }
    }

    private func record(_ line: String) {
        state.withLock { $0.calls.append(line) }
    }

    // MARK: ResourceClient

    func get(_ resource: ResourceInfo, name: String, namespace: String?) async throws -> any APIObject {
        let namespace = resource.namespaced ? namespace : nil
        record("get \(Self.describe(resource, namespace, name))")
        guard let object = state.withLock({ $0.objects[Self.key(resource, namespace, name)] }) else {
            throw APIError.notFound(resource.groupResource, name)
        }
        return object
    }

    func list(_ resource: ResourceInfo, namespace: String?, labelSelector: String?,
              fieldSelector: String?) async throws -> ObjectListing {
        var line = "list \(resource.groupResource) \(namespace ?? "*")"
        if let labelSelector { line += " -l \(labelSelector)" }
        if let fieldSelector { line += " --field-selector \(fieldSelector)" }
        record(line)
        let labels = try LabelQuery.parse(labelSelector ?? "")
        let fields = try FieldSelector.parse(fieldSelector ?? "")
        return state.withLock { state in
            let prefix = "\(resource.groupResource)/"
            let items = state.objects.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }.map(\.value)
                .filter { namespace == nil || $0.metadata?.namespace == namespace }
                .filter { labels.matches($0.metadata?.labels ?? [:]) && fields.matches($0) }
            return ObjectListing(items: items, resourceVersion: "\(state.resourceVersion)")
        }
    }

    func create(_ resource: ResourceInfo, _ object: any APIObject, namespace: String?) async throws -> any APIObject {
        let namespace = resource.namespaced ? (namespace ?? object.metadata?.namespace) : nil
        let name = object.metadata?.name ?? ""
        record("create \(Self.describe(resource, namespace, name))")
        let result: Result<(any APIObject, [Watcher]), APIError> = state.withLock { state in
            var object = object
            object.metadata?.resourceVersion = nil
            object = stamp(object, resource: resource, namespace: namespace, state: &state)
            let key = Self.key(resource, namespace, object.metadata?.name ?? "")
            if state.objects[key] != nil { return .failure(.alreadyExists(resource.groupResource, name)) }
            state.objects[key] = object
            return .success((object, Array(state.watchers.values)))
        }
        let (created, watchers) = try result.get()
        deliver(ObjectChange(.added, created), resource: resource, to: watchers)
        return created
    }

    func update(_ resource: ResourceInfo, _ object: any APIObject) async throws -> any APIObject {
        let namespace = resource.namespaced ? object.metadata?.namespace : nil
        let name = object.metadata?.name ?? ""
        record("update \(Self.describe(resource, namespace, name))")
        let result: Result<(any APIObject, [Watcher]), APIError> = state.withLock { state in
            let key = Self.key(resource, namespace, name)
            guard var current = state.objects[key] else { return .failure(.notFound(resource.groupResource, name)) }
            if state.concurrentWrites > 0 {
                state.concurrentWrites -= 1
                state.resourceVersion += 1
                current.metadata?.resourceVersion = "\(state.resourceVersion)"
                state.objects[key] = current
            }
            if let wanted = object.metadata?.resourceVersion, !wanted.isEmpty, wanted != current.metadata?.resourceVersion {
                return .failure(.conflict(resource.groupResource, name))
            }
            var updated = object
            var meta = updated.metadata ?? ObjectMeta()
            meta.uid = current.metadata?.uid
            meta.creationTimestamp = current.metadata?.creationTimestamp
            state.resourceVersion += 1
            meta.resourceVersion = "\(state.resourceVersion)"
            updated.metadata = meta
            state.objects[key] = updated
            return .success((updated, Array(state.watchers.values)))
        }
        let (updated, watchers) = try result.get()
        deliver(ObjectChange(.modified, updated), resource: resource, to: watchers)
        return updated
    }

    func patch(_ resource: ResourceInfo, name: String, namespace: String?, mergePatch: [UInt8]) async throws -> any APIObject {
        let namespace = resource.namespaced ? namespace : nil
        record("patch \(Self.describe(resource, namespace, name)) \(String(decoding: mergePatch, as: UTF8.self))")
        let key = Self.key(resource, namespace, name)
        guard let current = state.withLock({ $0.objects[key] }) else { throw APIError.notFound(resource.groupResource, name) }
        let patch = try JSONValue(parsing: Data(mergePatch))
        let before = try JSONValue(encoding: current)
        let after = MergePatch.merge(patch, into: before)
        if after == before { return current }
        var patched = try decode(resource.objectType, after)
        let watchers: [Watcher] = state.withLock { state in
            state.resourceVersion += 1
            patched.metadata?.resourceVersion = "\(state.resourceVersion)"
            state.objects[key] = patched
            return Array(state.watchers.values)
        }
        deliver(ObjectChange(.modified, patched), resource: resource, to: watchers)
        return patched
    }

    private func decode<O: APIObject>(_ type: O.Type, _ json: JSONValue) throws -> any APIObject {
        try JSONDecoder().decode(O.self, from: Data(try json.jsonBytes()))
    }

    /// Objects with finalizers stay, marked for deletion, until `finishDeletion`.
    func delete(_ resource: ResourceInfo, name: String, namespace: String?,
                options: DeleteOptions?) async throws -> any APIObject {
        let namespace = resource.namespaced ? namespace : nil
        var line = "delete \(Self.describe(resource, namespace, name))"
        if let grace = options?.gracePeriodSeconds { line += " grace=\(grace)" }
        record(line)
        let result: Result<(ObjectChange, [Watcher]), APIError> = state.withLock { state in
            let key = Self.key(resource, namespace, name)
            guard var object = state.objects[key] else { return .failure(.notFound(resource.groupResource, name)) }
            if object.metadata?.finalizers.isEmpty == false {
                state.resourceVersion += 1
                object.metadata?.deletionTimestamp = createdAt
                object.metadata?.resourceVersion = "\(state.resourceVersion)"
                state.objects[key] = object
                return .success((ObjectChange(.modified, object), Array(state.watchers.values)))
            }
            state.objects[key] = nil
            return .success((ObjectChange(.deleted, object), Array(state.watchers.values)))
        }
        let (change, watchers) = try result.get()
        deliver(change, resource: resource, to: watchers)
        return change.object
    }

    func watch(_ resource: ResourceInfo, namespace: String?, labelSelector: String?, fieldSelector: String?,
               after resourceVersion: String) -> AsyncThrowingStream<ObjectChange, any Error> {
        var line = "watch \(resource.groupResource) \(namespace ?? "*")"
        if let fieldSelector { line += " --field-selector \(fieldSelector)" }
        record(line)
        let (stream, continuation) = AsyncThrowingStream<ObjectChange, any Error>.makeStream()
        let id = UUID()
        let fields = (try? FieldSelector.parse(fieldSelector ?? "")) ?? .everything
        state.withLock {
            $0.watchers[id] = Watcher(resource: resource.groupResource, namespace: namespace, fields: fields,
                                      continuation: continuation)
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }

    func getScale(_ resource: ResourceInfo, name: String, namespace: String) async throws -> Scale {
        record("get \(Self.describe(resource, namespace, name))/scale")
        guard let object = state.withLock({ $0.objects[Self.key(resource, namespace, name)] }) else {
            throw APIError.notFound(resource.groupResource, name)
        }
        let replicas = (object as? Deployment)?.spec?.replicas ?? (object as? ReplicaSet)?.spec?.replicas ?? 0
        return Scale(metadata: ObjectMeta(name: name, namespace: namespace), spec: ScaleSpec(replicas: replicas))
    }

    func updateScale(_ resource: ResourceInfo, name: String, namespace: String, replicas: Int32) async throws -> Scale {
        record("update \(Self.describe(resource, namespace, name))/scale replicas=\(replicas)")
        guard stored(resource, name, namespace: namespace) != nil else { throw APIError.notFound(resource.groupResource, name) }
        modify(resource, name, namespace: namespace) { object in
            if var deployment = object as? Deployment {
                deployment.spec?.replicas = replicas
                object = deployment
            }
        }
        return Scale(metadata: ObjectMeta(name: name, namespace: namespace), spec: ScaleSpec(replicas: replicas))
    }

    /// Lets access reviews answer yes for `user` ("" for the caller) doing `verb` on `resource`.
    func allow(_ user: String, _ verb: String, _ resource: String, namespace: String) {
        state.withLock { _ = $0.allowed.insert("\(user) \(verb) \(resource) \(namespace)") }
    }

    func reviewAccess(_ attributes: ResourceAttributes, user: String?, groups: [String]) async throws -> SubjectAccessReviewStatus {
        var resource = "\(attributes.group ?? "")/\(attributes.resource ?? "")"
        if let sub = attributes.subresource { resource += "/\(sub)" }
        let asked = "\(user ?? "") \(attributes.verb ?? "") \(resource) \(attributes.namespace ?? "")"
        record("review \(asked)")
        return SubjectAccessReviewStatus(allowed: state.withLock { $0.allowed.contains(asked) })
    }
}
