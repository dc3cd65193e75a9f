/// APIError: a failed API call as Kubernetes reports it, a `Status` with code, reason and
/// message. The apiserver throws these and sends the Status; the client library rebuilds them
/// from the Response so callers switch on `reason` the way client-go's `errors.IsNotFound` does.
///
/// Concurrency: a plain Sendable value. Must never: reword a reason; clients match on it.
import SkiffWire

public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Status

    public init(status: Status) { self.status = status }

    public init(code: Int32, reason: Reason, message: String, details: StatusDetails? = nil) {
        status = Status(status: "Failure", message: message, reason: reason.rawValue, details: details, code: code)
    }

    /// Kubernetes' StatusReason values.
    public struct Reason: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let badRequest = Reason(rawValue: "BadRequest")
        public static let unauthorized = Reason(rawValue: "Unauthorized")
        public static let forbidden = Reason(rawValue: "Forbidden")
        public static let notFound = Reason(rawValue: "NotFound")
        public static let methodNotAllowed = Reason(rawValue: "MethodNotAllowed")
        public static let alreadyExists = Reason(rawValue: "AlreadyExists")
        public static let conflict = Reason(rawValue: "Conflict")
        public static let gone = Reason(rawValue: "Gone")
        /// 410 for a watch or list whose resourceVersion was compacted away.
        public static let expired = Reason(rawValue: "Expired")
        public static let invalid = Reason(rawValue: "Invalid")
        public static let timeout = Reason(rawValue: "Timeout")
        public static let tooManyRequests = Reason(rawValue: "TooManyRequests")
        public static let internalError = Reason(rawValue: "InternalError")
        public static let serviceUnavailable = Reason(rawValue: "ServiceUnavailable")
        public static let unknown = Reason(rawValue: "")
    }

    public var code: Int32 { status.code ?? 500 }
    public var reason: Reason { Reason(rawValue: status.reason ?? "") }
    public var message: String { status.message ?? "" }
    public var description: String { message.isEmpty ? "error \(code) \(reason.rawValue)" : message }

    // MARK: the errors, worded as Kubernetes words them

    /// 404: `pods "web" not found` (`deployments.apps "web" not found` outside the core group).
    public static func notFound(_ resource: GroupResource, _ name: String) -> APIError {
        APIError(code: 404, reason: .notFound, message: "\(resource) \"\(name)\" not found",
                 details: StatusDetails(name: name, group: resource.group, kind: resource.resource))
    }

    /// 409: `pods "web" already exists`.
    public static func alreadyExists(_ resource: GroupResource, _ name: String) -> APIError {
        APIError(code: 409, reason: .alreadyExists, message: "\(resource) \"\(name)\" already exists",
                 details: StatusDetails(name: name, group: resource.group, kind: resource.resource))
    }

    /// 409: the object changed since the caller read it (a stale resourceVersion or uid).
    public static func conflict(_ resource: GroupResource, _ name: String, _ why: String =
                                "the object has been modified; please apply your changes to the latest version and try again") -> APIError {
        APIError(code: 409, reason: .conflict,
                 message: "Operation cannot be fulfilled on \(resource) \"\(name)\": \(why)",
                 details: StatusDetails(name: name, group: resource.group, kind: resource.resource))
    }

    /// 422: `Pod "web" is invalid: spec.containers[0].image: Required value` (several errors in [...]).
    public static func invalid(kind: String, group: String, name: String, _ errors: [FieldError]) -> APIError {
        let list = errors.map(\.description)
        let body = list.count == 1 ? list[0] : "[" + list.joined(separator: ", ") + "]"
        let causes = errors.map { StatusCause(reason: $0.kind.rawValue, message: $0.description, field: $0.field) }
        return APIError(code: 422, reason: .invalid, message: "\(kind) \"\(name)\" is invalid: \(body)",
                        details: StatusDetails(name: name, group: group, kind: kind, causes: causes))
    }

    /// 410: the requested resourceVersion is older than the oldest the server still has.
    public static func expired(_ message: String) -> APIError {
        APIError(code: 410, reason: .expired, message: message)
    }

    /// 400: the request itself is malformed (bad selector, undecodable body, ...).
    public static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: .badRequest, message: message)
    }

    /// 405: the verb is not allowed on the resource or subresource.
    public static func methodNotAllowed(_ message: String) -> APIError {
        APIError(code: 405, reason: .methodNotAllowed, message: message)
    }

    /// 403: `pods "web" is forbidden: ...` or a namespace that is missing or terminating.
    public static func forbidden(_ resource: GroupResource, _ name: String, _ why: String) -> APIError {
        let target = name.isEmpty ? "\(resource)" : "\(resource) \"\(name)\""
        return APIError(code: 403, reason: .forbidden, message: "\(target) is forbidden: \(why)",
                        details: StatusDetails(name: name, group: resource.group, kind: resource.resource))
    }

    /// 401: no valid credentials.
    public static func unauthorized(_ message: String = "Unauthorized") -> APIError {
        APIError(code: 401, reason: .unauthorized, message: message)
    }

    /// 500: the server failed; the message says where.
    public static func internalError(_ message: String) -> APIError {
        APIError(code: 500, reason: .internalError, message: "Internal error occurred: \(message)")
    }

    /// 503: a dependency (the store) did not answer.
    public static func unavailable(_ message: String) -> APIError {
        APIError(code: 503, reason: .serviceUnavailable, message: message)
    }

    /// 504: the call's deadline passed.
    public static func timeout(_ message: String) -> APIError {
        APIError(code: 504, reason: .timeout, message: message)
    }
}

/// A resource named with its group, printed as Kubernetes prints it: "pods", "deployments.apps".
public struct GroupResource: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var resource: String
    public init(group: String, resource: String) {
        self.group = group
        self.resource = resource
    }
    public var description: String { group.isEmpty ? resource : "\(resource).\(group)" }
}
