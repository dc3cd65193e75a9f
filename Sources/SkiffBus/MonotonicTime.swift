/// MonotonicTime and WallTime: the two clocks the bus reads. Deadlines are monotonic
/// nanoseconds (immune to clock steps); what goes on the wire (`sentAtUnixNano`) is wall time.
///
/// Concurrency: pure reads of the system clocks. Must never: mix the two.
#if canImport(Glibc)
import Glibc
#endif

public enum MonotonicTime {
    /// Nanoseconds on CLOCK_MONOTONIC.
    @inline(__always)
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// `now() + duration`, saturating; a negative duration gives now.
    static func deadline(after duration: Duration) -> UInt64 {
        let (sum, overflow) = now().addingReportingOverflow(duration.saturatingNanoseconds)
        return overflow ? UInt64.max : sum
    }
}

public enum WallTime {
    /// Nanoseconds since the Unix epoch.
    public static func unixNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
    }
}

extension Duration {
    /// Whole nanoseconds, clamped to 0...UInt64.max.
    var saturatingNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        guard seconds < Int64(UInt64.max / 1_000_000_000) - 1 else { return UInt64.max }
        return UInt64(seconds) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }

    /// Whole milliseconds, rounded up, clamped to 1...Int32.max (nanomsg option range).
    var clampedMilliseconds: Int32 {
        let millis = (saturatingNanoseconds / 1_000_000) + (saturatingNanoseconds % 1_000_000 == 0 ? 0 : 1)
        return Int32(clamping: max(1, millis))
    }
}
