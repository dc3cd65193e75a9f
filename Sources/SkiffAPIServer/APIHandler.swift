/// APIHandler: one API request in, one Response out. It resolves the resource, authenticates
/// and authorizes (the single step every request passes), admits writes into live namespaces,
/// and runs the verb through the registry; every failure becomes a Kubernetes Status.
///
/// Concurrency: a Sendable value; requests run concurrently and meet only in the store.
/// Must never: throw past `handle` (errors are Responses), or write on a failed check.
import Foundation
import SkiffAPI
import SkiffBus
import SkiffValidation
import SkiffWire

struct APIHandler: Sendable {
    let registry: ObjectRegistry
    let access: AccessControl
    let watches: WatchBacklog
    let allocator: ServiceAllocator
    /// Signs ServiceAccount tokens (serviceaccounts/NAME/token); nil: the subresource answers 503.
    let serviceAccountTokens: ServiceAccountTokens?

    func handle(_ request: Request, token: String?) async -> Response {
        do {
            return await handle(request, as: try await access.authenticate(token: token))
        } catch {
            return Response(code: error.code, status: error.status)
        }
    }

    /// A request of an authenticated user (or of the apiserver itself, which has no token).
    func handle(_ request: Request, as user: UserInfo) async -> Response {
        do {
            if AccessReviews.handles(request) { return try await reviewAccess(request, user: user) }
            let scope = try RequestScope(request)
            try await access.authorize(user, scope, createdName: Self.createdName(request, scope, user))
            return try await dispatch(request, scope, user: user)
        } catch let error as APIError {
            return Response(code: error.code, status: error.status)
        } catch {
            return Response(code: 500, status: APIError.internalError("\(error)").status)
        }
    }

    /// The name a node's create of a Node or Lease gives in its body (other creates need none).
    private static func createdName(_ request: Request, _ scope: RequestScope, _ user: UserInfo) -> String? {
        guard scope.verb == "create", scope.subresource.isEmpty, NodeAuthorizer.nodeName(of: user) != nil,
              ["nodes", "leases"].contains(scope.resource.plural) else { return nil }
        return (try? scope.decodeBody(request))?.metadata?.name
    }

    private func dispatch(_ request: Request, _ scope: RequestScope, user: UserInfo) async throws -> Response {
        switch (scope.verb, scope.subresource) {
        case ("get", ""), ("get", "status"):
            return try objectResponse(try await registry.readExisting(scope.key).object)
        case ("get", "scale"):
            let object = try await registry.readExisting(scope.key).object
            guard let scale = KindRules.scale(of: object) else { throw scope.notAllowed() }
            return try objectResponse(scale)
        case ("list", ""):
            return try await list(request, scope)
        case ("watch", ""):
            return try await watches.backlog(request, scope)
        case ("create", ""):
            return try await create(request, scope, user: user)
        case ("create", "token"):
            return try await issueToken(request, scope, user: user)
        case ("create", "binding"), ("update", "binding"):
            return try await bind(request, scope)
        case ("update", ""), ("update", "status"):
            return try await update(request, scope, user: user)
        case ("update", "scale"):
            return try await updateScale(request, scope)
        case ("update", "finalize"):
            return try await finalize(request, scope)
        case ("patch", ""), ("patch", "status"):
            return try await patch(request, scope, user: user)
        case ("delete", ""):
            return try await delete(scope, request.deleteOptions, dryRun: !(request.dryRun ?? []).isEmpty)
        case ("deletecollection", ""):
            return try await deleteCollection(request, scope)
        default:
            throw scope.notAllowed()
        }
    }

    // MARK: reads

    private func list(_ request: Request, _ scope: RequestScope) async throws -> Response {
        let filter = try ListFilter(labelSelector: request.labelSelector, fieldSelector: request.fieldSelector,
                                    resource: scope.resource)
        let page = try await registry.list(scope.resource, namespace: scope.namespace, filter: filter,
                                           limit: Int(request.limit ?? 0), continueToken: request.continue,
                                           resourceVersion: request.resourceVersion)
        return Response(code: 200, items: page.items, itemType: scope.resource.objectType.protoName,
                        listMeta: ListMeta(resourceVersion: String(page.revision), continue: page.continueToken))
    }

    // MARK: create

