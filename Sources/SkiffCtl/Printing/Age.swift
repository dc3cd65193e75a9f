/// Age: how long ago, in kubectl's short human form: `45s`, `3m2s`, `15m`, `4h`, `5h30m`,
/// `20h`, `3d4h`, `12d`, `2y30d`. More precision while a thing is young, less as it ages,
/// so a column of ages stays narrow.
///
/// Concurrency: pure functions; `now` is always passed in.
import Foundation
import SkiffWire

public enum Age {
    /// A duration in seconds, rounded down to the units shown. A clock up to a second ahead of
    /// ours reads as `0s`; further ahead is `<invalid>`.
    public static func format(seconds: Int64) -> String {
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 120 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 { return compound(minutes, "m", seconds % 60, "s") }
        if minutes < 180 { return "\(minutes)m" }
        let hours = minutes / 60
        if hours < 8 { return compound(hours, "h", minutes % 60, "m") }
        if hours < 48 { return "\(hours)h" }
        let days = hours / 24
        if days < 8 { return compound(days, "d", hours % 24, "h") }
        if days < 365 * 2 { return "\(days)d" }
        let years = days / 365
        if years < 8 { return compound(years, "y", days % 365, "d") }
        return "\(years)y"
    }

    /// The age of something stamped `time`, or `<unknown>` when it carries no stamp.
    public static func since(_ time: Time?, now: Date) -> String {
        guard let time, time.seconds != 0 else { return "<unknown>" }
        return format(seconds: Int64((now.timeIntervalSince1970 - time.date.timeIntervalSince1970).rounded(.down)))
    }

    public static func since(_ time: MicroTime?, now: Date) -> String {
        guard let time, time.seconds != 0 else { return "<unknown>" }
        return format(seconds: Int64((now.timeIntervalSince1970 - time.date.timeIntervalSince1970).rounded(.down)))
    }

    /// "5h" or "5h30m": the smaller unit only when it is not zero.
    private static func compound(_ large: Int64, _ largeUnit: String, _ small: Int64, _ smallUnit: String) -> String {
        small == 0 ? "\(large)\(largeUnit)" : "\(large)\(largeUnit)\(small)\(smallUnit)"
    }
}
