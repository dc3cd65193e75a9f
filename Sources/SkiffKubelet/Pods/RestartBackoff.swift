/// RestartBackoff: client-go's flowcontrol.Backoff as the kubelet uses it for CrashLoopBackOff
/// and ImagePullBackOff. The first failure restarts at once; after that a container that
/// exited less than `delay` ago waits, and each restart doubles the delay up to the cap. An
/// entry not touched for twice the cap starts over.
///
/// Concurrency: a value; the kubelet keeps it under a lock. Must never: shorten a delay
/// because time was read twice (`now` is passed in, from the injected clock).
import Foundation

struct RestartBackoff: Sendable {
    var base: Duration
    var cap: Duration
    private var entries: [String: (delay: Duration, lastUpdate: Date)] = [:]

    init(base: Duration = .seconds(10), cap: Duration = .seconds(300)) {
        self.base = base
        self.cap = cap
    }

    /// How much longer `key` must wait after an event at `since` (a container's exit); nil when
    /// it need not wait.
    func remaining(_ key: String, since: Date, now: Date) -> Duration? {
        guard let entry = entries[key], !expired(entry.lastUpdate, since) else { return nil }
        let elapsed = Duration.seconds(now.timeIntervalSince(since))
        return elapsed < entry.delay ? entry.delay - elapsed : nil
    }

    /// The delay currently applied to `key` (for the "back-off 20s" message).
    func delay(_ key: String) -> Duration { entries[key]?.delay ?? base }

    /// Records a restart (or a retry) of `key` at `now`.
    mutating func next(_ key: String, now: Date) {
        if let entry = entries[key], !expired(entry.lastUpdate, now) {
            entries[key] = (min(entry.delay * 2, cap), now)
        } else {
            entries[key] = (base, now)
        }
    }

    mutating func reset(_ key: String) { entries[key] = nil }

    /// Drops the entries of keys that start with `prefix` (a deleted pod's).
    mutating func forget(prefix: String) { entries = entries.filter { !$0.key.hasPrefix(prefix) } }

    private func expired(_ lastUpdate: Date, _ event: Date) -> Bool {
        Duration.seconds(event.timeIntervalSince(lastUpdate)) > cap * 2
    }
}

extension Duration {
    static func seconds(_ interval: TimeInterval) -> Duration { .nanoseconds(Int64(interval * 1e9)) }

    /// As Go prints a time.Duration of whole seconds: "20s", "1m20s", "5m0s", "1h0m0s".
    var goString: String {
        let total = components.seconds
        let (hours, minutes, seconds) = (total / 3600, total / 60 % 60, total % 60)
        if hours > 0 { return "\(hours)h\(minutes)m\(seconds)s" }
        if minutes > 0 { return "\(minutes)m\(seconds)s" }
        return "\(seconds)s"
    }
}