    private func create(_ request: Request, _ scope: RequestScope, user: UserInfo) async throws -> Response {
        var object = try scope.decodeBody(request)
        try access.admitNodeCreate(object, by: user)
        var meta = object.metadata ?? ObjectMeta()
        try scope.checkNamespace(of: meta)
        if scope.resource.namespaced { meta.namespace = scope.namespace } else { meta.namespace = nil }
        if (meta.name ?? "").isEmpty, let prefix = meta.generateName, !prefix.isEmpty {
            meta.name = NameGenerator.generate(prefix: prefix)
        }
        if let rv = meta.resourceVersion, !rv.isEmpty {
            throw APIError.badRequest("resourceVersion should not be set on objects to be created")
        }
        meta.uid = UUID().uuidString.lowercased()
        meta.creationTimestamp = registry.now()
        meta.generation = 1
        meta.resourceVersion = nil
        meta.deletionTimestamp = nil
        meta.deletionGracePeriodSeconds = nil
        meta.managedFields = []
        object.metadata = meta
        KindRules.prepareForCreate(&object)
        object = Defaulting.defaulted(object)
        if let pod = object as? Pod {
            object = try await ServiceAccountAdmission.admit(pod, namespace: scope.namespace, registry: registry)
        }
        try scope.validate(Validation.validateCreate(object), object)
        try await access.checkNoEscalation(object, scope, by: user)
        try await access.admitWrite(scope, name: meta.name ?? "", registry: registry)
        let key = StorageKey(resource: scope.resource, namespace: scope.namespace, name: meta.name ?? "")
        let dryRun = !(request.dryRun ?? []).isEmpty
        guard let service = object as? Service else {
            let created = try await registry.create(key, object, dryRun: dryRun)
            if !dryRun, created is Namespace { try await ServiceAccountAdmission.ensureDefaultAccount(in: key.name, registry: registry) }
            return try objectResponse(created, code: 201)
        }
        // A Service's address and node ports are claimed with it; a lost claim allocates again.
        for _ in 0..<8 {
            var allocated = service
            let claims = try await allocator.allocate(&allocated, previous: nil)
            do {
                return try objectResponse(try await registry.create(key, allocated, dryRun: dryRun, claims: claims), code: 201)
            } catch is ObjectRegistry.ClaimLost {
                continue
            }
        }
        throw APIError.conflict(scope.resource.groupResource, key.name, "too many concurrent allocations; try again")
    }

    // MARK: update and patch

    private func update(_ request: Request, _ scope: RequestScope, user: UserInfo) async throws -> Response {
        let incoming = try scope.decodeBody(request)
        try scope.checkNamespace(of: incoming.metadata ?? ObjectMeta())
        if let name = incoming.metadata?.name, !name.isEmpty, name != scope.name {
            throw APIError.badRequest("the name of the object (\(name)) does not match the name on the URL (\(scope.name))")
        }
        let pinned = incoming.metadata?.resourceVersion.flatMap { Int64($0) }
        if let rv = incoming.metadata?.resourceVersion, !rv.isEmpty, pinned == nil {
            throw APIError.badRequest("invalid resourceVersion \"\(rv)\" on \(scope.resource.kind) \"\(scope.name)\"")
        }
        return try await write(scope, pinnedRevision: pinned, dryRun: !(request.dryRun ?? []).isEmpty, user: user) { current in
            // A uid in the body is a precondition: the caller means that object, not a namesake.
            if let uid = incoming.metadata?.uid, !uid.isEmpty, uid != current.object.metadata?.uid {
                throw APIError.conflict(scope.resource.groupResource, scope.name,
                                        "Precondition failed: UID in precondition: \(uid), UID in object meta: \(current.object.metadata?.uid ?? "")")
            }
            return incoming
        }
    }

    private func patch(_ request: Request, _ scope: RequestScope, user: UserInfo) async throws -> Response {
        let kind = request.patchType ?? "application/merge-patch+json"
        guard kind == "application/merge-patch+json" else {
            throw APIError(code: 415, reason: .unknown,
                           message: "the patch type \(kind) is not supported; use application/merge-patch+json")
        }
        let document = request.patch ?? []
        return try await write(scope, pinnedRevision: nil, dryRun: !(request.dryRun ?? []).isEmpty, user: user) { current in
            do {
                var patched = try MergePatch.apply(Data(document), to: current.object)
                // A patch that names a resourceVersion is a precondition on it, as in Kubernetes.
                if let rv = patched.metadata?.resourceVersion, rv != String(current.modRevision) {
                    throw APIError.conflict(scope.resource.groupResource, scope.name)
                }
                patched.metadata?.resourceVersion = nil
                return patched
            } catch let error as APIError {
                throw error
            } catch {
                throw APIError.badRequest("\(scope.resource.kind) \"\(scope.name)\": \(error)")
            }
        }
    }

