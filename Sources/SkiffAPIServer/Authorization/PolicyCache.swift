/// PolicyCache: the RBAC objects as this apiserver knows them, kept current by the watch
/// fanout (every change passes through it, in revision order) and by this apiserver's own
/// writes (so a binding works for the request after the one that made it). Authorization waits
/// until the first full load is done: before it, nothing but the masters group is allowed.
///
/// As in Kubernetes (an informer-fed RBAC authorizer), a change made through another apiserver
/// reaches this one a moment later.
///
/// Concurrency: Sendable; a lock guards the policy and the revisions. Must never: let an older
/// revision of an object replace a newer one (deletions leave tombstones for that reason).
import Synchronization
import SkiffAPI
import SkiffWire

final class PolicyCache: Sendable {
    static let resources = ["roles", "clusterroles", "rolebindings", "clusterrolebindings"].map {
        ResourceCatalog.resource(group: BootstrapPolicy.rbacGroup, plural: $0)!
    }

    private struct State {
        var policy = RBACPolicy()
        var revisions: [String: Int64] = [:]
        var loaded = false
    }

    private let state = Mutex(State())

    var isLoaded: Bool { state.withLock { $0.loaded } }

    static func covers(_ resource: ResourceInfo) -> Bool {
        resource.group == BootstrapPolicy.rbacGroup
    }

    /// Records a change of one RBAC object at `revision`: its new state, or nil when deleted.
    func observe(_ key: StorageKey, _ object: (any APIObject)?, at revision: Int64) {
        guard Self.covers(key.resource) else { return }
        state.withLock { state in
            if let known = state.revisions[key.key], known >= revision { return }
            state.revisions[key.key] = revision
            if let object {
                state.policy.apply(object)
            } else {
                // Only the kind, namespace and name of a deleted object matter for its removal.
                var gone = key.resource.objectType.init()
                gone.metadata = ObjectMeta(name: key.name, namespace: key.namespace.isEmpty ? nil : key.namespace)
                state.policy.remove(gone)
            }
        }
    }

    /// The first full load (every RBAC object, each at its own revision).
    func load(_ objects: [(StorageKey, any APIObject, Int64)]) {
        for (key, object, revision) in objects { observe(key, object, at: revision) }
        state.withLock { $0.loaded = true }
    }

    /// Waits (up to `timeout`) for the first load, which happens once at start; false when it
    /// has not happened by then.
    func waitUntilLoaded(timeout: Duration = .seconds(30)) async throws -> Bool {
        if isLoaded { return true }
        let deadline = ContinuousClock.now + timeout
        while !isLoaded, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        return isLoaded
    }

    /// Every rule `user` holds in `namespace` ("" for cluster-wide only).
    func rules(for user: UserInfo, namespace: String) -> [PolicyRule] {
        state.withLock { $0.policy.rules(for: user, namespace: namespace) }
    }

    /// The rules the role a binding names grants (a Role looked up in `namespace`).
    func rules(of ref: RoleRef, namespace: String?) -> [PolicyRule] {
        state.withLock { $0.policy.rules(of: ref, namespace: namespace) }
    }

    func authorize(_ attributes: AuthorizationAttributes) -> AuthorizationDecision {
        state.withLock { $0.policy.authorize(attributes) }
    }
}
