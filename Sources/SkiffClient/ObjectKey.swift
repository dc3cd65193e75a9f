/// ObjectKey: how caches and work queues name an object, "namespace/name" (cluster-scoped
/// objects: "name"), as client-go's MetaNamespaceKeyFunc. A struct rather than a string so a sync
/// handler reads `key.namespace` and `key.name` without parsing.
///
/// Concurrency: a plain Sendable value. Must never: change its text form; logs and tests read it.
import SkiffWire

public struct ObjectKey: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// Empty for cluster-scoped objects.
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// The key of an object as the API stores it.
    public init(_ object: some APIObject) {
        self.init(namespace: object.metadata?.namespace ?? "", name: object.metadata?.name ?? "")
    }

    /// Reads "namespace/name" or "name". Names never contain "/", so the first one splits.
    public init(_ text: String) {
        if let slash = text.firstIndex(of: "/") {
            self.init(namespace: String(text[..<slash]), name: String(text[text.index(after: slash)...]))
        } else {
            self.init(namespace: "", name: text)
        }
    }

    public init(stringLiteral text: String) { self.init(text) }

    public var description: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }

    public static func < (a: ObjectKey, b: ObjectKey) -> Bool { (a.namespace, a.name) < (b.namespace, b.name) }
}
