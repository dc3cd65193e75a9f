// The store's pure functions, table-tested: which keys a request selects, prefix range ends,
// and how a commit's events are split into bus messages.
import Testing
import SkiffBus
@testable import SkiffStore
import SkiffStoreClient
import SkiffWire

@Suite struct PureLogicTests {
    @Test(arguments: [
        ("a", nil, KeySelection.single("a")),
        ("a", "", .single("a")),
        ("a", "b", .interval(from: "a", to: "b")),
        ("", "b", .interval(from: "", to: "b")),
        (nil, "b", .interval(from: "", to: "b")),
    ] as [(String?, String?, KeySelection)])
    func rangeSelection(key: String?, rangeEnd: String?, expected: KeySelection) throws {
        #expect(try RequestValidation.selection(key: key, rangeEnd: rangeEnd, limits: RequestLimits()) == expected)
    }

    @Test(arguments: [
        ("", "", KeySelection.all),
        (nil, "z", .all),
        ("a", "", .single("a")),
        ("a", "b", .interval(from: "a", to: "b")),
    ] as [(String?, String?, KeySelection)])
    func historySelection(key: String?, rangeEnd: String?, expected: KeySelection) throws {
        #expect(try RequestValidation.historySelection(key: key, rangeEnd: rangeEnd, limits: RequestLimits()) == expected)
    }

    @Test(arguments: [
        ("/registry/pods/", "/registry/pods0"),
        ("a", "b"),
        ("az", "a{"),
        ("\u{7F}", "\u{80}"),
        ("x\u{D7FF}", "x\u{E000}"),
        ("x\u{10FFFF}", "y"),
        ("é", "ê"),
        ("", "\u{10FFFF}"),
    ])
    func prefixEnds(prefix: String, expected: String) {
        #expect(prefixEnd(for: prefix) == expected)
    }

    /// Every key with the prefix sorts (in bytes) inside [prefix, prefixEnd); the neighbours
    /// just outside do not.
    @Test(arguments: ["/registry/pods/", "a\u{7F}", "é", "x\u{D7FF}", "ab\u{10FFFF}"])
    func prefixEndBoundsExactlyThePrefixedKeys(prefix: String) {
        let end = prefixEnd(for: prefix)
        let inside = [prefix, prefix + "\u{0}", prefix + "zzz", prefix + "\u{10FFFF}\u{10FFFF}"]
        for key in inside {
            #expect(!key.precedesInByteOrder(prefix) && key.precedesInByteOrder(end), "\(key.unicodeScalars.map(\.value))")
        }
        #expect(!end.hasPrefix(prefix))
    }

    @Test(arguments: [
        ([10, 10, 10], 1000, [3]),
        ([10, 10, 10], 160, [2, 1]),
        ([500, 10, 10], 160, [1, 2]),
        ([10, 500, 10], 160, [1, 1, 1]),
        ([], 150, []),
    ] as [([Int], Int, [Int])])
    func eventSplitting(valueSizes: [Int], maxBytes: Int, expectedParts: [Int]) {
        let events = valueSizes.enumerated().map { index, size in
            StoreEvent(type: "PUT", kv: KeyValue(key: "k\(index)", value: [UInt8](repeating: 1, count: size)))
        }
        let parts = EventSplitting.split(events, maxBytes: maxBytes)
        #expect(parts.map(\.count) == expectedParts)
        #expect(parts.flatMap { $0 } == events)
    }

    @Test func clientAndServerSpellTheErrorCodesAlike() {
        #expect(BusError.Code.invalidArgument == StoreFailure.invalidArgument)
        #expect(BusError.Code.compacted == StoreFailure.compacted)
        #expect(BusError.Code.futureRevision == StoreFailure.futureRevision)
        #expect(BusError.Code.storageFailed == StoreFailure.storageFailed)
        #expect(StoreEvent.putType == StoreEventType.put)
        #expect(StoreEvent.deleteType == StoreEventType.delete)
        #expect(StoreClient.eventsTopic == StoreServer.eventsTopic)
        #expect(StoreClient.component == StoreServer.component)
    }
}
