// RestartBackoff: client-go flowcontrol.Backoff (10 s doubling to 300 s) as CrashLoopBackOff uses it.
import Foundation
import Testing
@testable import SkiffKubelet

@Suite struct UnitRestartBackoffTests {
    @Test func theFirstFailureDoesNotWait() {
        let backoff = RestartBackoff()
        #expect(backoff.remaining("p/a", since: at(0), now: at(0)) == nil)
        #expect(backoff.delay("p/a") == .seconds(10))
    }

    /// After n restarts in a row the delay is 10 s * 2^(n-1), capped at 300 s.
    @Test(arguments: [(1, 10), (2, 20), (3, 40), (4, 80), (5, 160), (6, 300), (7, 300), (12, 300)])
    func eachRestartDoublesTheDelayUpToTheCap(restarts: Int, seconds: Int64) {
        var backoff = RestartBackoff()
        for n in 0..<restarts { backoff.next("p/a", now: at(Double(n))) }
        #expect(backoff.delay("p/a") == .seconds(seconds))
    }

    @Test func aContainerWaitsTheDelayFromItsExit() {
        var backoff = RestartBackoff()
        backoff.next("p/a", now: at(0))
        #expect(backoff.remaining("p/a", since: at(5), now: at(5)) == .seconds(10))
        #expect(backoff.remaining("p/a", since: at(5), now: at(12)) == .seconds(3))
        #expect(backoff.remaining("p/a", since: at(5), now: at(15)) == nil)
        #expect(backoff.remaining("p/a", since: at(5), now: at(100)) == nil)
    }

    @Test func keysBackOffIndependently() {
        var backoff = RestartBackoff()
        backoff.next("p/a", now: at(0))
        backoff.next("p/a", now: at(1))
        backoff.next("p/b", now: at(1))
        #expect(backoff.delay("p/a") == .seconds(20))
        #expect(backoff.delay("p/b") == .seconds(10))
        #expect(backoff.remaining("p/c", since: at(1), now: at(1)) == nil)
    }

    /// An entry untouched for more than twice the cap is forgotten: the next failure restarts
    /// at once and the delay starts again at the base.
    @Test func quietForTwiceTheCapStartsOver() {
        var backoff = RestartBackoff()
        for n in 0..<4 { backoff.next("p/a", now: at(Double(n))) }  // 80 s, last update at 3
        #expect(backoff.remaining("p/a", since: at(603), now: at(603)) == .seconds(80))  // exactly 2 x cap: still on
        #expect(backoff.remaining("p/a", since: at(604), now: at(604)) == nil)
        backoff.next("p/a", now: at(604))
        #expect(backoff.delay("p/a") == .seconds(10))
    }

    @Test func aSmallerCapAndBase() {
        var backoff = RestartBackoff(base: .seconds(1), cap: .seconds(3))
        var delays: [Duration] = []
        for n in 0..<4 { backoff.next("k", now: at(Double(n))); delays.append(backoff.delay("k")) }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(3), .seconds(3)])
    }

    @Test func resetAndForgetDropEntries() {
        var backoff = RestartBackoff()
        for key in ["uid-1/a", "uid-1/b", "uid-10/a", "uid-2/a"] {
            backoff.next(key, now: at(0))
            backoff.next(key, now: at(1))
        }
        backoff.reset("uid-2/a")
        #expect(backoff.delay("uid-2/a") == .seconds(10))
        #expect(backoff.remaining("uid-2/a", since: at(1), now: at(1)) == nil)

        backoff.forget(prefix: "uid-1/")
        #expect(backoff.remaining("uid-1/a", since: at(1), now: at(1)) == nil)
        #expect(backoff.remaining("uid-1/b", since: at(1), now: at(1)) == nil)
        #expect(backoff.remaining("uid-10/a", since: at(1), now: at(1)) == .seconds(20))
    }

    /// client-go prints the delay as a Go duration ("1m20s"), and so does the kubelet's
    /// CrashLoopBackOff message; under a minute both read "20s".
    @Test(arguments: [(4, "1m20s"), (6, "5m0s")])
    func longDelaysReadAsGoDurations(restarts: Int, printed: String) {
        var backoff = RestartBackoff()
        for n in 0..<restarts { backoff.next("uid-1/a", now: at(Double(n))) }
        let pod = makePod(["a"])
        let result = PodSyncPlanner.plan(pod: pod, view: PodRuntimeView(sandboxes: [sandbox()], containers: [
            instance("a", .exited(1), attempt: restarts, finished: 10),
        ]), backoff: backoff, now: at(11))
        #expect(result.waiting["a"]?.message == "back-off \(printed) restarting failed container=a pod=web_default(uid-1)")
    }
}
