/// Rendezvous hashing: one owner per key, stable under membership changes, evenly spread.
@testable import SkiffControllers
import Testing

@Suite struct ShardRingTests {
    let keys = (0..<3000).map { "default/rs-\($0)" }

    @Test func everyKeyHasExactlyTheOwnerEveryInstanceComputes() {
        let a = ShardRing(members: ["x", "y", "z"]), b = ShardRing(members: ["z", "x", "y", "x"])
        for key in keys { #expect(a.owner(of: key) == b.owner(of: key)) }
        #expect(ShardRing(members: []).owner(of: "k") == nil)
    }

    @Test func keysSpreadEvenlyOverThreeMembers() {
        let ring = ShardRing(members: ["controller-a", "controller-b", "controller-c"])
        var counts: [String: Int] = [:]
        for key in keys { counts[ring.owner(of: key)!, default: 0] += 1 }
        #expect(counts.count == 3)
        for count in counts.values { #expect((800...1200).contains(count), "\(counts)") }
    }

    @Test func aMemberLeavingMovesOnlyItsOwnKeys() {
        let before = ShardRing(members: ["a", "b", "c"]), after = ShardRing(members: ["a", "c"])
        for key in keys where before.owner(of: key) != "b" {
            #expect(after.owner(of: key) == before.owner(of: key))
        }
    }

    @Test func aMemberJoiningTakesKeysOnlyForItself() {
        let before = ShardRing(members: ["a", "b"]), after = ShardRing(members: ["a", "b", "c"])
        var moved = 0
        for key in keys where after.owner(of: key) != before.owner(of: key) {
            #expect(after.owner(of: key) == "c")
            moved += 1
        }
        #expect((800...1200).contains(moved))
    }
}
