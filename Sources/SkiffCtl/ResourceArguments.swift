/// ResourceArguments: what the user named on the command line, resolved against the catalog:
/// `pods`, `deploy web db`, `pod/web svc/web`, `deploy,svc`. And how skiffctl names an object
/// back: `deployment.apps/web` (results and `-o name`), `deployment.apps "web"` (delete).
///
/// Concurrency: pure functions over immutable tables.
import SkiffAPI
import SkiffWire

extension ResourceInfo {
    /// "pod", "deployment.apps": how kubectl prefixes an object's name in its results.
    public var qualifiedKind: String { group.isEmpty ? kind.lowercased() : "\(kind.lowercased()).\(group)" }

    /// "deployment.apps/web".
    public func slashName(_ name: String) -> String { "\(qualifiedKind)/\(name)" }

    /// `deployment.apps "web"`.
    public func quotedName(_ name: String) -> String { "\(qualifiedKind) \"\(name)\"" }
}

/// One resource type and the names asked for (empty: all of them).
public struct ResourceRequest: Sendable {
    public var resource: ResourceInfo
    public var names: [String]
}

public enum ResourceArguments {
    /// The resource a user typed, or kubectl's error for a type it does not know.
    public static func resolve(_ typed: String) throws -> ResourceInfo {
        guard let info = ResourceCatalog.resolve(typed) else {
            throw CtlError("the server doesn't have a resource type \"\(typed)\"")
        }
        return info
    }

    /// `TYPE[,TYPE...] [NAME...]` or `TYPE/NAME...`, in the order given; one request per type.
    public static func parse(_ arguments: [String]) throws -> [ResourceRequest] {
        guard let first = arguments.first else {
            throw CtlError("you must specify the type of resource")
        }
        if first.contains("/") {
            var requests: [ResourceRequest] = []
            for argument in arguments {
                let parts = argument.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw CtlError("arguments in resource/name form must have a single resource and name, got \"\(argument)\"")
                }
                let info = try resolve(String(parts[0]))
                if let index = requests.firstIndex(where: { $0.resource.groupResource == info.groupResource }) {
                    requests[index].names.append(String(parts[1]))
                } else {
                    requests.append(ResourceRequest(resource: info, names: [String(parts[1])]))
                }
            }
            return requests
        }
        let names = Array(arguments.dropFirst())
        if let stray = names.first(where: { $0.contains("/") }) {
            throw CtlError("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'skiffctl get resource/<resource_name>' instead of 'skiffctl get resource resource/<resource_name>'): \(stray)")
        }
        var requests: [ResourceRequest] = []
        for typed in first.split(separator: ",").map(String.init) {
            let resources = typed == "all" ? try allCategory.map(resolve) : [try resolve(typed)]
            for resource in resources where !requests.contains(where: { $0.resource.groupResource == resource.groupResource }) {
                requests.append(ResourceRequest(resource: resource, names: names))
            }
        }
        return requests
    }

    /// What `get all` means, in kubectl's order: the workloads and their services.
    static let allCategory = ["pods", "replicationcontrollers", "services", "daemonsets", "deployments", "replicasets",
                              "statefulsets", "horizontalpodautoscalers", "cronjobs", "jobs"]
}
