/// RequestScope: what a request addresses, checked before anything runs: the verb, the
/// resource (from the catalog), its namespace and name, and the subresource.
///
/// Concurrency: a plain value. Must never: let a namespaced write go without a namespace, or a
/// cluster-scoped one carry one.
import SkiffAPI
import SkiffWire

struct RequestScope: Sendable {
    static let verbs: Set<String> = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]

    var verb: String
    var resource: ResourceInfo
    var namespace: String
    var name: String
    var subresource: String

    init(_ request: Request) throws(APIError) {
        verb = request.verb ?? ""
        guard Self.verbs.contains(verb) else {
            throw APIError.methodNotAllowed("verb \"\(verb)\" is not supported; use one of "
                                            + Self.verbs.sorted().joined(separator: ", "))
        }
        let group = request.group ?? ""
        let plural = request.resource ?? ""
        guard let info = ResourceCatalog.resource(group: group, plural: plural) else {
            let name = group.isEmpty ? plural : "\(plural).\(group)"
            throw APIError(code: 404, reason: .notFound, message: "the server could not find the requested resource \"\(name)\"")
        }
        if let version = request.version, !version.isEmpty, version != info.version {
            throw APIError(code: 404, reason: .notFound,
                           message: "the server could not find the requested resource: \(info.groupResource) has no version \(version)")
        }
        resource = info
        namespace = info.namespaced ? (request.namespace ?? "") : ""
        name = request.name ?? ""
        subresource = request.subresource ?? ""
        if !subresource.isEmpty, !info.subresources.contains(subresource) {
            throw APIError(code: 404, reason: .notFound,
                           message: "the server could not find the requested resource: \(info.groupResource)/\(subresource)")
        }
        let needsName = ["get", "update", "patch", "delete"].contains(verb) || (verb == "create" && !subresource.isEmpty)
        if needsName, name.isEmpty {
            throw APIError.badRequest("\(verb) \(info.groupResource): a resource name is required")
        }
        let needsNamespace = info.namespaced && (needsName || verb == "create")
        if needsNamespace, namespace.isEmpty {
            throw APIError.badRequest("\(verb) \(info.groupResource): a namespace is required")
        }
    }

    var key: StorageKey { StorageKey(resource: resource, namespace: namespace, name: name) }

    func notAllowed() -> APIError {
        let target = subresource.isEmpty ? "\(resource.groupResource)" : "\(resource.groupResource)/\(subresource)"
        return APIError.methodNotAllowed("the server does not allow this method on the requested resource: \(verb) \(target)")
    }

    /// The request body decoded as this resource's kind; a wrong type is a 400.
    func decodeBody(_ request: Request) throws(APIError) -> any APIObject {
        guard let body = request.body else { throw APIError.badRequest("\(verb) \(resource.groupResource): the request has no body") }
        let expected = resource.objectType.protoName
        if let type = request.bodyType, !type.isEmpty, type != expected {
            throw APIError.badRequest("\(resource.groupResource): the body is a \(type), expected \(expected)")
        }
        do {
            return try resource.objectType.init(serializedBytes: body)
        } catch {
            throw APIError.badRequest("\(resource.kind): the body does not decode: \(error)")
        }
    }

    /// The object's own namespace must agree with the request's, as Kubernetes insists.
    func checkNamespace(of meta: ObjectMeta) throws(APIError) {
        // A cluster-scoped object's namespace is ignored (cleared), as Kubernetes does.
        guard resource.namespaced, let own = meta.namespace, !own.isEmpty else { return }
        if own != namespace {
            throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
    }

    /// Throws 422 Invalid listing every problem, when there are any.
    func validate(_ errors: [FieldError], _ object: any APIObject) throws(APIError) {
        guard !errors.isEmpty else { return }
        let name = object.metadata?.name ?? object.metadata?.generateName ?? ""
        throw APIError.invalid(kind: resource.kind, group: resource.group, name: name, errors)
    }
}
