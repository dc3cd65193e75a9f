// The per-key exponential backoff: client-go's defaults (5 ms doubling, capped at 1000 s).
import SkiffClient
import Testing

@Suite struct RateLimiterTests {
    @Test(arguments: [
        (0, Duration.milliseconds(5)),
        (1, .milliseconds(10)),
        (2, .milliseconds(20)),
        (10, .milliseconds(5120)),
        (17, .milliseconds(655_360)),
        (18, .seconds(1000)),  // 1310.72 s, capped
        (100, .seconds(1000)),
        (Int.max, .seconds(1000)),
    ])
    func defaultDelayAfterFailures(failures: Int, expected: Duration) {
        #expect(ExponentialBackoffRateLimiter<String>.delay(
            afterFailures: failures, base: .milliseconds(5), cap: .seconds(1000)) == expected)
    }

    @Test func eachKeyBacksOffOnItsOwnUntilForgotten() {
        let limiter = ExponentialBackoffRateLimiter<String>()
        #expect([limiter.when("a"), limiter.when("a"), limiter.when("a")]
                == [.milliseconds(5), .milliseconds(10), .milliseconds(20)])
        #expect(limiter.when("b") == .milliseconds(5))
        #expect(limiter.numRequeues("a") == 3)
        #expect(limiter.numRequeues("b") == 1)

        limiter.forget("a")
        #expect(limiter.numRequeues("a") == 0)
        #expect(limiter.when("a") == .milliseconds(5))
        #expect(limiter.numRequeues("b") == 1)
    }

    @Test func customBaseAndCap() {
        let limiter = ExponentialBackoffRateLimiter<Int>(base: .seconds(1), cap: .seconds(3))
        #expect((0..<4).map { _ in limiter.when(7) } == [.seconds(1), .seconds(2), .seconds(3), .seconds(3)])
    }
}
