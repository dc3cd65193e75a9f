/// EndpointListing: what `busctl ls` shows. `read` collects every entry of a run directory's
/// endpoint directory, dead ones included (marked, since seeing that a component died is the
/// point of looking), `probe` pings the live request servers, and `tableLines`/`json` render the
/// result.
///
/// Concurrency: `read` and the renderers are pure over the file system's current state; `probe`
/// runs one ping per request server concurrently, each bounded by its timeout. Must never:
/// modify the directory (stale entries are shown, not deleted), or wait on a server longer than
/// the ping timeout.
import Foundation
import SkiffAPI
import SkiffBus
import SkiffWire

public struct EndpointStatus: Sendable, Equatable {
    public enum Reachability: Sendable, Equatable {
        /// Not a request server, or its process is gone: not pinged.
        case notPinged
        /// Answered Ping; the request types it handles.
        case reachable(handles: [String])
        case unreachable(reason: String)
    }

    public var entry: EndpointDirectory.Entry
    public var alive: Bool
    public var reachability: Reachability

    public init(entry: EndpointDirectory.Entry, alive: Bool, reachability: Reachability = .notPinged) {
        self.entry = entry
        self.alive = alive
        self.reachability = reachability
    }
}

public enum EndpointListing {
    /// Every readable entry in `directory`, with whether its process is alive, sorted by
    /// component, sender and role (as `EndpointDirectory.list` sorts).
    public static func read(_ directory: EndpointDirectory) -> [EndpointStatus] {
        directory.allEntries().map { EndpointStatus(entry: $0, alive: EndpointDirectory.isAlive(pid: $0.pid)) }
    }

    /// `statuses` with every live request server pinged.
    public static func probe(_ statuses: [EndpointStatus], timeout: Duration) async -> [EndpointStatus] {
        await withTaskGroup(of: (Int, EndpointStatus.Reachability).self, returning: [EndpointStatus].self) { group in
            for (index, status) in statuses.enumerated() where status.entry.role == .rep && status.alive {
                group.addTask { (index, await ping(status.entry.url, timeout: timeout)) }
            }
            var result = statuses
            for await (index, reachability) in group { result[index].reachability = reachability }
            return result
        }
    }

    /// Pings the request server at `url`.
    public static func ping(_ url: String, timeout: Duration) async -> EndpointStatus.Reachability {
        let client: RequestClient
        do {
            client = try RequestClient(connectingTo: [BusEndpoint(url)], component: "busctl")
        } catch {
            return .unreachable(reason: describe(error))
        }
        do {
            let pong = try await client.call(Ping(from: client.sender), replyType: Pong.self, timeout: timeout)
            await client.close()
            return .reachable(handles: pong.handles)
        } catch {
            await client.close()
            return .unreachable(reason: describe(error))
        }
    }

    // MARK: rendering

    static let header = ["COMPONENT", "SENDER", "PID", "ROLE", "ALIVE", "URL", "HANDLES"]

    /// An aligned table, header first.
    public static func tableLines(_ statuses: [EndpointStatus]) -> [String] {
        let rows = [header] + statuses.map { status in
            [status.entry.component, status.entry.sender, String(status.entry.pid), status.entry.role.rawValue,
             status.alive ? "yes" : "no", status.entry.url, handlesColumn(status)]
        }
        let sanitizedRows = rows.map { $0.map(TapFormatter.sanitized) }
        var widths = [Int](repeating: 0, count: header.count)
        for row in sanitizedRows {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        return sanitizedRows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  ")
        }
    }

    private static func handlesColumn(_ status: EndpointStatus) -> String {
        switch status.reachability {
        case .notPinged: return status.entry.role == .rep && !status.alive ? "(dead)" : "-"
        case .reachable(let handles): return handles.isEmpty ? "-" : handles.joined(separator: ",")
        case .unreachable: return "unreachable"
        }
    }

    /// A JSON array, one object per entry: the entry's fields plus `alive`, and for request
    /// servers `reachable` and `handles` (or `error`).
    public static func json(_ statuses: [EndpointStatus]) -> JSONValue {
        .array(statuses.map { status in
            var fields: [String: JSONValue] = [
                "component": .string(status.entry.component),
                "sender": .string(status.entry.sender),
                "pid": .int(Int64(status.entry.pid)),
                "role": .string(status.entry.role.rawValue),
                "url": .string(status.entry.url),
                "urls": .array((status.entry.urls ?? [status.entry.url]).map(JSONValue.string)),
                "alive": .bool(status.alive),
            ]
            switch status.reachability {
            case .notPinged:
                break
            case .reachable(let handles):
                fields["reachable"] = .bool(true)
                fields["handles"] = .array(handles.map(JSONValue.string))
            case .unreachable(let reason):
                fields["reachable"] = .bool(false)
                fields["error"] = .string(reason)
            }
            return .object(fields)
        })
    }
}
