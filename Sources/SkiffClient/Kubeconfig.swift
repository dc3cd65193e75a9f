/// Kubeconfig: the credentials file every client reads, in kubectl's format (YAML or JSON):
/// `current-context` names a context, which names a cluster (`server`, and Skiff's watch
/// endpoint as the `skiff.events` extension) and a user (`token` or `tokenFile`). Only what
/// Skiff uses is read; anything else in the file is ignored, as kubectl ignores what it does
/// not know.
///
/// Concurrency: a plain value. Must never: fall back to another user than the context names.
import Foundation
import Yams

public struct Kubeconfig: Sendable, Equatable {
    public var server: String?
    public var events: String?
    public var token: String?

    public init(server: String? = nil, events: String? = nil, token: String? = nil) {
        self.server = server
        self.events = events
        self.token = token
    }

    public struct LoadError: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// Reads the file at `path`; `context` overrides its current-context.
    public static func load(path: String, context: String? = nil) throws(LoadError) -> Kubeconfig {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw LoadError(description: "kubeconfig \(path): cannot read the file")
        }
        return try parse(text, source: path, context: context)
    }

    public static func parse(_ text: String, source: String = "kubeconfig", context: String? = nil) throws(LoadError) -> Kubeconfig {
        func fail(_ why: String) -> LoadError { LoadError(description: "kubeconfig \(source): \(why)") }
        let root: [String: Any]
        do {
            // compose, not load: Yams' load traps on a mapping key that is not a string.
            guard let node = try Yams.compose(yaml: text), let loaded = plain(node) as? [String: Any] else {
                throw fail("not a mapping")
            }
            root = loaded
        } catch let error as LoadError {
            throw error
        } catch {
            throw fail("not YAML: \(error)")
        }
        guard let contextName = context ?? (root["current-context"] as? String), !contextName.isEmpty else {
            throw fail("current-context: Required value")
        }
        guard let chosen = try named(root, "contexts", contextName, field: "context", fail) else {
            throw fail("contexts: no context named \"\(contextName)\"")
        }
        var config = Kubeconfig()
        if let clusterName = chosen["cluster"] as? String, !clusterName.isEmpty {
            guard let cluster = try named(root, "clusters", clusterName, field: "cluster", fail) else {
                throw fail("clusters: no cluster named \"\(clusterName)\" (context \"\(contextName)\")")
            }
            config.server = cluster["server"] as? String
            let extensions = cluster["extensions"] as? [[String: Any]] ?? []
            if let events = extensions.first(where: { $0["name"] as? String == "skiff.events" })?["extension"] as? [String: Any] {
                config.events = events["server"] as? String
            }
        }
        if let userName = chosen["user"] as? String, !userName.isEmpty {
            guard let user = try named(root, "users", userName, field: "user", fail) else {
                throw fail("users: no user named \"\(userName)\" (context \"\(contextName)\")")
            }
            if let token = user["token"] as? String {
                config.token = token
            } else if let file = user["tokenFile"] as? String {
                guard let data = FileManager.default.contents(atPath: file),
                      let token = String(data: data, encoding: .utf8) else {
                    throw fail("users[\(userName)].user.tokenFile: cannot read \(file)")
                }
                config.token = token.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        return config
    }

    /// A YAML node as strings, arrays and dictionaries; mapping entries whose key is not a
    /// scalar are left out (no field Skiff reads has such a key).
    private static func plain(_ node: Node) -> Any? {
        switch node {
        case .scalar(let scalar):
            return scalar.string
        case .sequence(let sequence):
            return sequence.map { plain($0) as Any }
        case .mapping(let mapping):
            var dictionary: [String: Any] = [:]
            for (key, value) in mapping {
                guard case .scalar(let name) = key else { continue }
                dictionary[name.string] = plain(value)
            }
            return dictionary
        case .alias:
            return nil
        }
    }

    /// The `field` mapping of the entry called `name` in the list `list` (clusters, users, contexts).
    private static func named(_ root: [String: Any], _ list: String, _ name: String, field: String,
                              _ fail: (String) -> LoadError) throws(LoadError) -> [String: Any]? {
        guard let entries = root[list] else { return nil }
        guard let array = entries as? [[String: Any]] else { throw fail("\(list): must be a list") }
        guard let entry = array.first(where: { $0["name"] as? String == name }) else { return nil }
        guard let body = entry[field] as? [String: Any] else { throw fail("\(list)[\(name)].\(field): Required value") }
        return body
    }
}
