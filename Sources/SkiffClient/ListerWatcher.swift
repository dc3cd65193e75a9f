/// ListerWatcher: the seam between an informer and the API, as client-go's `cache.ListerWatcher`.
/// The bus-backed `APIClient` conforms for each resource; tests use an in-memory fake.
///
/// Concurrency: implementations are Sendable and may be called from any task; one informer has at
/// most one list or watch in flight. Must never: reorder changes within a watch, or end a watch
/// silently after the requested version was compacted (that is the `.expired` error).
import SkiffAPI
import SkiffWire

/// One change a watch reports, in the order the server committed them.
public enum WatchChange<Object: APIObject>: Sendable {
    case added(Object), modified(Object), deleted(Object)
    /// The server's progress marker: nothing to apply, but a restarted watch may resume from here.
    case bookmark(resourceVersion: String)
}

/// The whole collection at one resourceVersion.
public struct ListPage<Object: APIObject>: Sendable {
    public var items: [Object]
    /// The version the list is consistent at; a watch from here misses nothing.
    public var resourceVersion: String

    public init(items: [Object], resourceVersion: String) {
        self.items = items
        self.resourceVersion = resourceVersion
    }
}

public protocol ListerWatcher<Object>: Sendable {
    associatedtype Object: APIObject
    /// Every object (the implementation pages through limit/continue itself).
    func list() async throws -> ListPage<Object>
    /// Changes after `resourceVersion`, in order. The stream finishes with an `APIError` whose
    /// reason is `.expired` (410) when that version is too old: the informer must relist.
    /// Finishing without error means "watch again from the last version you saw".
    func watch(after resourceVersion: String) -> AsyncThrowingStream<WatchChange<Object>, any Error>
}
