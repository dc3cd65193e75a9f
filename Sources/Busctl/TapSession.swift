/// TapSession: the loop of `busctl tap`: takes a subscriber's events and writes one formatted
/// line per message and per gap to a sink, until the stream ends (the subscriber was closed,
/// e.g. by `--timeout`) or `limit` messages were written (`--count`). Gaps are printed but do
/// not count as messages.
///
/// Concurrency: `run` is called from one task and iterates the stream from it; the stream's
/// producer (the bus reactor) is never blocked by it. Must never: print more than `limit`
/// messages, or stop at a gap.
import SkiffBus
import SkiffCommandLine

public struct TapSession: Sendable {
    public var formatter: TapFormatter
    /// Messages to print before stopping; nil for no limit.
    public var limit: Int?
    public var sink: any LineSink
    /// The wall-clock time (Unix nanoseconds) of a monotonic receive instant.
    public var wallTime: @Sendable (ContinuousClock.Instant) -> Int64

    public init(formatter: TapFormatter, limit: Int? = nil, sink: any LineSink = FileDescriptorSink.standardOutput,
                wallTime: @escaping @Sendable (ContinuousClock.Instant) -> Int64 = TapSession.systemWallTime) {
        self.formatter = formatter
        self.limit = limit
        self.sink = sink
        self.wallTime = wallTime
    }

    /// Writes lines for `events` until the stream ends or the limit is reached; returns the
    /// number of messages written.
    public func run(_ events: AsyncStream<SubscriptionEvent>) async -> Int {
        var printed = 0
        if let limit, limit <= 0 { return 0 }
        for await event in events {
            switch event {
            case .gap(let gap):
                sink.write(line: formatter.line(for: gap, at: wallTime(.now)))
            case .messages(let messages):
                for message in messages {
                    sink.write(line: formatter.line(for: message, receivedAtUnixNano: wallTime(message.receivedAt)))
                    printed += 1
                    if let limit, printed >= limit { return printed }
                }
            }
        }
        return printed
    }

    /// Maps a monotonic instant to wall-clock time by its distance from now.
    @Sendable public static func systemWallTime(_ instant: ContinuousClock.Instant) -> Int64 {
        let age = ContinuousClock.now - instant
        let (seconds, attoseconds) = age.components
        return WallTime.unixNanoseconds() - (seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

