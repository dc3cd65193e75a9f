/// StorageKey: where an object lives in the store. Keys are
/// `/registry/<resource>/<namespace>/<name>` for namespaced objects and
/// `/registry/<resource>/<name>` for cluster-scoped ones, `<resource>` being the group-qualified
/// plural ("pods", "deployments.apps"); a list or watch reads the prefix up to the namespace.
///
/// Concurrency: pure values. Must never change: the layout is the store's schema.
import SkiffAPI

struct StorageKey: Equatable {
    var resource: ResourceInfo
    var namespace: String
    var name: String

    static let root = "/registry/"

    var key: String {
        resource.namespaced
            ? "\(Self.root)\(resource.groupResource)/\(namespace)/\(name)"
            : "\(Self.root)\(resource.groupResource)/\(name)"
    }

    /// The prefix of every object of `resource` in `namespace` (every namespace when empty).
    static func prefix(_ resource: ResourceInfo, namespace: String) -> String {
        resource.namespaced && !namespace.isEmpty
            ? "\(root)\(resource.groupResource)/\(namespace)/"
            : "\(root)\(resource.groupResource)/"
    }

    private static let byGroupResource: [String: ResourceInfo] =
        Dictionary(uniqueKeysWithValues: ResourceCatalog.all.map { ($0.groupResource.description, $0) })

    /// Parses a store key back into resource, namespace and name; nil for keys outside the layout.
    static func parse(_ key: String) -> StorageKey? {
        guard key.hasPrefix(root) else { return nil }
        let parts = key.dropFirst(root.count).split(separator: "/", omittingEmptySubsequences: false)
        guard let first = parts.first, let resource = byGroupResource[String(first)] else { return nil }
        if resource.namespaced, parts.count == 3 {
            return StorageKey(resource: resource, namespace: String(parts[1]), name: String(parts[2]))
        }
        if !resource.namespaced, parts.count == 2 {
            return StorageKey(resource: resource, namespace: "", name: String(parts[1]))
        }
        return nil
    }

    static func == (a: StorageKey, b: StorageKey) -> Bool { a.key == b.key }
}
