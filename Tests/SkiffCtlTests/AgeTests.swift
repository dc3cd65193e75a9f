/// Age: kubectl's short human durations.
import Foundation
import SkiffCtl
import SkiffWire
import Testing

@Suite struct AgeTests {
    static let cases: [(Int64, String)] = [
        (-5, "<invalid>"), (-1, "0s"), (0, "0s"), (5, "5s"), (119, "119s"), (120, "2m"), (182, "3m2s"),
        (599, "9m59s"), (600, "10m"), (10_799, "179m"), (10_800, "3h"), (4 * 3600, "4h"), (5 * 3600 + 30 * 60, "5h30m"),
        (8 * 3600, "8h"), (47 * 3600 + 59 * 60, "47h"), (48 * 3600, "2d"), (3 * 86400 + 4 * 3600, "3d4h"),
        (8 * 86400, "8d"), (400 * 86400, "400d"), (730 * 86400, "2y"), (760 * 86400, "2y30d"), (3000 * 86400, "8y"),
    ]

    @Test(arguments: cases)
    func format(seconds: Int64, text: String) {
        #expect(Age.format(seconds: seconds) == text)
    }

    @Test func sinceATimestamp() {
        #expect(Age.since(Time(seconds: 1_000), now: Date(timeIntervalSince1970: 1_182.9)) == "3m2s")
        #expect(Age.since(nil as Time?, now: Date()) == "<unknown>")
    }
}
