// StoreEngine scenarios: revisions and per-key metadata, ranges (prefix, limit, count, past
// revisions), transactions with compares, deletes, history paging, compaction, reopening,
// the directory lock, and refusal of bad input.
import Foundation
import Testing
import SkiffBus
@testable import SkiffStore
import SkiffWire

@Suite struct StoreEngineTests {
    @Test func everyWriteTakesTheNextRevisionAndKeysKeepTheirMetadata() async throws {
        try await withEngine { engine, _ in
            #expect(engine.revision == 0)
            #expect(try await engine.put("a", "1") == 1)
            #expect(try await engine.get("a") == KeyValue(key: "a", value: bytes("1"), createRevision: 1, modRevision: 1, version: 1))
            #expect(try await engine.put("a", "2") == 2)
            #expect(try await engine.get("a") == KeyValue(key: "a", value: bytes("2"), createRevision: 1, modRevision: 2, version: 2))
            #expect(try await engine.put("b", "1") == 3)

            // Two writes in one transaction share one revision.
            let pair = try await engine.txn(TxnRequest(success: [Operation(key: "c", value: bytes("c")),
                                                                 Operation(key: "d", value: bytes("d"))]))
            #expect(pair == TxnResponse(revision: 4, succeeded: true))
            #expect(try await engine.get("c")?.modRevision == 4)
            #expect(try await engine.get("d")?.modRevision == 4)

            // A delete takes a revision; a re-created key starts over.
            #expect(try await engine.remove("a").revision == 5)
            #expect(try await engine.get("a") == nil)
            #expect(try await engine.put("a", "3") == 6)
            #expect(try await engine.get("a") == KeyValue(key: "a", value: bytes("3"), createRevision: 6, modRevision: 6, version: 1))

            // Changing nothing takes no revision.
            #expect(try await engine.remove("missing") == TxnResponse(revision: 6, succeeded: true))
            #expect(try await engine.txn(TxnRequest()) == TxnResponse(revision: 6, succeeded: true))
            #expect(engine.revision == 6)
            #expect(try await engine.status().revision == 6)
        }
    }

    @Test func valuesAreBytesAsGiven() async throws {
        try await withEngine { engine, _ in
            let binary: [UInt8] = [0, 255, 0, 1, 0x80]
            _ = try await engine.txn(TxnRequest(success: [Operation(key: "empty", value: []), Operation(key: "binary", value: binary),
                                                          Operation(key: "absent")]))
            #expect(try await engine.get("empty")?.value == [])
            #expect(try await engine.get("binary")?.value == binary)
            #expect(try await engine.get("absent")?.value == [])
        }
    }

    @Test func rangesReadKeysInByteOrderWithLimitAndCount() async throws {
        try await withEngine { engine, _ in
            for key in ["/p/b", "/p/a", "/q/x", "/p/c", "/p", "/p/é", "/p/Z"] { try await engine.put(key, key) }

            let prefix = try await engine.range(RangeRequest(key: "/p/", rangeEnd: "/p0"))
            #expect(prefix.kvs.map(\.key) == ["/p/Z", "/p/a", "/p/b", "/p/c", "/p/é"])
            #expect(prefix.count == 5)
            #expect(prefix.more == false)
            #expect(prefix.revision == 7)

            let limited = try await engine.range(RangeRequest(key: "/p/", rangeEnd: "/p0", limit: 2))
            #expect(limited.kvs.map(\.key) == ["/p/Z", "/p/a"])
            #expect(limited.count == 5)
            #expect(limited.more == true)

            let exact = try await engine.range(RangeRequest(key: "/p/", rangeEnd: "/p0", limit: 5))
            #expect(exact.kvs.count == 5)
            #expect(exact.more == false)

            let counted = try await engine.range(RangeRequest(key: "/p/", rangeEnd: "/p0", countOnly: true))
            #expect(counted.kvs.isEmpty)
            #expect(counted.count == 5)

            let single = try await engine.range(RangeRequest(key: "/p"))
            #expect(single.kvs.map(\.key) == ["/p"])
            #expect(single.count == 1)

            let missing = try await engine.range(RangeRequest(key: "/nope"))
            #expect(missing.kvs.isEmpty)
            #expect(missing.count == 0)
            #expect(missing.more == false)

            // From the first key; and an end at or before the start is an empty range.
            #expect(try await engine.range(RangeRequest(key: "", rangeEnd: "/q")).count == 6)
            #expect(try await engine.range(RangeRequest(key: "/q", rangeEnd: "/p")).kvs.isEmpty)
        }
    }

