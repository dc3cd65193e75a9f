/// ObjectGraph: the garbage collector's owner→dependents graph, by uid, over every kind it
/// watches, as Kubernetes' GraphBuilder keeps it: each node is one object's identity, its
/// ownerReferences and its deletion state; edges run from an owner's uid to its dependents.
/// Owners the graph has not seen (absent, or a kind not watched) have no node; the collector
/// then asks the apiserver.
///
/// Concurrency: Sendable; informer handlers write, workers read. Must never: keep an edge of
/// an object it no longer holds.
import SkiffAPI
import SkiffClient
import SkiffWire
import Synchronization

/// One object as the collector knows it, and the work-queue key that names it.
///
/// The key is `ObjectKey(namespace: "<resource>[.<group>]", name: "<namespace>/<name>")`
/// (text "replicasets.apps/default/web", "nodes//node-1"): one key per object across kinds, so
/// ShardRing spreads objects, not owners, over the collector's instances, and the instance that
/// owns a key decides about that object alone.
public struct ObjectIdentity: Hashable, Sendable, CustomStringConvertible {
    public var resource: GroupResource
    public var namespace: String
    public var name: String
    public var uid: String

    public init(resource: GroupResource, namespace: String, name: String, uid: String) {
        self.resource = resource
        self.namespace = namespace
        self.name = name
        self.uid = uid
    }

    public var key: ObjectKey { ObjectKey(namespace: resource.description, name: "\(namespace)/\(name)") }

    /// The resource, namespace and name a key names (the uid is not in it).
    public static func parse(_ key: ObjectKey) -> (resource: GroupResource, namespace: String, name: String)? {
        guard let slash = key.name.firstIndex(of: "/") else { return nil }
        let text = key.namespace
        let resource = text.firstIndex(of: ".").map {
            GroupResource(group: String(text[text.index(after: $0)...]), resource: String(text[..<$0]))
        } ?? GroupResource(group: "", resource: text)
        return (resource, String(key.name[..<slash]), String(key.name[key.name.index(after: slash)...]))
    }

    public var description: String { "\(resource) \(namespace.isEmpty ? name : "\(namespace)/\(name)") (\(uid))" }
}

public struct GraphNode: Sendable, Equatable {
    public var identity: ObjectIdentity
    public var owners: [OwnerReference]
    /// deletionTimestamp is set.
    public var deleting: Bool
    public var finalizers: [String]

    public init(identity: ObjectIdentity, owners: [OwnerReference] = [], deleting: Bool = false, finalizers: [String] = []) {
        self.identity = identity
        self.owners = owners
        self.deleting = deleting
        self.finalizers = finalizers
    }

    public init(_ resource: GroupResource, _ meta: ObjectMeta?) {
        let meta = meta ?? ObjectMeta()
        self.init(identity: ObjectIdentity(resource: resource, namespace: meta.namespace ?? "", name: meta.name ?? "",
                                           uid: meta.uid ?? ""),
                  owners: meta.ownerReferences.filter { !($0.uid ?? "").isEmpty }, deleting: meta.deletionTimestamp != nil,
                  finalizers: meta.finalizers)
    }

    /// Deleted in the foreground: it waits for its blocking dependents.
    public var deletingDependents: Bool { deleting && finalizers.contains(GarbageFinalizers.foreground) }
    /// Deleted with orphaning: its dependents lose their references to it first.
    public var orphaningDependents: Bool { deleting && finalizers.contains(GarbageFinalizers.orphan) }

    /// The reference to `uid` among its owners.
    public func reference(to uid: String) -> OwnerReference? { owners.first { $0.uid == uid } }

    /// Whether the collector may have something to do with it.
    var isCandidate: Bool { !owners.isEmpty || deletingDependents || orphaningDependents }
}

public enum GarbageFinalizers {
    public static let foreground = "foregroundDeletion"
    public static let orphan = "orphan"
}

public final class ObjectGraph: Sendable {
    private struct State {
        var nodes: [String: GraphNode] = [:]
        var dependents: [String: Set<String>] = [:]
        var uidByKey: [ObjectKey: String] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Adds or replaces the node of `node.identity.uid`; returns the one it replaced.
    @discardableResult
    public func upsert(_ node: GraphNode) -> GraphNode? {
        let uid = node.identity.uid
        guard !uid.isEmpty else { return nil }
        return state.withLock { state in
            let old = state.nodes[uid]
            if let old { Self.unlink(old, in: &state) }
            if let previous = state.uidByKey[node.identity.key], previous != uid, let stale = state.nodes[previous] {
                Self.unlink(stale, in: &state)
                state.nodes[previous] = nil
            }
            state.nodes[uid] = node
            state.uidByKey[node.identity.key] = uid
            for owner in node.owners { state.dependents[owner.uid ?? "", default: []].insert(uid) }
            return old
        }
    }

    /// Removes the node of `uid`; returns it.
    @discardableResult
    public func remove(uid: String) -> GraphNode? {
        state.withLock { state in
            guard let old = state.nodes.removeValue(forKey: uid) else { return nil }
            Self.unlink(old, in: &state)
            if state.uidByKey[old.identity.key] == uid { state.uidByKey[old.identity.key] = nil }
            return old
        }
    }

    public func node(uid: String) -> GraphNode? { state.withLock { $0.nodes[uid] } }

    public func node(key: ObjectKey) -> GraphNode? {
        state.withLock { state in state.uidByKey[key].flatMap { state.nodes[$0] } }
    }

    /// Every node holding a reference to `uid`.
    public func dependents(of uid: String) -> [GraphNode] {
        state.withLock { state in
            (state.dependents[uid] ?? []).compactMap { state.nodes[$0] }.sorted { $0.identity.key < $1.identity.key }
        }
    }

    /// Keys of the nodes the collector may have work for: those with owners, and those being
    /// deleted in the foreground or with orphaning.
    public func candidateKeys() -> [ObjectKey] {
        state.withLock { $0.nodes.values.filter(\.isCandidate).map(\.identity.key) }
    }

    private static func unlink(_ node: GraphNode, in state: inout State) {
        for owner in node.owners {
            let ownerUID = owner.uid ?? ""
            state.dependents[ownerUID]?.remove(node.identity.uid)
            if state.dependents[ownerUID]?.isEmpty == true { state.dependents[ownerUID] = nil }
        }
    }
}
