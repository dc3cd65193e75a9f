/// The vocabulary of authorization, as Kubernetes' authorizer package has it: who asks
/// (`UserInfo`, set by authentication), what they would do (`AuthorizationAttributes`, from the
/// request), and the answer of one authorizer (`AuthorizationDecision`). Authorizers form a
/// chain: the first `allow` or `deny` wins; when every one has no opinion the request is denied.
///
/// Concurrency: plain values and Sendable protocols. Must never: allow by default.
import SkiffAPI

/// An authenticated identity: a user name ("admin", "system:node:node-1",
/// "system:serviceaccount:default:builder"), its uid, and its groups.
public struct UserInfo: Sendable, Equatable {
    public var name: String
    public var uid: String = ""
    public var groups: [String] = []

    public init(name: String, uid: String = "", groups: [String] = []) {
        self.name = name
        self.uid = uid
        self.groups = groups
    }
}

/// What a request would do, in the terms RBAC rules speak: verb, API group, resource,
/// subresource, namespace (empty for cluster scope) and object name (empty for list, watch,
/// create and deletecollection).
struct AuthorizationAttributes: Sendable, Equatable {
    var user: UserInfo
    var verb: String
    var apiGroup: String
    var resource: String
    var subresource: String = ""
    var namespace: String = ""
    var name: String = ""
}

enum AuthorizationDecision: Sendable, Equatable {
    case allow
    /// An explicit refusal, with the reason (the node authorizer refuses objects not bound to
    /// the asking node).
    case deny(String)
    case noOpinion
}

protocol Authorizer: Sendable {
    func authorize(_ attributes: AuthorizationAttributes) -> AuthorizationDecision
}
