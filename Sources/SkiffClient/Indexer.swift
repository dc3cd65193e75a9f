/// Indexer: an informer's cache, as client-go's `cache.Indexer`: objects by `ObjectKey`, plus named
/// indexes (objects by namespace, pods by node, objects by owner uid) so a controller finds related
/// objects without scanning. Controllers read it; only its informer (or a test preloading a cache)
/// writes it.
///
/// Concurrency: Sendable; every call takes one lock and returns values, so readers never see a
/// half-applied write. Index functions run under that lock, so they must be pure and quick.
/// Must never: hand out anything that aliases its storage.
import Synchronization
import SkiffWire

/// The name of an index.
public struct IndexName: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// Built into every indexer: objects by `metadata.namespace` ("" for cluster-scoped objects).
    public static let byNamespace: IndexName = "namespace"
}

public final class Indexer<Object: APIObject>: Sendable {
    /// The values an object is indexed under: none, one, or several (e.g. one per owner).
    public typealias IndexFunction = @Sendable (Object) -> [String]

    private struct State {
        var objects: [ObjectKey: Object] = [:]
        /// index name -> indexed value -> keys of the objects under it.
        var indexes: [IndexName: [String: Set<ObjectKey>]] = [:]
    }

    private let indexFunctions: [IndexName: IndexFunction]
    private let state: Mutex<State>

    /// `indexes` are added to the built-in `.byNamespace`.
    public init(indexes: [IndexName: IndexFunction] = [:]) {
        var functions = indexes
        functions[.byNamespace] = { [$0.metadata?.namespace ?? ""] }
        indexFunctions = functions
        state = Mutex(State())
    }

    // MARK: reads

    public func get(_ key: ObjectKey) -> Object? { state.withLock { $0.objects[key] } }

    /// Every object, ordered by key.
    public func list() -> [Object] {
        // Sorting the keys alone: sorting (key, object) pairs moves whole objects at every swap.
        state.withLock { state in state.objects.keys.sorted().map { state.objects[$0]! } }
    }

    /// Every key, ordered.
    public func keys() -> [ObjectKey] { state.withLock { $0.objects.keys.sorted() } }

    public var count: Int { state.withLock { $0.objects.count } }

    /// The objects indexed under `value` in the index `name`, ordered by key. Asking for an index
    /// the indexer was not built with is a programming error.
    public func byIndex(_ name: IndexName, _ value: String) -> [Object] {
        precondition(indexFunctions[name] != nil, "no index named \(name)")
        return state.withLock { state in
            (state.indexes[name]?[value] ?? []).sorted().compactMap { state.objects[$0] }
        }
    }

    // MARK: writes

    /// Adds or replaces the object under its key; returns the one it replaced.
    @discardableResult
    public func upsert(_ object: Object) -> Object? {
        state.withLock { state in store(object, in: &state) }
    }

    /// Removes the object under `key`; returns it.
    @discardableResult
    public func delete(_ key: ObjectKey) -> Object? {
        state.withLock { state in
            guard let old = state.objects.removeValue(forKey: key) else { return nil }
            unindex(old, key, in: &state)
            return old
        }
    }

    /// Makes the cache hold exactly `objects`, in one step; returns what it held before.
    @discardableResult
    public func replace(with objects: [Object]) -> [ObjectKey: Object] {
        state.withLock { state in
            let previous = state.objects
            state = State()
            for object in objects { store(object, in: &state) }
            return previous
        }
    }

    @discardableResult
    private func store(_ object: Object, in state: inout State) -> Object? {
        let key = ObjectKey(object)
        let old = state.objects.updateValue(object, forKey: key)
        if let old { unindex(old, key, in: &state) }
        for (name, values) in indexFunctions {
            for value in values(object) { state.indexes[name, default: [:]][value, default: []].insert(key) }
        }
        return old
    }

    private func unindex(_ object: Object, _ key: ObjectKey, in state: inout State) {
        for (name, values) in indexFunctions {
            for value in values(object) {
                state.indexes[name]?[value]?.remove(key)
                if state.indexes[name]?[value]?.isEmpty == true { state.indexes[name]?[value] = nil }
            }
        }
    }
}
