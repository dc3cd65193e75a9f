/// RateLimiter: how long a failing key waits before its next try, as client-go's
/// `workqueue.RateLimiter`. `ExponentialBackoffRateLimiter` is client-go's per-item default:
/// 5 ms after the first failure, doubling on each, never more than 1000 s, until `forget`.
///
/// Concurrency: Sendable; calls for different keys and from different tasks may interleave freely.
/// Must never: sleep. It only computes delays; the work queue waits them out on its clock.
import Synchronization

public protocol RateLimiter<Key>: Sendable {
    associatedtype Key: Hashable & Sendable
    /// The delay before retrying `key`; the call itself counts as one more failure.
    func when(_ key: Key) -> Duration
    /// Clears the key's failures: its next delay is the shortest again.
    func forget(_ key: Key)
    /// How many failures the key has had since it was last forgotten.
    func numRequeues(_ key: Key) -> Int
}

public final class ExponentialBackoffRateLimiter<Key: Hashable & Sendable>: RateLimiter {
    public let base: Duration
    public let cap: Duration
    private let failures = Mutex<[Key: Int]>([:])

    public init(base: Duration = .milliseconds(5), cap: Duration = .seconds(1000)) {
        self.base = base
        self.cap = cap
    }

    public func when(_ key: Key) -> Duration {
        let previous = failures.withLock { failures in
            defer { failures[key, default: 0] += 1 }
            return failures[key, default: 0]
        }
        return Self.delay(afterFailures: previous, base: base, cap: cap)
    }

    public func forget(_ key: Key) { failures.withLock { _ = $0.removeValue(forKey: key) } }

    public func numRequeues(_ key: Key) -> Int { failures.withLock { $0[key, default: 0] } }

    /// `base * 2^failures`, at most `cap`. Stops doubling at the cap, so it never overflows.
    public static func delay(afterFailures failures: Int, base: Duration, cap: Duration) -> Duration {
        var delay = base
        var doublings = 0
        while doublings < failures && delay < cap && delay > .zero {
            delay *= 2
            doublings += 1
        }
        return min(delay, cap)
    }
}
