// Test support: waits bounded by real time (so a broken test fails instead of hanging), pod
// builders, and a recorder of informer events that also notices overlapping handler calls.
import SkiffClient
import SkiffWire
import Synchronization
import Testing

struct DeadlineExceeded: Error, CustomStringConvertible {
    var description: String { "the awaited condition did not hold before the deadline" }
}

/// Runs `body`, throwing DeadlineExceeded (and cancelling it) if it takes longer than `limit` of
/// real time. `body` must honour cancellation.
func withDeadline<T: Sendable>(_ limit: Duration = .seconds(10),
                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: DeadlineOutcome<T>.self) { group in
        group.addTask { .finished(try await body()) }
        group.addTask {
            try await Task.sleep(for: limit)
            return .timedOut
        }
        defer { group.cancelAll() }
        guard case .finished(let value)? = try await group.next() else { throw DeadlineExceeded() }
        return value
    }
}

enum DeadlineOutcome<T: Sendable>: Sendable { case finished(T), timedOut }

/// Polls `condition` until it holds, failing after `limit` of real time.
func waitUntil(_ limit: Duration = .seconds(10), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while !condition() {
        guard ContinuousClock.now < deadline else { throw DeadlineExceeded() }
        try await Task.sleep(for: .milliseconds(1))
    }
}

func pod(_ name: String, namespace: String = "default", node: String? = nil, owners: [String] = [],
         version: String? = nil) -> Pod {
    Pod(metadata: ObjectMeta(name: name, namespace: namespace, resourceVersion: version,
                             ownerReferences: owners.map { OwnerReference(kind: "ReplicaSet", uid: $0) }),
        spec: PodSpec(nodeName: node))
}

extension Pod {
    var key: String { ObjectKey(self).description }
    var version: String { metadata?.resourceVersion ?? "" }
}

/// Records every handler call as a line ("add default/a@1", "update default/a@1->4",
/// "delete default/b@2") and counts calls that overlapped another.
final class EventRecorder: Sendable {
    private let lines = Mutex<[String]>([])
    private let inHandler = Atomic<Bool>(false)
    private let overlaps = Atomic<Int>(0)

    init(_ informer: Informer<Pod>) {
        informer.addEventHandler(
            onAdd: { [self] in record("add \($0.key)@\($0.version)") },
            onUpdate: { [self] old, new in record("update \(new.key)@\(old.version)->\(new.version)") },
            onDelete: { [self] in record("delete \($0.key)@\($0.version)") })
    }

    private func record(_ line: String) {
        if inHandler.exchange(true, ordering: .acquiring) { overlaps.add(1, ordering: .relaxed) }
        lines.withLock { $0.append(line) }
        inHandler.store(false, ordering: .releasing)
    }

    var events: [String] { lines.withLock { $0 } }
    var overlappingCalls: Int { overlaps.load(ordering: .relaxed) }

    /// Waits until at least `count` events were recorded, then returns them all.
    func waitFor(_ count: Int) async throws -> [String] {
        try await waitUntil { events.count >= count }
        return events
    }
}

/// Runs an informer in a task; `stop()` cancels it and waits for `run()` to return.
struct RunningInformer {
    let task: Task<Void, any Error>

    init(_ informer: Informer<Pod>) {
        task = Task { try await informer.run() }
    }

    func stop() async throws {
        task.cancel()
        try await withDeadline { [task] in try await task.value }
    }
}

/// A value tasks share in a test (Mutex itself cannot be captured by escaping closures).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    var value: Value { mutex.withLock { $0 } }
    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result { mutex.withLock { body(&$0) } }
}
