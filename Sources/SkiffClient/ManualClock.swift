/// ManualClock: a `Clock` for tests whose time moves only when the test says so. Tasks that
/// sleep on it stay asleep until `advance(by:)` passes their deadline; a test learns that the code
/// under test has reached its sleep with `waitForSleepers(_:)`, never by sleeping for real.
///
/// Concurrency: Sendable; every method may be called from any task. `advance` resumes the due
/// sleepers in deadline order (ties in the order they fell asleep); when the woken tasks then run
/// is up to the executor. Must never: move backwards, or wake a sleeper before its deadline.
import Synchronization

public final class ManualClock: Clock, Sendable {
    /// A point on the manual clock: how far it is from the clock's origin.
    public struct Instant: InstantProtocol, CustomStringConvertible {
        public var offset: Duration
        public init(offset: Duration) { self.offset = offset }

        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
        public var description: String { "+\(offset)" }
    }

    private struct Sleeper {
        var id: UInt64
        var deadline: Instant
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var now: Instant
        var sleepers: [Sleeper] = []
        /// Tests waiting for at least `count` sleepers.
        var watchers: [(id: UInt64, count: Int, continuation: CheckedContinuation<Bool, Never>)] = []

        mutating func wakeWatchers() {
            let reached = watchers.filter { $0.count <= sleepers.count }
            watchers.removeAll { $0.count <= sleepers.count }
            for watcher in reached { watcher.continuation.resume(returning: true) }
        }
    }

    private let state: Mutex<State>

    public init(now: Instant = Instant(offset: .zero)) { state = Mutex(State(now: now)) }

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .nanoseconds(1) }

    /// How many tasks are asleep on this clock right now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Returns at once if `deadline` has passed; otherwise sleeps until `advance` passes it.
    /// Throws CancellationError when the task is cancelled, before or during the sleep.
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        let woke: Bool = await withWaiter { id, continuation in
            state.withLock { state in
                if deadline <= state.now {
                    continuation.resume(returning: true)
                } else if Task.isCancelled {
                    continuation.resume(returning: false)
                } else {
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    state.wakeWatchers()
                }
            }
        } onCancel: { id in
            state.withLock { state in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return }
                state.sleepers.remove(at: index).continuation.resume(returning: false)
            }
        }
        if !woke { throw CancellationError() }
    }

    /// Moves time forward and wakes every sleeper whose deadline is now past, earliest first.
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "a ManualClock never moves backwards")
        let due = state.withLock { state -> [Sleeper] in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            // Stable sort: equal deadlines keep the order they fell asleep in.
            return due.enumerated().sorted { ($0.element.deadline, $0.offset) < ($1.element.deadline, $1.offset) }
                .map(\.element)
        }
        for sleeper in due { sleeper.continuation.resume(returning: true) }
    }

    /// Returns once at least `count` tasks are asleep on this clock. Throws CancellationError if
    /// the waiting task is cancelled first (tests wrap it in a real-time deadline).
    public func waitForSleepers(_ count: Int) async throws {
        let reached: Bool = await withWaiter { id, continuation in
            state.withLock { state in
                if state.sleepers.count >= count {
                    continuation.resume(returning: true)
                } else if Task.isCancelled {
                    continuation.resume(returning: false)
                } else {
                    state.watchers.append((id, count, continuation))
                }
            }
        } onCancel: { id in
            state.withLock { state in
                guard let index = state.watchers.firstIndex(where: { $0.id == id }) else { return }
                state.watchers.remove(at: index).continuation.resume(returning: false)
            }
        }
        if !reached { throw CancellationError() }
    }
}
