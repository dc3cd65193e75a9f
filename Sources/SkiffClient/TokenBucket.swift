/// TokenBucket: client-side request pacing, as client-go's rest.Config QPS and Burst: up to
/// `burst` requests at once, refilled at `qps` per second. A controller process thus has a
/// bounded share of the apiserver (kube-controller-manager's defaults are 20 QPS, burst 30), and
/// more instances of one controller bring more of it.
///
/// Concurrency: Sendable; callers reserve a token under one lock and sleep outside it, so
/// waiters leave in the order they came. Must never: let more than `burst` requests through
/// in an instant.
import Synchronization

public final class TokenBucket: Sendable {
    private struct State {
        var tokens: Double
        var last: ContinuousClock.Instant
    }

    public let qps: Double
    public let burst: Int
    private let state: Mutex<State>

    public init(qps: Double, burst: Int) {
        precondition(qps > 0 && burst > 0, "a token bucket needs a positive rate and burst")
        self.qps = qps
        self.burst = burst
        state = Mutex(State(tokens: Double(burst), last: .now))
    }

    /// Takes a token, waiting until one is due.
    public func take() async throws {
        let wait = state.withLock { state -> Duration in
            let now = ContinuousClock.now
            let elapsed = state.last.duration(to: now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            state.tokens = min(Double(burst), state.tokens + seconds * qps)
            state.last = now
            state.tokens -= 1
            // A negative balance is a debt: this caller waits until it is repaid.
            return state.tokens >= 0 ? .zero : .milliseconds(Int64((-state.tokens / qps) * 1000))
        }
        if wait > .zero { try await Task.sleep(for: wait) }
    }
}