    @Test func rangeAtPastRevisionsSeesEachStateInTurn() async throws {
        try await withEngine { engine, _ in
            try await engine.put("a", "1")  // 1
            try await engine.put("b", "1")  // 2
            try await engine.put("a", "2")  // 3
            try await engine.remove("b")    // 4
            try await engine.put("c", "1")  // 5
            try await engine.put("b", "2")  // 6
            let expected: [Int64: [String]] = [
                1: ["a=1"],
                2: ["a=1", "b=1"],
                3: ["a=2", "b=1"],
                4: ["a=2"],
                5: ["a=2", "c=1"],
                6: ["a=2", "b=2", "c=1"],
            ]
            for (revision, listing) in expected {
                #expect(try await engine.listing(at: revision) == listing, "at revision \(revision)")
            }
            #expect(try await engine.listing() == expected[6])

            let pastB = try #require(try await engine.get("b", at: 2))
            #expect(pastB == KeyValue(key: "b", value: bytes("1"), createRevision: 2, modRevision: 2, version: 1))
            #expect(try await engine.get("b", at: 6)?.createRevision == 6)

            let limited = try await engine.range(RangeRequest(key: "a", rangeEnd: "z", limit: 1, revision: 3))
            #expect(limited.kvs.map(\.key) == ["a"])
            #expect(limited.count == 2)
            #expect(limited.more == true)
            #expect(limited.revision == 3)
            #expect(try await engine.range(RangeRequest(key: "a", rangeEnd: "z", revision: 5, countOnly: true)).count == 2)
        }
    }

    @Test func readingAFutureRevisionFails() async throws {
        try await withEngine { engine, _ in
            try await engine.put("a", "1")
            do throws(BusError) {
                _ = try await engine.range(RangeRequest(key: "a", revision: 2))
                Issue.record("range at a future revision succeeded")
            } catch {
                #expect(error.code == StoreFailure.futureRevision)
                #expect(error.message == "mvcc: required revision 2 is a future revision; current revision is 1")
            }
        }
    }

    @Test func transactionAppliesOnlyWhenEveryCompareHolds() async throws {
        try await withEngine { engine, _ in
            let create = TxnRequest(compare: [Compare(key: "x", modRevision: 0)], success: [Operation(key: "x", value: bytes("1"))])
            #expect(try await engine.txn(create) == TxnResponse(revision: 1, succeeded: true))

            // Creating again fails and shows what is there.
            let again = try await engine.txn(create)
            #expect(again.succeeded == false)
            #expect(again.revision == 1)
            #expect(again.current == [KeyValue(key: "x", value: bytes("1"), createRevision: 1, modRevision: 1, version: 1)])

            // A stale modRevision fails; the right one succeeds.
            let stale = TxnRequest(compare: [Compare(key: "x", modRevision: 7)], success: [Operation(key: "x", value: bytes("2"))])
            #expect(try await engine.txn(stale).succeeded == false)
            let fresh = TxnRequest(compare: [Compare(key: "x", modRevision: 1)], success: [Operation(key: "x", value: bytes("2"))])
            #expect(try await engine.txn(fresh) == TxnResponse(revision: 2, succeeded: true))

            // One failing compare of several: nothing is written; existing compared keys come back once.
            try await engine.put("y", "1")  // 3
            let mixed = TxnRequest(compare: [Compare(key: "x", modRevision: 2), Compare(key: "y", modRevision: 1),
                                             Compare(key: "x", modRevision: 2), Compare(key: "ghost", modRevision: 0)],
                                   success: [Operation(key: "x", value: bytes("3")), Operation(key: "z", value: bytes("3"))])
            let failed = try await engine.txn(mixed)
            #expect(failed.succeeded == false)
            #expect(failed.revision == 3)
            #expect(failed.current.map(\.key) == ["x", "y"])
            #expect(try await engine.get("x")?.value == bytes("2"))
            #expect(try await engine.get("z") == nil)
            #expect(engine.revision == 3)

            // A missing key compares equal to 0 only.
            let ghost = try await engine.txn(TxnRequest(compare: [Compare(key: "ghost", modRevision: 5)]))
            #expect(ghost.succeeded == false)
            #expect(ghost.current.isEmpty)
        }
    }

