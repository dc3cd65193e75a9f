/// BootstrapComponentRoles: one narrow ClusterRole per node and control-plane component, written
/// from the API calls each component's library makes (its informers' list and watch, and its
/// writes), as Kubernetes' bootstrap policy has them. The kubelet's role (system:node) holds
/// only what does not depend on the node: reads of Secrets, ConfigMaps, claims, volumes and
/// ServiceAccounts, and which Node, Lease and pods it may write, are the node authorizer's.
///
/// Concurrency: immutable values. Must never: grant a component more than its code calls; a
/// new call in a component needs its rule here first.
import SkiffWire

enum BootstrapComponentRoles {
    static var roles: [ClusterRole] { [scheduler, node, proxier, dns] }

    /// Events are written by every component through EventRecorder: created, then patched
    /// (or updated, the kubelet's) as they repeat.
    static let events = PolicyRule.grant(["create", "update", "patch"], "", "events")

    /// SkiffScheduler: informers on pods and nodes, bindings, the PodScheduled condition.
    static let scheduler = ClusterRole(metadata: ObjectMeta(name: "system:kube-scheduler"), rules: [
        .grant(Verbs.read, "", "pods", "nodes"),
        .grant(["create"], "", "pods/binding"),
        .grant(["update", "patch"], "", "pods/status"),
        events,
    ])

    /// SkiffKubelet: registers and heartbeats its Node and Lease, watches its pods, writes their
    /// status, mirrors static pods (create, delete) and deletes pods that finished terminating.
    static let node = ClusterRole(metadata: ObjectMeta(name: "system:node"), rules: [
        .grant(["create", "get", "list", "watch", "update", "patch"], "", "nodes"),
        .grant(["update", "patch"], "", "nodes/status"),
        .grant(["get", "list", "watch", "create", "delete"], "", "pods"),
        .grant(["update", "patch"], "", "pods/status"),
        .grant(["get", "create", "update", "patch"], "coordination.k8s.io", "leases"),
        events,
    ])

    /// SkiffProxy: informers on services and endpoints.
    static let proxier = ClusterRole(metadata: ObjectMeta(name: "system:node-proxier"), rules: [
        .grant(Verbs.read, "", "services", "endpoints"),
        events,
    ])

    /// SkiffDNS: informers on services and endpoints, and its own kube-dns Service and Endpoints
    /// in kube-system (KubeDNSRegistration), which it creates and updates.
    static let dns = ClusterRole(metadata: ObjectMeta(name: "system:kube-dns"), rules: [
        .grant(Verbs.read, "", "services", "endpoints"),
        .grant(["create"], "", "services", "endpoints"),
        .grant(["update", "patch"], "", "endpoints", names: ["kube-dns"]),
    ])
}
