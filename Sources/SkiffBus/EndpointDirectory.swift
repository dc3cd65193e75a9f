/// EndpointDirectory: how tools find the sockets of a running cluster. Each request server
/// and publisher writes one file, RUN/endpoints/<sender>.<role>.json, holding
/// {"component","sender","pid","role","url","urls"}; it is written atomically (temporary file
/// + rename) and removed on close. Readers drop entries whose process is gone, since a
/// crashed process cannot remove its own file. Registering makes the run directory 0700
/// (`PrivateDirectory`): it holds the ipc sockets, which only the cluster's user may reach.
///
/// Concurrency: a Sendable value; every method is a few file system calls, safe from any
/// thread. Must never: leave a half-written file visible, or list an entry whose pid is dead.
import Foundation

public struct EndpointDirectory: Sendable, Equatable {
    public enum Role: String, Codable, Sendable, CaseIterable {
        /// A publisher (`busctl tap` subscribes to these).
        case pub
        /// A request server (`busctl call` sends to these).
        case rep
    }

    public struct Entry: Codable, Sendable, Equatable {
        public var component: String
        public var sender: String
        public var pid: Int32
        public var role: Role
        /// The first bound endpoint, as a peer on this machine connects to it.
        public var url: String
        /// Every bound endpoint (the first is `url`).
        public var urls: [String]?

        public init(component: String, sender: String, pid: Int32, role: Role, url: String, urls: [String]? = nil) {
            self.component = component
            self.sender = sender
            self.pid = pid
            self.role = role
            self.url = url
            self.urls = urls
        }

        /// Every endpoint, parsed; entries with an invalid URL are skipped.
        public var endpoints: [BusEndpoint] {
            (urls ?? [url]).compactMap { try? BusEndpoint($0) }
        }
    }

    /// The run directory; entries live in `runDirectory/endpoints`.
    public let runDirectory: String

    public init(runDirectory: String) {
        self.runDirectory = runDirectory
    }

    public var endpointsDirectory: String { runDirectory + "/endpoints" }

    func path(sender: String, role: Role) -> String {
        // A sender is "<component>-<pid>" or a name from the command line: keep file names tame.
        let safe = String(sender.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
        return "\(endpointsDirectory)/\(safe).\(role.rawValue).json"
    }

    /// Writes (or replaces) the entry for `entry.sender` and `entry.role`.
    public func register(_ entry: Entry) throws(BusError) {
        // The run directory holds the sockets: only this user may enter it (0700).
        try PrivateDirectory.prepare(runDirectory)
        do {
            try FileManager.default.createDirectory(atPath: endpointsDirectory, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let data = try encoder.encode(entry)
            // .atomic writes a temporary file in the same directory and renames it over.
            try data.write(to: URL(fileURLWithPath: path(sender: entry.sender, role: entry.role)), options: .atomic)
        } catch {
            throw BusError(.directory, "cannot write endpoint entry in \(endpointsDirectory): \(error)")
        }
    }

    /// Registers the current process as `role` for `sender`, advertising `endpoints`
    /// (wildcard hosts and relative ipc paths made connectable).
    func register(component: String, sender: String, role: Role, endpoints: [BusEndpoint]) throws(BusError) {
        let urls = endpoints.map { $0.advertised().url }
        guard let first = urls.first else { return }
        try register(Entry(component: component, sender: sender, pid: getpid(), role: role, url: first, urls: urls))
    }

    /// Removes the entry, if any.
    public func remove(sender: String, role: Role) {
        _ = unlink(path(sender: sender, role: role))
    }

    /// Every live entry, optionally of one role, sorted by component and sender. Entries whose
    /// process is gone are skipped and, with `removingStale`, their files deleted.
    public func list(role: Role? = nil, removingStale: Bool = false) -> [Entry] {
        allEntries().filter { entry in
            guard Self.isAlive(pid: entry.pid) else {
                if removingStale { _ = unlink(path(sender: entry.sender, role: entry.role)) }
                return false
            }
            return role == nil || entry.role == role
        }
    }

    /// Every readable entry, alive or not, sorted by component, sender and role; unreadable
    /// files are skipped. For tools that show dead entries too (`busctl ls`).
    public func allEntries() -> [Entry] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: endpointsDirectory) else { return [] }
        let decoder = JSONDecoder()
        let entries = names.filter { $0.hasSuffix(".json") }.compactMap { name -> Entry? in
            guard let data = FileManager.default.contents(atPath: "\(endpointsDirectory)/\(name)") else { return nil }
            return try? decoder.decode(Entry.self, from: data)
        }
        return entries.sorted { ($0.component, $0.sender, $0.role.rawValue) < ($1.component, $1.sender, $1.role.rawValue) }
    }

    /// Whether a process with this id exists (EPERM means it exists but is not ours).
    public static func isAlive(pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}