    /// The shared write path of update, patch and status: merge the caller's object with what
    /// the caller may not change, default, validate, bump generation, and compare-and-swap.
    private func write(_ scope: RequestScope, pinnedRevision: Int64?, dryRun: Bool, user: UserInfo,
                       _ proposed: @escaping (ObjectRegistry.Stored) async throws -> any APIObject) async throws -> Response {
        let statusOnly = scope.subresource == "status"
        let (object, _) = try await registry.guaranteedUpdate(scope.key, pinnedRevision: pinnedRevision, dryRun: dryRun,
                                                              claiming: { current in
            let incoming = try await proposed(current)
            var merged = try ObjectMerge.merge(incoming: incoming, current: current, statusOnly: statusOnly,
                                               hasStatus: scope.resource.hasStatus, registry: registry)
            if !statusOnly, var service = merged as? Service, var spec = service.spec {
                ServiceAllocation.dropTypeDependentFields(&spec, old: (current.object as? Service)?.spec)
                service.spec = spec
                merged = service
            }
            merged = Defaulting.defaulted(merged)
            try scope.validate(statusOnly ? Validation.validateStatusUpdate(merged, old: current.object)
                                          : Validation.validateUpdate(merged, old: current.object), merged)
            try await access.checkNoEscalation(merged, scope, by: user, replacing: current.object)
            if ObjectMerge.specChanged(merged, from: current.bytes, hasStatus: scope.resource.hasStatus,
                                      registry: registry) {
                merged.metadata?.generation = (current.object.metadata?.generation ?? 0) + 1
            }
            guard !statusOnly, var service = merged as? Service else { return (merged, []) }
            let claims = try await allocator.allocate(&service, previous: current.object as? Service)
            return (service, claims)
        })
        return try objectResponse(object)
    }

    private func updateScale(_ request: Request, _ scope: RequestScope) async throws -> Response {
        guard request.bodyType == Scale.protoName, let body = request.body,
              let scale = try? Scale(serializedBytes: body) else {
            throw APIError.badRequest("scale: the body must be a \(Scale.protoName)")
        }
        let replicas = scale.spec?.replicas ?? 0
        if replicas < 0 {
            throw APIError.invalid(kind: "Scale", group: "autoscaling", name: scope.name,
                                   [.invalid("spec.replicas", String(replicas), "must be greater than or equal to 0")])
        }
        let pinned = scale.metadata?.resourceVersion.flatMap { Int64($0) }
        let (object, _) = try await registry.guaranteedUpdate(scope.key, pinnedRevision: pinned) { current in
            guard var scaled = KindRules.settingReplicas(replicas, on: current.object) else { throw scope.notAllowed() }
            if ObjectMerge.specChanged(scaled, from: current.bytes, hasStatus: true, registry: registry) {
                scaled.metadata?.generation = (current.object.metadata?.generation ?? 0) + 1
            }
            return scaled
        }
        guard let result = KindRules.scale(of: object) else { throw scope.notAllowed() }
        return try objectResponse(result)
    }

    /// PUT namespaces/NAME/finalize: the only write that changes a namespace's spec.finalizers
    /// (the namespace controller removes "kubernetes" once the namespace is empty); a namespace
    /// being deleted goes when its last finalizer does.
    private func finalize(_ request: Request, _ scope: RequestScope) async throws -> Response {
        guard let incoming = try scope.decodeBody(request) as? Namespace else { throw scope.notAllowed() }
        let pinned = incoming.metadata?.resourceVersion.flatMap { Int64($0) }
        let finalizers = incoming.spec?.finalizers ?? []
        let (object, _) = try await registry.guaranteedUpdate(scope.key, pinnedRevision: pinned) { current in
            guard var namespace = current.object as? Namespace else { throw scope.notAllowed() }
            namespace.spec = namespace.spec ?? NamespaceSpec()
            namespace.spec!.finalizers = finalizers
            namespace.metadata?.resourceVersion = nil
            return namespace
        }
        return try objectResponse(object)
    }

    private func bind(_ request: Request, _ scope: RequestScope) async throws -> Response {
        guard request.bodyType == Binding.protoName, let body = request.body,
              let binding = try? Binding(serializedBytes: body) else {
            throw APIError.badRequest("binding: the body must be a \(Binding.protoName)")
        }
        let now = registry.now()
        _ = try await registry.guaranteedUpdate(scope.key) { current in
            guard let pod = current.object as? Pod else { throw scope.notAllowed() }
            return try KindRules.bind(pod, to: binding, now: now)
        }
        return Response(code: 201, status: Status(status: "Success", code: 201))
    }

