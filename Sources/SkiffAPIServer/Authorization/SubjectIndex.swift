/// SubjectIndex: which bindings name which subjects, so that authorizing a request looks up the
/// asking user's own bindings instead of scanning every binding in the cluster. A subject is
/// reduced to a `SubjectKey`: a user name or a group name; a ServiceAccount subject becomes the
/// user name its tokens authenticate as ("system:serviceaccount:NS:NAME").
///
/// Concurrency: a plain value. Must never: index a ServiceAccount subject without a namespace
/// (Kubernetes ignores it: it names no account).
import SkiffWire

/// What a binding subject stands for, as the authenticated identity would carry it.
enum SubjectKey: Hashable, Sendable {
    case user(String)
    case group(String)

    /// The keys a request by `user` is looked up under: its name and each of its groups.
    static func keys(of user: UserInfo) -> [SubjectKey] {
        [.user(user.name)] + user.groups.map(SubjectKey.group)
    }

    /// The key of `subject` in a binding made in `namespace` ("" for a ClusterRoleBinding): a
    /// ServiceAccount subject without a namespace means one in the binding's namespace.
    init?(_ subject: Subject, bindingNamespace namespace: String) {
        guard let name = subject.name, !name.isEmpty else { return nil }
        switch subject.kind {
        case "User": self = .user(name)
        case "Group": self = .group(name)
        case "ServiceAccount":
            let accountNamespace = subject.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? namespace
            guard !accountNamespace.isEmpty else { return nil }
            self = .user(ServiceAccountName.userName(namespace: accountNamespace, name: name))
        default: return nil
        }
    }
}

/// The user name a ServiceAccount authenticates as.
enum ServiceAccountName {
    static let prefix = "system:serviceaccount:"

    static func userName(namespace: String, name: String) -> String { "\(prefix)\(namespace):\(name)" }
}

/// Binding names by subject key, within one scope (the cluster, or one namespace).
struct SubjectIndex: Sendable, Equatable {
    private var bindings: [SubjectKey: Set<String>] = [:]

    var isEmpty: Bool { bindings.isEmpty }

    mutating func insert(binding name: String, subjects keys: [SubjectKey]) {
        for key in keys { bindings[key, default: []].insert(name) }
    }

    mutating func remove(binding name: String, subjects keys: [SubjectKey]) {
        for key in keys {
            bindings[key]?.remove(name)
            if bindings[key]?.isEmpty == true { bindings[key] = nil }
        }
    }

    /// The names of the bindings that name any of `keys`.
    func bindings(for keys: [SubjectKey]) -> Set<String> {
        keys.reduce(into: Set<String>()) { found, key in found.formUnion(bindings[key] ?? []) }
    }
}
