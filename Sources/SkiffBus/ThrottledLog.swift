/// ThrottledLog: counts an event that a peer can cause at will (a message that does not
/// authenticate, a sender over its rate limit) and logs it the first time and then at most
/// once per interval, with the count since the last line, so a flood cannot flood the log.
///
/// Concurrency: a value; its owner keeps it under its own lock. Must never: log more than
/// once per interval, or lose a count.
import Logging

struct ThrottledLog {
    /// Events since creation.
    private(set) var total = 0
    private var sinceLastLine = 0
    private var lastLine: UInt64?
    let interval: UInt64

    /// `interval` in nanoseconds of `MonotonicTime`; default 10 s.
    init(interval: Duration = .seconds(10)) {
        self.interval = interval.saturatingNanoseconds
    }

    /// Counts one event; returns the count to log now (events since the last line, this one
    /// included), or nil to stay quiet.
    mutating func note(now: UInt64) -> Int? {
        total += 1
        sinceLastLine += 1
        if let lastLine, now &- lastLine < interval { return nil }
        lastLine = now
        defer { sinceLastLine = 0 }
        return sinceLastLine
    }
}