    // MARK: delete

    private func delete(_ scope: RequestScope, _ options: DeleteOptions?, dryRun: Bool) async throws -> Response {
        for _ in 0..<16 {
            let current = try await registry.readExisting(scope.key)
            let meta = current.object.metadata ?? ObjectMeta()
            if let uid = options?.preconditions?.uid, uid != meta.uid {
                throw APIError.conflict(scope.resource.groupResource, scope.name,
                                        "Precondition failed: UID in precondition: \(uid), UID in object meta: \(meta.uid ?? "")")
            }
            if let rv = options?.preconditions?.resourceVersion, rv != String(current.modRevision) {
                throw APIError.conflict(scope.resource.groupResource, scope.name,
                                        "Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object meta: \(current.modRevision)")
            }
            if scope.resource.plural == "namespaces", AccessControl.systemNamespaces.contains(scope.name) {
                throw APIError.forbidden(scope.resource.groupResource, scope.name, "this namespace may not be deleted")
            }
            let plan = DeletionPlan(object: current.object, options: options, now: registry.now())
            if dryRun { return try objectResponse(current.object) }
            switch plan.action {
            case .removeNow:
                if try await registry.remove(scope.key, at: current.modRevision) {
                    return try objectResponse(current.object, removed: true)
                }
            case .mark(let marked):
                do {
                    let (object, _) = try await registry.guaranteedUpdate(scope.key, pinnedRevision: current.modRevision) { _ in marked }
                    return try objectResponse(object)
                } catch let error as APIError where error.reason == .conflict && options?.preconditions == nil {
                    continue  // another writer got there first: re-read and plan again
                }
            }
        }
        throw APIError.conflict(scope.resource.groupResource, scope.name, "too many concurrent writers; try again")
    }

    private func deleteCollection(_ request: Request, _ scope: RequestScope) async throws -> Response {
        let filter = try ListFilter(labelSelector: request.labelSelector, fieldSelector: request.fieldSelector,
                                    resource: scope.resource)
        let page = try await registry.list(scope.resource, namespace: scope.namespace, filter: filter,
                                           limit: 0, continueToken: nil, resourceVersion: nil)
        var deleted: [[UInt8]] = []
        for bytes in page.items {
            let object = try registry.decode(scope.resource, bytes)
            var one = scope
            one.name = object.metadata?.name ?? ""
            one.namespace = object.metadata?.namespace ?? ""
            do {
                let reply = try await delete(one, request.deleteOptions, dryRun: !(request.dryRun ?? []).isEmpty)
                if let object = reply.object { deleted.append(object) }
            } catch let error as APIError where error.reason == .notFound || error.reason == .forbidden {
                continue  // gone already, or a system namespace that stays
            }
        }
        return Response(code: 200, items: deleted, itemType: scope.resource.objectType.protoName,
                        listMeta: ListMeta(resourceVersion: String(page.revision)))
    }

    // MARK: replies

    private func objectResponse(_ object: any APIObject, code: Int32 = 200, removed: Bool = false) throws -> Response {
        // This apiserver's own namespace writes reach admission at once, not via the fanout
        // (a removal's revision is not known here: the fanout records that one).
        if !removed, let namespace = object as? Namespace, let name = namespace.metadata?.name,
           let revision = Int64(namespace.metadata?.resourceVersion ?? "") {
            access.namespaces.record(name, NamespaceCache.state(of: namespace), at: revision)
        }
        // Likewise RBAC: a binding takes effect for this apiserver's very next request.
        if !removed, let info = ResourceCatalog.resource(for: type(of: object)), PolicyCache.covers(info),
           let revision = Int64(object.metadata?.resourceVersion ?? "") {
            access.policy.observe(StorageKey(resource: info, namespace: object.metadata?.namespace ?? "",
                                             name: object.metadata?.name ?? ""), object, at: revision)
        }
        let bytes = try registry.encode(object, clearingResourceVersion: false)
        return Response(code: code, object: bytes, objectType: type(of: object).protoName)
    }
}

/// Random name suffixes for generateName, from Kubernetes' alphabet (no vowels, no look-alikes).
enum NameGenerator {
    static let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
    static func generate(prefix: String) -> String {
        let base = prefix.count > 58 ? String(prefix.prefix(58)) : prefix
        return base + String((0..<5).map { _ in alphabet.randomElement()! })
    }
}
