/// SequenceTracker: gap detection for subscribers. Every publisher numbers its messages per
/// topic 1, 2, 3, ... within an epoch (a random id chosen when the publisher starts); the
/// tracker remembers, per (sender, topic), the epoch and last sequence seen and turns a jump
/// into a `Gap`, so a consumer knows to resync (list again) instead of trusting a stream
/// that lost messages. Pub/sub loses messages by design in nanomsg; this is how loss shows.
///
/// Concurrency: a value type, owned by one subscriber and touched by one thread at a time.
/// Must never: report the first message of a stream it has not seen before as a gap (a
/// subscriber joins mid-stream; its consumer lists first), or deliver a message twice.
public struct Gap: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Sequence numbers were skipped within one epoch: the publisher dropped messages
        /// (its send buffer to this subscriber was full) or the connection was reset.
        case missed
        /// The sender started a new epoch (it restarted): whatever it published since the
        /// last message seen from `previousEpoch` is unknown.
        case reset(previousEpoch: String)
        /// This subscriber's own buffer was full because its consumer fell behind, and it
        /// discarded messages it had received.
        case overflow
    }

    public var kind: Kind
    /// The publisher's sender name.
    public var sender: String
    public var topic: String
    /// The epoch the missing messages belong to (for `.reset`, the new one).
    public var epoch: String
    /// How many messages are known to be missing (for `.reset`, only those of the new epoch
    /// before the first one seen; the old epoch's tail is unknown).
    public var missed: UInt64
    /// First and last missing sequence numbers, when there are any.
    public var firstMissed: UInt64?
    public var lastMissed: UInt64?

    public init(kind: Kind, sender: String, topic: String, epoch: String, missed: UInt64,
                firstMissed: UInt64? = nil, lastMissed: UInt64? = nil) {
        self.kind = kind
        self.sender = sender
        self.topic = topic
        self.epoch = epoch
        self.missed = missed
        self.firstMissed = firstMissed
        self.lastMissed = lastMissed
    }

    public var description: String {
        let range = firstMissed.map { first in " (\(first)...\(lastMissed ?? first))" } ?? ""
        switch kind {
        case .missed:
            return "gap: \(missed) missed from \(sender) on '\(topic)'\(range)"
        case .reset(let previous):
            return "reset: \(sender) on '\(topic)' moved from epoch \(previous) to \(epoch), \(missed) of the new epoch missed"
        case .overflow:
            return "overflow: \(missed) from \(sender) on '\(topic)' discarded by a slow consumer\(range)"
        }
    }
}

struct SequenceTracker {
    struct StreamKey: Hashable {
        var sender: String
        var topic: String
    }

    struct StreamState {
        var epoch: String
        var last: UInt64
    }

    enum Verdict: Equatable {
        /// In order (or the first of its stream): deliver.
        case deliver
        /// Deliver, after reporting the gap.
        case deliverAfter(Gap)
        /// Already seen (the subscriber reaches the publisher twice): drop.
        case duplicate
    }

    private(set) var streams: [StreamKey: StreamState] = [:]

    mutating func observe(sender: String, topic: String, epoch: String, sequence: UInt64) -> Verdict {
        let key = StreamKey(sender: sender, topic: topic)
        guard let state = streams[key] else {
            streams[key] = StreamState(epoch: epoch, last: sequence)
            return .deliver
        }
        if state.epoch != epoch {
            streams[key] = StreamState(epoch: epoch, last: sequence)
            let missed = sequence > 1 ? sequence - 1 : 0
            return .deliverAfter(Gap(kind: .reset(previousEpoch: state.epoch), sender: sender, topic: topic,
                                     epoch: epoch, missed: missed,
                                     firstMissed: missed > 0 ? 1 : nil, lastMissed: missed > 0 ? missed : nil))
        }
        guard sequence > state.last else { return .duplicate }
        streams[key]!.last = sequence
        if sequence == state.last + 1 { return .deliver }
        return .deliverAfter(Gap(kind: .missed, sender: sender, topic: topic, epoch: epoch,
                                 missed: sequence - state.last - 1,
                                 firstMissed: state.last + 1, lastMissed: sequence - 1))
    }
}

/// Messages a subscriber received but could not hand to its consumer, summed per stream until
/// they can be reported as `.overflow` gaps.
struct OverflowLedger {
    private var gaps: [SequenceTracker.StreamKey: Gap] = [:]
    private var order: [SequenceTracker.StreamKey] = []

    var isEmpty: Bool { gaps.isEmpty }

    mutating func record(sender: String, topic: String, epoch: String, sequence: UInt64) {
        merge(Gap(kind: .overflow, sender: sender, topic: topic, epoch: epoch, missed: 1,
                  firstMissed: sequence, lastMissed: sequence))
    }

    /// Adds an overflow gap to the stream's running total (a new epoch replaces the old).
    mutating func merge(_ gap: Gap) {
        let key = SequenceTracker.StreamKey(sender: gap.sender, topic: gap.topic)
        guard var total = gaps[key] else {
            order.append(key)
            gaps[key] = gap
            return
        }
        guard total.epoch == gap.epoch else {
            gaps[key] = gap
            return
        }
        total.missed += gap.missed
        total.firstMissed = [total.firstMissed, gap.firstMissed].compactMap { $0 }.min()
        total.lastMissed = [total.lastMissed, gap.lastMissed].compactMap { $0 }.max()
        gaps[key] = total
    }

    /// Removes and returns every recorded gap, oldest stream first.
    mutating func take() -> [Gap] {
        defer {
            gaps = [:]
            order = []
        }
        return order.compactMap { gaps[$0] }
    }
}
