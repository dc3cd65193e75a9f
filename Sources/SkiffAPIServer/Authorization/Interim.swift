// INTERIM: replaced by the RBAC helper's files at merge.
import SkiffAPI
import SkiffWire

struct RBACPolicy: Authorizer {
    mutating func apply(_ object: any APIObject) {}
    mutating func remove(_ key: StorageKey) {}
    func authorize(_ attributes: AuthorizationAttributes) -> AuthorizationDecision { .noOpinion }
}

enum BootstrapPolicy {
    static let clusterRoles: [ClusterRole] = []
    static let clusterRoleBindings: [ClusterRoleBinding] = []
    static let autoupdateAnnotation = "rbac.authorization.kubernetes.io/autoupdate"
    static func matches(_ a: any APIObject, _ b: any APIObject) -> Bool { true }
}

enum Forbidden {
    static func error(_ attributes: AuthorizationAttributes, reason: String?) -> APIError {
        APIError.forbidden(GroupResource(group: attributes.apiGroup, resource: attributes.resource), attributes.name, reason ?? "")
    }
}

struct NodeAccess: Sendable {
    let registry: ObjectRegistry
    func decide(_ attributes: AuthorizationAttributes) async throws -> AuthorizationDecision { .noOpinion }
}
