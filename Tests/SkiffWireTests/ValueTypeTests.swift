import Foundation
import SkiffWire
import Testing

@Suite struct QuantityTests {
    @Test(arguments: [
        ("500m", 500, 1), ("1", 1000, 1), ("0", 0, 0), ("128Mi", 134_217_728_000, 134_217_728),
        ("1Ki", 1_024_000, 1024), ("1.5", 1500, 2), ("2k", 2_000_000, 2000), ("1e3", 1_000_000, 1000),
        ("250u", 1, 1), ("-1", -1000, -1), ("+3", 3000, 3), ("0.1", 100, 1), (".5", 500, 1), ("1G", 1_000_000_000_000, 1_000_000_000),
    ] as [(String, Int64, Int64)])
    func parsesLikeKubernetes(text: String, milli: Int64, value: Int64) throws {
        let quantity = try #require(Quantity(text))
        #expect(quantity.milliValue == milli)
        #expect(quantity.value == value)
        #expect(quantity.string == text)
    }

    /// "0e400" is 0 times infinity, NaN: it trapped in milliValue (a crash the quantity fuzz harness replays).
    @Test(arguments: ["", "m", "1.2.3", "abc", "1 Mi", "1mi", "1e", "--1", "1Z", "Mi1", "0e400", "-0.0E999"])
    func refusesMalformed(text: String) {
        #expect(Quantity(text) == nil)
    }

    @Test func decodesBareNumbersFromYAMLAndJSON() throws {
        struct Holder: Codable { var q: Quantity }
        #expect(try JSONDecoder().decode(Holder.self, from: Data(#"{"q": 2}"#.utf8)).q.string == "2")
        #expect(try JSONDecoder().decode(Holder.self, from: Data(#"{"q": "100Mi"}"#.utf8)).q.value == 104_857_600)
    }
}

@Suite struct IntOrStringTests {
    @Test(arguments: [
        (IntOrString.string("25%"), 10, true, 3), (.string("25%"), 10, false, 2), (.int(4), 10, true, 4),
        (.string("100%"), 7, false, 7), (.string("0%"), 7, true, 0),
    ] as [(IntOrString, Int, Bool, Int)])
    func scalesPercentagesLikeKubernetes(value: IntOrString, total: Int, roundUp: Bool, expected: Int) {
        #expect(value.scaled(total: total, roundUp: roundUp) == expected)
    }

    /// Rounding up used to trap past Int.max - 99, and the product on overflow (crashes the
    /// int-or-string fuzz harness replays); a product too large saturates.
    @Test func hugePercentagesScaleWithoutTrapping() {
        #expect(IntOrString.string("922337203685477580%").scaled(total: 10, roundUp: true) == 92_233_720_368_547_758)
        #expect(IntOrString.string("3074457345618258602%").scaled(total: 3, roundUp: true) == 92_233_720_368_547_759)
        #expect(IntOrString.string("922337203685477580%").scaled(total: 1000, roundUp: false) == Int.max)
    }

    @Test func malformedPercentageIsNil() {
        #expect(IntOrString.string("x%").scaled(total: 10, roundUp: true) == nil)
    }

    @Test func jsonFormIsANumberOrAString() throws {
        #expect(String(decoding: try JSONEncoder().encode([IntOrString.int(8080), .string("http")]), as: UTF8.self)
                == #"[8080,"http"]"#)
        #expect(try JSONDecoder().decode([IntOrString].self, from: Data(#"[80,"25%"]"#.utf8)) == [.int(80), .string("25%")])
    }
}

@Suite struct TimeTests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", 0, 0), ("2026-11-25T08:00:00Z", 1_795_593_600, 0),
        ("2026-11-25T09:00:00+01:00", 1_795_593_600, 0), ("2000-02-29T23:59:59.5Z", 951_868_799, 500_000_000),
        ("1969-12-31T23:59:59Z", -1, 0), ("2026-11-25t08:00:00.123456z", 1_795_593_600, 123_456_000),
    ] as [(String, Int64, Int32)])
    func parsesRFC3339(text: String, seconds: Int64, nanos: Int32) throws {
        let parsed = try #require(RFC3339.parse(text))
        #expect(parsed.seconds == seconds)
        #expect(parsed.nanos == nanos)
    }

    @Test(arguments: ["", "2026-11-25", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-25T08:00:00",
                      "2026-11-25T08:00:00Zjunk", "2026-11-25T25:00:00Z", "2026-11-25T08:00:00.Z"])
    func refusesMalformed(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func formatsAsKubernetesWritesThem() {
        #expect(Time(seconds: 1_795_593_600, nanos: 999).description == "2026-11-25T08:00:00Z")
        #expect(MicroTime(seconds: 1_795_593_600, nanos: 123_456_789).description == "2026-11-25T08:00:00.123456Z")
        #expect(Time(seconds: -1).description == "1969-12-31T23:59:59Z")
    }
}
