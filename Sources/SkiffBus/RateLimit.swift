/// RateLimit and SenderBuckets: per-sender request rate limits for `RequestServer`, as token
/// buckets: each sender may send `burst` requests at once and `rate` per second sustained; a
/// request over that is answered `TooManyRequests` without running its handler.
///
/// Why the key is the envelope's `sender`: nanomsg's SP sockets do not expose the connection a
/// message came in on (a raw REP socket gives an opaque route, which is per pipe but not a
/// stable identity and is recycled), so the sender name is the only per-peer key there is. A
/// peer can claim any name, so this protects the server from a runaway component (a hot loop,
/// a retry storm), not from an adversary; keeping adversaries off the bus is the job of the
/// run directory's mode and the bus key. The number of senders tracked is bounded, so made-up
/// names cannot grow memory without limit.
///
/// Concurrency: `RateLimit` is a Sendable value; `SenderBuckets` is a pure value its owner
/// keeps under a lock, and takes the time as an argument (tests pass a manual clock). Must
/// never: read a clock itself, or let one sender's requests spend another's tokens.
public struct RateLimit: Sendable {
    /// Requests per second each sender may sustain.
    public var rate: Double
    /// Requests a sender may send at once after being idle.
    public var burst: Int
    /// Monotonic nanoseconds; `MonotonicTime.now` unless a test injects its own.
    public var clock: @Sendable () -> UInt64

    public init(rate: Double, burst: Int, clock: @escaping @Sendable () -> UInt64 = { MonotonicTime.now() }) {
        self.rate = max(0, rate)
        self.burst = max(1, burst)
        self.clock = clock
    }

    /// 10,000 requests/s with bursts of 20,000 per sender: several times the busiest sender we
    /// measured (the apiserver at the store: about 6,300 writes/s at 64 clients; the scheduler
    /// benchmark's client: about 2,700 creates/s; paced controllers: 100/s), so normal traffic
    /// never meets it (docs/benchmarks.md).
    public static let `default` = RateLimit(rate: 10_000, burst: 20_000)
}

struct SenderBuckets {
    struct Bucket {
        var tokens: Double
        var updated: UInt64
    }

    let rate: Double
    let burst: Double
    /// Senders tracked at most; beyond it idle (full) buckets are forgotten first, which loses
    /// nothing, then the longest untouched.
    let maxSenders: Int
    private(set) var buckets: [String: Bucket] = [:]

    init(rate: Double, burst: Int, maxSenders: Int = 4096) {
        self.rate = rate
        self.burst = Double(burst)
        self.maxSenders = max(1, maxSenders)
    }

    /// Spends one of `sender`'s tokens at time `now` (nanoseconds); false if it has none.
    mutating func admit(_ sender: String, now: UInt64) -> Bool {
        var bucket = buckets[sender].map { refilled($0, now: now) } ?? Bucket(tokens: burst, updated: now)
        let admitted = bucket.tokens >= 1
        if admitted { bucket.tokens -= 1 }
        if buckets[sender] == nil && buckets.count >= maxSenders { makeRoom(now: now) }
        buckets[sender] = bucket
        return admitted
    }

    private func refilled(_ bucket: Bucket, now: UInt64) -> Bucket {
        guard now > bucket.updated else { return bucket }
        let elapsed = Double(now - bucket.updated) / 1e9
        return Bucket(tokens: min(burst, bucket.tokens + elapsed * rate), updated: now)
    }

    private mutating func makeRoom(now: UInt64) {
        buckets = buckets.filter { refilled($0.value, now: now).tokens < burst }
        while buckets.count >= maxSenders, let oldest = buckets.min(by: { $0.value.updated < $1.value.updated }) {
            buckets[oldest.key] = nil
        }
    }
}
