// Test support: temporary data directories, an engine per test that is closed and removed
// whatever happens, short write/read helpers, and condition waits with deadlines.
import Foundation
import Synchronization
import Testing
import SkiffBus
@testable import SkiffStore
import SkiffWire

/// A fresh directory under /tmp (short, so ipc socket paths inside it stay under 107 bytes).
func makeTemporaryDirectory(_ stem: String = "skiff-store") -> String {
    var template = Array("/tmp/\(stem)-XXXXXX".utf8CString)
    let path = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    return path.map { String(cString: $0) } ?? "/tmp"
}

func removeDirectory(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// Runs `body` with an engine on a fresh data directory; closes it and removes the directory
/// afterwards, whether the body passed or threw.
func withEngine<T>(options: StoreEngine.Options = StoreEngine.Options(), onCommit: StoreEngine.CommitListener? = nil,
                   _ body: (StoreEngine, String) async throws -> T) async throws -> T {
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let engine = try StoreEngine(directory: directory + "/data", options: options, onCommit: onCommit)
    do {
        let result = try await body(engine, directory + "/data")
        await engine.close()
        return result
    } catch {
        await engine.close()
        throw error
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

extension StoreEngine {
    /// Puts `value` at `key` unconditionally; returns the new revision.
    @discardableResult
    func put(_ key: String, _ value: String) async throws -> Int64 {
        let response = try await txn(TxnRequest(success: [Operation(key: key, value: bytes(value))]))
        return response.revision ?? 0
    }

    @discardableResult
    func remove(_ key: String) async throws -> TxnResponse {
        try await txn(TxnRequest(success: [Operation(key: key, delete: true)]))
    }

    func get(_ key: String, at revision: Int64 = 0) async throws -> KeyValue? {
        try await range(RangeRequest(key: key, revision: revision)).kvs.first
    }

    /// Keys and values of [from, to) at `revision`, as "key=value" strings in order.
    func listing(_ from: String = "", _ to: String = "\u{10FFFF}", at revision: Int64 = 0) async throws -> [String] {
        try await range(RangeRequest(key: from, rangeEnd: to, revision: revision)).kvs.map { "\($0.key ?? "")=\(text($0.value) ?? "")" }
    }

    /// Every event after `afterRevision`, following pages of `limit`.
    func allHistory(after afterRevision: Int64 = 0, key: String = "", rangeEnd: String = "", limit: Int64 = 0) async throws -> [StoreEvent] {
        var events: [StoreEvent] = []
        var after = afterRevision
        while true {
            let page = try await history(HistoryRequest(afterRevision: after, key: key, rangeEnd: rangeEnd, limit: limit))
            events += page.events
            guard page.more == true, let last = page.events.last?.kv?.modRevision else { return events }
            after = last
        }
    }
}

/// The BusError code `body` threw, or nil if it did not throw a BusError.
func busErrorCode(_ body: () async throws -> Void) async -> String? {
    do {
        try await body()
        return nil
    } catch let error as BusError {
        return error.code.rawValue
    } catch {
        return "not a BusError: \(error)"
    }
}

/// Waits until `condition` holds; false if `timeout` passed first. The timeout only bounds a
/// failing test: nothing asserts on how long it took.
@discardableResult
func waitUntil(timeout: Duration = .seconds(20), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return true
}

/// Collects what a commit listener is given, in call order.
final class CommitRecorder: Sendable {
    private let calls = Mutex<[(events: [StoreEvent], revision: Int64)]>([])

    var listener: StoreEngine.CommitListener {
        { events, revision in self.calls.withLock { $0.append((events, revision)) } }
    }

    var events: [StoreEvent] { calls.withLock { $0.flatMap(\.events) } }
    var commitCount: Int { calls.withLock { $0.count } }
    var revisions: [Int64] { calls.withLock { $0.map(\.revision) } }
}
