/// BackendChooser: which ready backend a new connection of the userspace relay goes to: at
/// random, or, with ClientIP affinity, the one this client used last if it is still a backend
/// and the client came back within the timeout (each use renews it, as the nftables
/// `update @affinity` does).
///
/// Concurrency: Sendable; any relay thread may call `choose` while the sync loop calls
/// `update`. Must never: return a backend that is no longer in the ready list.
import SkiffAPI
import Synchronization

final class BackendChooser: Sendable {
    private struct State {
        var backends: [Backend]
        var affinitySeconds: Int?
        var sticky: [IPv4Address: (backend: Backend, lastUsed: ContinuousClock.Instant)] = [:]
    }

    private let state: Mutex<State>

    init(backends: [Backend], affinitySeconds: Int?) {
        state = Mutex(State(backends: backends, affinitySeconds: affinitySeconds))
    }

    func update(backends: [Backend], affinitySeconds: Int?) {
        state.withLock { state in
            state.backends = backends
            if state.affinitySeconds != affinitySeconds { state.sticky = [:] }
            state.affinitySeconds = affinitySeconds
            let live = Set(backends)
            state.sticky = state.sticky.filter { live.contains($0.value.backend) }
        }
    }

    func choose(client: IPv4Address, now: ContinuousClock.Instant = .now) -> Backend? {
        state.withLock { state in
            guard let pick = state.backends.randomElement() else { return nil }
            guard let seconds = state.affinitySeconds else { return pick }
            if let held = state.sticky[client], now - held.lastUsed <= .seconds(seconds), state.backends.contains(held.backend) {
                state.sticky[client] = (held.backend, now)
                return held.backend
            }
            if state.sticky.count >= 10_000 {
                // Many clients come and go: drop those whose affinity has run out.
                state.sticky = state.sticky.filter { now - $0.value.lastUsed <= .seconds(seconds) }
            }
            state.sticky[client] = (pick, now)
            return pick
        }
    }
}
