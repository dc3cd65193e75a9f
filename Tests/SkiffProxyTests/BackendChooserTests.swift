/// The userspace relay's choice of backend: random without affinity, sticky with it until the
/// timeout, never a backend that left the ready list.
@testable import SkiffProxy
import SkiffAPI
import Testing

@Suite("BackendChooser")
struct BackendChooserTests {
    let backends = ["10.244.1.2:8080", "10.244.1.3:8080"].map(Fixtures.backend)
    let client = IPv4Address("10.244.1.9")!

    @Test("without affinity, both backends are chosen over many connections")
    func spreads() {
        let chooser = BackendChooser(backends: backends, affinitySeconds: nil)
        let chosen = Set((0..<200).compactMap { _ in chooser.choose(client: client) })
        #expect(chosen == Set(backends))
    }

    @Test("with ClientIP affinity, a client keeps its backend while it keeps coming back within the timeout")
    func sticks() {
        let chooser = BackendChooser(backends: backends, affinitySeconds: 10)
        var now = ContinuousClock.now
        let first = chooser.choose(client: client, now: now)
        for _ in 0..<50 {
            now += .seconds(9)
            #expect(chooser.choose(client: client, now: now) == first)
        }
    }

    @Test("affinity ends after the timeout, and never survives its backend leaving")
    func expires() {
        let chooser = BackendChooser(backends: backends, affinitySeconds: 10)
        let start = ContinuousClock.now
        // After the timeout the choice is random again: over many clients both backends appear.
        var later: Set<Backend> = []
        for index in 0..<100 {
            let someone = IPv4Address(UInt32(0x0AF4_0200) + UInt32(index))
            _ = chooser.choose(client: someone, now: start)
            if let chosen = chooser.choose(client: someone, now: start + .seconds(11)) { later.insert(chosen) }
        }
        #expect(later == Set(backends))

        let held = chooser.choose(client: client, now: start)!
        let other = backends.first { $0 != held }!
        chooser.update(backends: [other], affinitySeconds: 10)
        #expect(chooser.choose(client: client, now: start + .seconds(1)) == other)
        chooser.update(backends: [], affinitySeconds: 10)
        #expect(chooser.choose(client: client, now: start + .seconds(2)) == nil)
    }
}
