/// MetadataEdits: the `key=value` and `key-` arguments of `label` and `annotate`, parsed and
/// checked, and the merge patch they make against an object's current labels or annotations.
/// As kubectl does, changing a key that already holds a different value needs --overwrite.
///
/// Concurrency: pure functions. Must never: produce a patch that silently overwrites a value
/// the user did not agree to overwrite.
import SkiffAPI

public struct MetadataEdits: Sendable, Equatable {
    public enum Target: String, Sendable {
        case labels, annotations

        /// "label", "annotation": the word kubectl uses in messages.
        var noun: String { self == .labels ? "label" : "annotation" }
        /// "labeled", "annotated": the result word.
        public var verb: String { self == .labels ? "labeled" : "annotated" }
    }

    /// Keys to set, in the order given (a later value for the same key wins).
    public var assignments: [(key: String, value: String)] = []
    public var removals: [String] = []

    public init() {}

    public init(assignments: [(key: String, value: String)], removals: [String]) {
        self.assignments = assignments
        self.removals = removals
    }

    public static func == (a: MetadataEdits, b: MetadataEdits) -> Bool {
        a.assignments.map(\.key) == b.assignments.map(\.key) && a.assignments.map(\.value) == b.assignments.map(\.value)
            && a.removals == b.removals
    }

    /// Whether a command-line argument is an edit (`k=v`, `k-`) rather than a resource name.
    public static func isEdit(_ argument: String) -> Bool {
        argument.contains("=") || argument.hasSuffix("-")
    }

    /// Parses edits; label keys and values are checked with Kubernetes' rules, annotation keys
    /// as qualified names (annotation values are free text).
    public static func parse(_ arguments: [String], for target: Target) throws -> MetadataEdits {
        var edits = MetadataEdits()
        for argument in arguments {
            if let equals = argument.firstIndex(of: "=") {
                let key = String(argument[..<equals])
                let value = String(argument[argument.index(after: equals)...])
                try check(key: key, argument: argument, target: target)
                if target == .labels, let problem = NameRules.isLabelValue(value).first {
                    throw CtlError("invalid label value: \"\(argument)\": \(problem)")
                }
                edits.assignments.append((key, value))
            } else if argument.hasSuffix("-") {
                let key = String(argument.dropLast())
                try check(key: key, argument: argument, target: target)
                edits.removals.append(key)
            } else {
                throw CtlError("invalid \(target.noun) spec: \(argument)")
            }
        }
        if edits.assignments.isEmpty && edits.removals.isEmpty {
            throw CtlError("at least one \(target.noun) update is required")
        }
        if let both = edits.removals.first(where: { key in edits.assignments.contains { $0.key == key } }) {
            throw CtlError("can not both modify and remove the \(target.noun) \"\(both)\" in the same command")
        }
        return edits
    }

    private static func check(key: String, argument: String, target: Target) throws {
        if let problem = NameRules.isQualifiedName(key).first {
            throw CtlError("invalid \(target.noun) spec: \(argument): \(problem)")
        }
    }

    /// The members of the merge patch under metadata.labels (or annotations) that `current`
    /// needs: changed or new keys with their value, removed keys present now as null. Empty
    /// when nothing would change. Throws kubectl's refusal when a key holds another value and
    /// `overwrite` is false.
    public func patchMembers(current: [String: String], overwrite: Bool) throws -> [String: JSONValue] {
        var members: [String: JSONValue] = [:]
        for (key, value) in assignments {
            if let existing = current[key] {
                if existing == value { continue }
                if !overwrite {
                    throw CtlError("'\(key)' already has a value (\(existing)), and --overwrite is false")
                }
            }
            members[key] = .string(value)
        }
        for key in removals where current[key] != nil {
            members[key] = .null
        }
        return members
    }

    /// The whole merge patch: `{"metadata":{"labels":{...}}}`.
    public static func patch(_ members: [String: JSONValue], target: Target) -> JSONValue {
        .object(["metadata": .object([target.rawValue: .object(members)])])
    }
}
