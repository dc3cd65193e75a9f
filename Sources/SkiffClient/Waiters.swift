/// Waiters: tasks suspended until their owner hands them a value, in arrival order. It lives inside
/// the owner's Mutex-protected state, so checking a condition and suspending are one atomic step.
///
/// The protocol every owner follows, so no wake-up is lost:
/// - to suspend, call `withWaiter`; in its body, inside the lock: if the condition holds, resume
///   at once; else if `Task.isCancelled`, resume with the "cancelled" value; else `add` it;
/// - in its onCancel, inside the lock: `remove(id)` and resume that with "cancelled".
/// Cancellation sets the task's flag before running handlers, so whichever side takes the lock
/// second sees the other's work.
///
/// Concurrency: a plain value; the owner's lock protects it. Must never: resume a continuation
/// while it is still stored (each leaves through exactly one of popFirst, remove, removeAll).
import Synchronization

struct Waiters<Value: Sendable> {
    typealias Continuation = CheckedContinuation<Value, Never>
    private var entries: [(id: UInt64, continuation: Continuation)] = []

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }

    /// Stores a continuation under the id `withWaiter` gave it.
    mutating func add(_ id: UInt64, _ continuation: Continuation) {
        entries.append((id, continuation))
    }

    /// The continuation registered as `id`, if nobody resumed it yet.
    mutating func remove(_ id: UInt64) -> Continuation? {
        guard let index = entries.firstIndex(where: { $0.id == id }) else { return nil }
        return entries.remove(at: index).continuation
    }

    mutating func popFirst() -> Continuation? {
        entries.isEmpty ? nil : entries.removeFirst().continuation
    }

    mutating func removeAll() -> [Continuation] {
        defer { entries.removeAll() }
        return entries.map(\.continuation)
    }
}

private let waiterIDs = Atomic<UInt64>(0)

/// Suspends the current task until `body`'s continuation is resumed. The id is known before the
/// task suspends, so `onCancel` can find the waiter even if it runs first.
func withWaiter<Value: Sendable>(
    _ body: (_ id: UInt64, _ continuation: CheckedContinuation<Value, Never>) -> Void,
    onCancel: @Sendable (_ id: UInt64) -> Void
) async -> Value {
    let id = waiterIDs.add(1, ordering: .relaxed).newValue
    return await withTaskCancellationHandler {
        await withCheckedContinuation { body(id, $0) }
    } onCancel: {
        onCancel(id)
    }
}
