/// Fixtures for the authorization suites: requests written in one line, the chain the apiserver
/// runs (node authorizer, then RBAC; denied unless one allows), and a small cluster's policy.
@testable import SkiffAPIServer
import SkiffWire

/// A request as a table row: "alice get pods/log team-a/web" reads as
/// `Request("alice", "get", "pods/log", in: "team-a", named: "web")`.
func request(_ user: UserInfo, _ verb: String, _ resource: String, group: String = "", in namespace: String = "",
             named name: String = "") -> AuthorizationAttributes {
    let parts = resource.split(separator: "/", maxSplits: 1).map(String.init)
    return AuthorizationAttributes(user: user, verb: verb, apiGroup: group, resource: parts[0],
                                   subresource: parts.count > 1 ? parts[1] : "", namespace: namespace, name: name)
}

/// The first allow or deny wins; when no authorizer has an opinion, the request is denied.
struct AuthorizerChain: Authorizer {
    var authorizers: [any Authorizer]

    func authorize(_ attributes: AuthorizationAttributes) -> AuthorizationDecision {
        for authorizer in authorizers {
            let decision = authorizer.authorize(attributes)
            if decision != .noOpinion { return decision }
        }
        return .noOpinion
    }

    func allows(_ attributes: AuthorizationAttributes) -> Bool { authorize(attributes) == .allow }
}

func meta(_ name: String, _ namespace: String? = nil) -> ObjectMeta { ObjectMeta(name: name, namespace: namespace) }

func roleBinding(_ name: String, in namespace: String, role: String, kind: String = "ClusterRole",
                 _ subjects: Subject...) -> RoleBinding {
    RoleBinding(metadata: meta(name, namespace), subjects: subjects,
                roleRef: RoleRef(apiGroup: "rbac.authorization.k8s.io", kind: kind, name: role))
}

func user(_ name: String) -> Subject { Subject(kind: "User", apiGroup: "rbac.authorization.k8s.io", name: name) }
func group(_ name: String) -> Subject { Subject(kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: name) }
func serviceAccount(_ name: String, in namespace: String? = nil) -> Subject {
    Subject(kind: "ServiceAccount", apiGroup: "", name: name, namespace: namespace)
}

/// The identities of the matrix.
enum People {
    static let authenticated = "system:authenticated"
    static let admin = UserInfo(name: "root", groups: ["system:masters", authenticated])
    static let viewer = UserInfo(name: "vera", groups: [authenticated])
    static let editor = UserInfo(name: "eddie", groups: ["developers", authenticated])
    static let nsAdmin = UserInfo(name: "ada", groups: [authenticated])
    static let reader = UserInfo(name: "rosa", groups: [authenticated])
    static let builder = UserInfo(name: "system:serviceaccount:team-a:builder",
                                  groups: ["system:serviceaccounts", "system:serviceaccounts:team-a", authenticated])
    static let impostor = UserInfo(name: "builder", groups: [authenticated])
    static let stranger = UserInfo(name: "mallory", groups: [authenticated])
    static let node1 = UserInfo(name: "system:node:node-1", groups: ["system:nodes", authenticated])
    static let node2 = UserInfo(name: "system:node:node-2", groups: ["system:nodes", authenticated])
}

/// Team A's grants on top of the bootstrap policy.
enum TeamA {
    static let readerRole = Role(metadata: meta("web-config-reader", "team-a"), rules: [
        .grant(["get"], "", "configmaps", names: ["web-config"]),
    ])
    static let builderRole = Role(metadata: meta("pod-builder", "team-a"), rules: [
        .grant(["create", "get", "list"], "", "pods"),
    ])
    static let bindings = [
        roleBinding("viewers", in: "team-a", role: "view", user("vera")),
        // Bound by group: every member of "developers" edits team-a.
        roleBinding("editors", in: "team-a", role: "edit", group("developers")),
        roleBinding("admins", in: "team-a", role: "admin", user("ada")),
        roleBinding("web-config-readers", in: "team-a", role: "web-config-reader", kind: "Role", user("rosa")),
        // No namespace on the subject: the binding's own.
        roleBinding("builders", in: "team-a", role: "pod-builder", kind: "Role", serviceAccount("builder")),
    ]

    static var policy: RBACPolicy {
        RBACPolicy(roles: [readerRole, builderRole], clusterRoles: BootstrapPolicy.clusterRoles,
                   roleBindings: bindings, clusterRoleBindings: BootstrapPolicy.clusterRoleBindings)
    }
}

/// Pods for the node graph: `web` on node-1 uses Secret web-tls, ConfigMap web-config and claim
/// web-data (bound to volume pv-web), and mounts its account's token as admission writes it;
/// `db` on node-2 uses Secret db-password.
enum NodeFixtures {
    static var web: Pod {
        ServiceAccountAdmission.mountingToken(of: "default", into: Pod(metadata: meta("web", "team-a"), spec: PodSpec(
            volumes: [Volume(name: "tls", secret: SecretVolumeSource(secretName: "web-tls")),
                      Volume(name: "data", persistentVolumeClaim: PersistentVolumeClaimVolumeSource(claimName: "web-data"))],
            containers: [Container(name: "web", image: "nginx", envFrom: [
                EnvFromSource(configMapRef: ConfigMapEnvSource(name: "web-config")),
            ])],
            nodeName: "node-1")))
    }

    static var db: Pod {
        Pod(metadata: meta("db", "team-a"), spec: PodSpec(
            containers: [Container(name: "db", image: "postgres", env: [
                EnvVar(name: "PASSWORD", valueFrom: EnvVarSource(secretKeyRef: SecretKeySelector(name: "db-password", key: "p"))),
            ])],
            nodeName: "node-2"))
    }

    static var webClaim: PersistentVolumeClaim {
        PersistentVolumeClaim(metadata: meta("web-data", "team-a"), spec: PersistentVolumeClaimSpec(volumeName: "pv-web"))
    }

    static var graph: NodeGraph { NodeGraph(pods: [web, db], claims: [webClaim]) }

    static var chain: AuthorizerChain {
        AuthorizerChain(authorizers: [NodeAuthorizer(graph: graph), TeamA.policy])
    }
}
