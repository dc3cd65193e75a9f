// FakePodAPI: an in-memory API server for pods that speaks ListerWatcher. Every write commits the
// next resourceVersion and is kept in a history, so a watch from any version replays what came
// after it, as the real one does; `compact` makes older versions unwatchable (410 Expired). It
// records the list and watch calls it receives, for tests to compare with what they expect.
import SkiffAPI
import SkiffClient
import SkiffWire
import Synchronization

final class FakePodAPI: ListerWatcher, Sendable {
    enum Call: Equatable, Sendable, CustomStringConvertible {
        case list
        case watch(after: String)
        var description: String {
            switch self {
            case .list: "list"
            case .watch(let version): "watch after \(version)"
            }
        }
    }

    private typealias Watcher = AsyncThrowingStream<WatchChange<Pod>, any Error>.Continuation

    private struct State {
        var objects: [ObjectKey: Pod] = [:]
        var version = 0
        var history: [(version: Int, change: WatchChange<Pod>)] = []
        /// A watch must start at or after this version.
        var oldestWatchable = 0
        var watchers: [Int: Watcher] = [:]
        var nextWatcher = 0
        var calls: [Call] = []
        var listFailures: [any Error] = []

        mutating func commit(_ change: (Int) -> WatchChange<Pod>) {
            version += 1
            let committed = change(version)
            history.append((version, committed))
            for watcher in watchers.values { watcher.yield(committed) }
        }
    }

    private let state = Mutex(State())

    // MARK: ListerWatcher

    func list() async throws -> ListPage<Pod> {
        try state.withLock { state in
            state.calls.append(.list)
            if !state.listFailures.isEmpty { throw state.listFailures.removeFirst() }
            let items = state.objects.sorted { $0.key < $1.key }.map(\.value)
            return ListPage(items: items, resourceVersion: String(state.version))
        }
    }

    func watch(after resourceVersion: String) -> AsyncThrowingStream<WatchChange<Pod>, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: WatchChange<Pod>.self)
        state.withLock { state in
            state.calls.append(.watch(after: resourceVersion))
            let after = Int(resourceVersion) ?? 0
            guard after >= state.oldestWatchable else {
                continuation.finish(throwing: APIError.expired("too old resource version: \(after) (\(state.oldestWatchable))"))
                return
            }
            for entry in state.history where entry.version > after { continuation.yield(entry.change) }
            state.nextWatcher += 1
            let id = state.nextWatcher
            state.watchers[id] = continuation
            continuation.onTermination = { [weak self] _ in self?.state.withLock { _ = $0.watchers.removeValue(forKey: id) } }
        }
        return stream
    }

    // MARK: what the test does to the server

    @discardableResult
    func create(_ object: Pod) -> Pod {
        var created = object
        state.withLock { state in
            state.commit { version in
                created.metadata?.resourceVersion = String(version)
                return .added(created)
            }
            state.objects[ObjectKey(created)] = created
        }
        return created
    }

    func update(_ key: ObjectKey, _ change: (inout Pod) -> Void) {
        state.withLock { state in
            guard var object = state.objects[key] else { return }
            change(&object)
            state.commit { version in
                object.metadata?.resourceVersion = String(version)
                return .modified(object)
            }
            state.objects[key] = object
        }
    }

    func delete(_ key: ObjectKey) {
        state.withLock { state in
            guard var object = state.objects.removeValue(forKey: key) else { return }
            state.commit { version in
                object.metadata?.resourceVersion = String(version)
                return .deleted(object)
            }
        }
    }

    /// Writes to other resources move the version on without any pod change.
    func advanceVersion(by count: Int) { state.withLock { $0.version += count } }

    /// Sends open watches a bookmark at the current version.
    func bookmark() {
        state.withLock { state in
            for watcher in state.watchers.values { watcher.yield(.bookmark(resourceVersion: String(state.version))) }
        }
    }

    /// Sends open watches a change as is, without touching the stored objects or the version.
    func emit(_ change: WatchChange<Pod>) {
        state.withLock { state in for watcher in state.watchers.values { watcher.yield(change) } }
    }

    /// Forgets the history up to now and ends every open watch with 410 Expired.
    func compact() {
        let watchers = state.withLock { state in
            state.oldestWatchable = state.version
            state.history.removeAll()
            defer { state.watchers.removeAll() }
            return Array(state.watchers.values)
        }
        // Outside the lock: finishing runs onTermination, which takes it.
        for watcher in watchers { watcher.finish(throwing: APIError.expired("too old resource version")) }
    }

    /// Ends every open watch cleanly, as a server's watch timeout does.
    func endWatches() {
        let watchers = state.withLock { state in
            defer { state.watchers.removeAll() }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.finish() }
    }

    /// The next lists fail with these errors, in order.
    func failLists(with errors: [any Error]) { state.withLock { $0.listFailures += errors } }

    var calls: [Call] { state.withLock { $0.calls } }
    var openWatches: Int { state.withLock { $0.watchers.count } }

    func waitForOpenWatches(_ count: Int) async throws {
        try await waitUntil { openWatches >= count }
    }
}
