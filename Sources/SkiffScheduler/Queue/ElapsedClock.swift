/// ElapsedClock: an injected `Clock<Duration>` (ContinuousClock in production, SkiffClient's
/// ManualClock in tests) read as the time elapsed since the scheduler started, so queue state can
/// store plain Durations and stay a pure value that tests drive with explicit times.
///
/// Concurrency: Sendable; any task may read it or sleep on it. Must never: read wall time.
struct ElapsedClock: Sendable {
    let now: @Sendable () -> Duration
    let sleep: @Sendable (Duration) async throws -> Void

    init<C: Clock<Duration>>(_ clock: C) {
        let start = clock.now
        now = { start.duration(to: clock.now) }
        sleep = { duration in try await clock.sleep(until: clock.now.advanced(by: duration), tolerance: nil) }
    }
}
