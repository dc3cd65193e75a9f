/// Test support for the apiserver's end-to-end suites: a real control plane per test, and a
/// bounded read of a watch stream.
import SkiffClient
import SkiffTestSupport
import SkiffWire

/// Runs `body` against a freshly started store + apiserver, and stops both on every path.
/// `extraTokenLines`: users besides the admin (token-file lines).
func withPlane(extraTokenLines: [String] = [], _ body: (ControlPlane, APIClient) async throws -> Void) async throws {
    let plane = try ControlPlane()
    plane.extraTokenLines = extraTokenLines
    do {
        try await plane.start()
        try await body(plane, plane.client!)
    } catch {
        await plane.stop()
        throw error
    }
    await plane.stop()
}

/// "ADDED name", "MODIFIED name" or "DELETED name" for the first `count` changes of `stream`
/// (bookmarks skipped); a deadline cancels the read if they do not come.
func collectChanges<O: APIObject>(_ stream: AsyncThrowingStream<WatchChange<O>, any Error>, count: Int) async throws -> [String] {
    let reader = Task {
        var seen: [String] = []
        for try await change in stream {
            switch change {
            case .added(let o): seen.append("ADDED \(o.metadata?.name ?? "")")
            case .modified(let o): seen.append("MODIFIED \(o.metadata?.name ?? "")")
            case .deleted(let o): seen.append("DELETED \(o.metadata?.name ?? "")")
            case .bookmark: continue
            }
            if seen.count == count { break }
        }
        return seen
    }
    let deadline = Task {
        try await Task.sleep(for: .seconds(30))
        reader.cancel()
    }
    defer { deadline.cancel() }
    return try await reader.value
}