    @Test func deleteEventsCarryTheLastValue() async throws {
        try await withEngine(onCommit: nil) { engine, _ in
            try await engine.put("k", "v1")      // 1
            try await engine.put("k", "v2")      // 2
            try await engine.remove("k")         // 3
            let events = try await engine.allHistory()
            #expect(events == [
                StoreEvent(type: "PUT", kv: KeyValue(key: "k", value: bytes("v1"), createRevision: 1, modRevision: 1, version: 1)),
                StoreEvent(type: "PUT", kv: KeyValue(key: "k", value: bytes("v2"), createRevision: 1, modRevision: 2, version: 2)),
                StoreEvent(type: "DELETE", kv: KeyValue(key: "k", value: bytes("v2"), createRevision: 1, modRevision: 3, version: 0)),
            ])
        }
    }

    @Test func commitListenerSeesTheSameEventsAsHistory() async throws {
        let recorder = CommitRecorder()
        try await withEngine(onCommit: recorder.listener) { engine, _ in
            try await engine.put("b", "1")
            _ = try await engine.txn(TxnRequest(success: [Operation(key: "z", value: bytes("z")), Operation(key: "a", value: bytes("a")),
                                                          Operation(key: "b", delete: true)]))
            try await engine.remove("nothing-here")
            #expect(recorder.events == (try await engine.allHistory()))
            #expect(recorder.events.map { "\($0.type ?? "") \($0.kv?.key ?? "")@\($0.kv?.modRevision ?? 0)" }
                    == ["PUT b@1", "PUT a@2", "DELETE b@2", "PUT z@2"])
            #expect(recorder.revisions == [1, 2])
        }
    }

    @Test func historyPagesNeverSplitARevision() async throws {
        try await withEngine { engine, _ in
            // Revisions 1...6, with three keys at revision 3 and two at 5.
            try await engine.put("/a/1", "x")
            try await engine.put("/b/1", "x")
            _ = try await engine.txn(TxnRequest(success: ["/a/2", "/a/3", "/b/2"].map { Operation(key: $0, value: bytes("x")) }))
            try await engine.put("/a/1", "y")
            _ = try await engine.txn(TxnRequest(success: [Operation(key: "/a/1", delete: true), Operation(key: "/b/1", value: bytes("y"))]))
            try await engine.put("/c/1", "x")

            let all = try await engine.allHistory()
            #expect(all.map { $0.kv?.modRevision ?? 0 } == [1, 2, 3, 3, 3, 4, 5, 5, 6])

            let firstPage = try await engine.history(HistoryRequest(afterRevision: 0, limit: 3))
            #expect(firstPage.events.map { $0.kv?.modRevision ?? 0 } == [1, 2, 3, 3, 3])
            #expect(firstPage.more == true)
            #expect(firstPage.revision == 6)

            for limit: Int64 in [1, 2, 3, 4, 100] {
                #expect(try await engine.allHistory(limit: limit) == all, "limit \(limit)")
            }
            let tail = try await engine.history(HistoryRequest(afterRevision: 4))
            #expect(tail.events.map { $0.kv?.modRevision ?? 0 } == [5, 5, 6])
            #expect(tail.more == false)
            #expect(try await engine.history(HistoryRequest(afterRevision: 6)).events.isEmpty)

            // Filtered by key and by range.
            let single = try await engine.allHistory(key: "/a/1")
            #expect(single.map { "\($0.type ?? "")@\($0.kv?.modRevision ?? 0)" } == ["PUT@1", "PUT@4", "DELETE@5"])
            let prefixB = try await engine.allHistory(key: "/b/", rangeEnd: "/b0", limit: 1)
            #expect(prefixB.map { "\($0.kv?.key ?? "")@\($0.kv?.modRevision ?? 0)" } == ["/b/1@2", "/b/2@3", "/b/1@5"])
        }
    }

    @Test func historyPagesAreCappedInBytes() async throws {
        var options = StoreEngine.Options()
        options.historyPageBytes = 250
        try await withEngine(options: options) { engine, _ in
            let big = String(repeating: "v", count: 100)
            for index in 1...10 { try await engine.put("k\(index)", big) }
            let page = try await engine.history(HistoryRequest(afterRevision: 0))
            #expect(page.events.count == 3)
            #expect(page.more == true)
            #expect(try await engine.allHistory().count == 10)
        }
    }

    @Test func compactionKeepsEveryStateFromTheCompactRevisionOn() async throws {
        try await withEngine(options: StoreEngine.Options(historyRevisions: 0)) { engine, _ in
            try await engine.put("a", "1")  // 1
            try await engine.put("b", "1")  // 2
            try await engine.put("c", "1")  // 3
            try await engine.put("a", "2")  // 4
            try await engine.remove("b")    // 5
            try await engine.put("a", "3")  // 6
            try await engine.remove("c")    // 7
            try await engine.put("d", "1")  // 8
            try await engine.put("a", "4")  // 9
            var before: [Int64: [String]] = [:]
            for revision in Int64(1)...9 { before[revision] = try await engine.listing(at: revision) }
            let historyBefore = try await engine.allHistory(after: 5)

            let response = try await engine.compact(CompactRequest(revision: 7))
            #expect(response.compactRevision == 7)
            #expect(engine.compactRevision == 7)
            #expect(try await engine.status().compactRevision == 7)

            for revision in Int64(7)...9 {
                #expect(try await engine.listing(at: revision) == before[revision], "at revision \(revision)")
            }
            do throws(BusError) {
                _ = try await engine.range(RangeRequest(key: "a", revision: 6))
                Issue.record("range below the compact revision succeeded")
            } catch {
                #expect(error.code == StoreFailure.compacted)
                #expect(error.message == "mvcc: required revision 6 has been compacted; compact revision is 7")
            }
            // Events from the compact revision on survive; older ones are gone.
            #expect(try await engine.allHistory(after: 6) == historyBefore.filter { ($0.kv?.modRevision ?? 0) > 6 })
            #expect(await busErrorCode { _ = try await engine.history(HistoryRequest(afterRevision: 5)) } == "Compacted")

            // Compacting again at or before the compact revision, or in the future, fails.
            #expect(await busErrorCode { _ = try await engine.compact(CompactRequest(revision: 7)) } == "Compacted")
            #expect(await busErrorCode { _ = try await engine.compact(CompactRequest(revision: 10)) } == "FutureRevision")
            #expect(try await engine.compact(CompactRequest(revision: 9)).compactRevision == 9)
            #expect(try await engine.listing(at: 9) == before[9])
            #expect(try await engine.listing() == ["a=4", "d=1"])
        }
    }

    @Test func autoCompactionKeepsTheLastRevisions() async throws {
        try await withEngine(options: StoreEngine.Options(historyRevisions: 5)) { engine, _ in
            for index in 1...20 { try await engine.put("k\(index % 3)", "\(index)") }
            #expect(engine.revision == 20)
            // Compaction runs on the writer right after the commit it follows was acknowledged.
            #expect(await waitUntil { engine.compactRevision == 15 })
            #expect(try await engine.listing(at: 15) == ["k0=15", "k1=13", "k2=14"])
            #expect(await busErrorCode { _ = try await engine.range(RangeRequest(key: "k0", revision: 14)) } == "Compacted")
            #expect(try await engine.allHistory(after: 14).map { $0.kv?.modRevision ?? 0 } == Array(15...20))
        }
    }

    @Test func reopeningKeepsEverythingAndRevisionsContinue() async throws {
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let options = StoreEngine.Options(historyRevisions: 0)
        let first = try StoreEngine(directory: directory, options: options)
        try await first.put("a", "1")
        try await first.put("b", "1")
        try await first.put("a", "2")
        try await first.remove("b")
        _ = try await first.compact(CompactRequest(revision: 2))
        let history = try await first.allHistory(after: 1)
        await first.close()
        #expect(await busErrorCode { _ = try await first.put("late", "x") } == "Closed")

        let second = try StoreEngine(directory: directory, options: options)
        #expect(second.revision == 4)
        #expect(second.compactRevision == 2)
        #expect(try await second.get("a") == KeyValue(key: "a", value: bytes("2"), createRevision: 1, modRevision: 3, version: 2))
        #expect(try await second.listing(at: 2) == ["a=1", "b=1"])
        #expect(try await second.allHistory(after: 1) == history)
        #expect(try await second.put("c", "1") == 5)
        await second.close()
    }

    @Test func aDataDirectoryServesOneEngineAtATime() async throws {
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let first = try StoreEngine(directory: directory)
        do {
            _ = try StoreEngine(directory: directory)
            Issue.record("a second engine opened a locked data directory")
        } catch {
            #expect(error.code == StoreFailure.storageFailed)
            #expect(error.message.contains("another store is using this data directory"))
        }
        await first.close()
        let second = try StoreEngine(directory: directory)
        await second.close()
    }

    struct InvalidRequest: Sendable, CustomTestStringConvertible {
        let name: String
        let send: @Sendable (StoreEngine) async throws -> Void
        init(_ name: String, _ send: @escaping @Sendable (StoreEngine) async throws -> Void) {
            self.name = name
            self.send = send
        }
        var testDescription: String { name }
    }

    static let invalidRequests: [InvalidRequest] = [
        InvalidRequest("range with an empty key", { _ = try await $0.range(RangeRequest(key: "")) }),
        InvalidRequest("range with no key", { _ = try await $0.range(RangeRequest()) }),
        InvalidRequest("range with a NUL in the key", { _ = try await $0.range(RangeRequest(key: "a\u{0}b")) }),
        InvalidRequest("range with a negative limit", { _ = try await $0.range(RangeRequest(key: "a", limit: -1)) }),
        InvalidRequest("range at a negative revision", { _ = try await $0.range(RangeRequest(key: "a", revision: -3)) }),
        InvalidRequest("put with an empty key", { _ = try await $0.txn(TxnRequest(success: [Operation(key: "", value: [1])])) }),
        InvalidRequest("put with no key", { _ = try await $0.txn(TxnRequest(success: [Operation(value: [1])])) }),
        InvalidRequest("compare with an empty key", { _ = try await $0.txn(TxnRequest(compare: [Compare(key: "")])) }),
        InvalidRequest("compare with a negative revision", { _ = try await $0.txn(TxnRequest(compare: [Compare(key: "a", modRevision: -1)])) }),
        InvalidRequest("two writes to one key", {
            _ = try await $0.txn(TxnRequest(success: [Operation(key: "a", value: [1]), Operation(key: "a", delete: true)]))
        }),
        InvalidRequest("a key that is too long", { _ = try await $0.txn(TxnRequest(success: [Operation(key: String(repeating: "k", count: 9000))])) }),
        InvalidRequest("a value that is too large", { _ = try await $0.txn(TxnRequest(success: [Operation(key: "a", value: [UInt8](repeating: 1, count: 101))])) }),
        InvalidRequest("history after a negative revision", { _ = try await $0.history(HistoryRequest(afterRevision: -1)) }),
        InvalidRequest("history with a negative limit", { _ = try await $0.history(HistoryRequest(afterRevision: 0, limit: -1)) }),
        InvalidRequest("compact at 0", { _ = try await $0.compact(CompactRequest(revision: 0)) }),
        InvalidRequest("compact with no revision", { _ = try await $0.compact(CompactRequest()) }),
    ]

    @Test(arguments: invalidRequests)
    func invalidRequestsAreRefusedAndChangeNothing(request: InvalidRequest) async throws {
        var options = StoreEngine.Options()
        options.maxValueBytes = 100
        try await withEngine(options: options) { engine, _ in
            try await engine.put("a", "1")
            #expect(await busErrorCode { try await request.send(engine) } == "InvalidArgument", "\(request.name)")
            #expect(engine.revision == 1)
            #expect(try await engine.listing() == ["a=1"])
        }
    }
}
