/// FieldSelector: Kubernetes' field selectors (`status.phase=Running,spec.nodeName!=`), parsed,
/// checked against the fields each resource supports, and matched against typed objects.
///
/// A field an object leaves unset compares as Go's zero value, as Kubernetes compares it: ""
/// for strings (so `spec.nodeName=` selects unscheduled pods), "false" for booleans, "0" for
/// counts.
///
/// Concurrency: an immutable Sendable value. Must never: support a field Kubernetes does not
/// for that resource; a client written against Kubernetes must get the same answers here.
import SkiffWire

public struct FieldSelector: Sendable, Hashable, CustomStringConvertible {
    /// One `field=value` or `field!=value`; a selector is the AND of its terms.
    public struct Term: Sendable, Hashable, CustomStringConvertible {
        public var field: String
        /// True for `!=`.
        public var negated: Bool
        public var value: String

        public init(field: String, negated: Bool = false, value: String) {
            self.field = field
            self.negated = negated
            self.value = value
        }

        /// Whether an object whose field holds `actual` satisfies the term.
        public func matches(_ actual: String) -> Bool { (actual == value) != negated }

        public var description: String {
            field + (negated ? "!=" : "=") + FieldSelector.escape(value)
        }
    }

    /// Sorted by field (stable).
    public let terms: [Term]

    public init(terms: [Term]) {
        self.terms = terms.enumerated()
            .sorted { ($0.element.field, $0.offset) < ($1.element.field, $1.offset) }
            .map(\.element)
    }

    /// Matches every object.
    public static let everything = FieldSelector(terms: [])

    public var isEmpty: Bool { terms.isEmpty }

    /// The canonical form: terms sorted by field, values escaped (`\,` `\=` `\\`).
    public var description: String { terms.map(\.description).joined(separator: ",") }

    /// The value the selector pins `field` to with `=`, if any: lets the apiserver serve a
    /// kubelet's `spec.nodeName=node-1` watch from that node's topic alone.
    public func requiredValue(for field: String) -> String? {
        terms.first { $0.field == field && !$0.negated }?.value
    }

    public func matches(_ object: any APIObject) -> Bool {
        terms.allSatisfy { $0.matches(Self.value(of: $0.field, in: object) ?? "") }
    }
}

// MARK: parsing

extension FieldSelector {
    /// Parses `field=value`, `field==value` and `field!=value` terms separated by commas. A
    /// backslash escapes `,`, `=` and `\` in values. Spaces around fields and values are
    /// ignored. "" matches everything. Throws `SelectorError`.
    public static func parse(_ text: String) throws -> FieldSelector {
        var terms: [Term] = []
        for part in try split(text) where !part.allSatisfy(\.isWhitespace) {
            terms.append(try term(part, in: text))
        }
        return FieldSelector(terms: terms)
    }

    /// Splits at commas that are not escaped, keeping escapes for `term` to interpret.
    private static func split(_ text: String) throws -> [Substring] {
        var parts: [Substring] = []
        var start = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == "\\" {
                index = text.index(after: index)
                guard index < text.endIndex else {
                    throw SelectorError("invalid field selector: '\(text)': a trailing '\\' escapes nothing")
                }
            } else if text[index] == "," {
                parts.append(text[start..<index])
                start = text.index(after: index)
            }
            index = text.index(after: index)
        }
        parts.append(text[start...])
        return parts
    }

    /// One term: the first unescaped `!=`, `==` or `=` separates field and value.
    private static func term(_ part: Substring, in text: String) throws -> Term {
        var index = part.startIndex
        while index < part.endIndex {
            let character = part[index]
            if character == "\\" {
                index = part.index(index, offsetBy: 2, limitedBy: part.endIndex) ?? part.endIndex
                continue
            }
            let rest = part[index...]
            let op = rest.hasPrefix("!=") ? "!=" : rest.hasPrefix("==") ? "==" : rest.hasPrefix("=") ? "=" : nil
            if let op {
                let field = part[..<index].trimmingSpaces
                let value = try unescape(part[part.index(index, offsetBy: op.count)...].trimmingSpaces, in: text)
                if field.isEmpty {
                    throw SelectorError("invalid selector: '\(text)'; can't understand '\(part)'")
                }
                return Term(field: String(field), negated: op == "!=", value: value)
            }
            index = part.index(after: index)
        }
        throw SelectorError("invalid selector: '\(text)'; can't understand '\(part)'")
    }

    private static func unescape(_ value: Substring, in text: String) throws -> String {
        var result = ""
        var escaping = false
        for character in value {
            if escaping {
                guard character == "\\" || character == "," || character == "=" else {
                    throw SelectorError("invalid field selector: '\(text)': invalid escape sequence '\\\(character)'")
                }
                result.append(character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else if character == "=" {
                throw SelectorError("invalid field selector: '\(text)': '=' in a value must be escaped as '\\='")
            } else {
                result.append(character)
            }
        }
        // A backslash before trailing spaces ("a=b\ ") is left dangling by the trimming: taking
        // it as escaping nothing would make a value no printed selector can express.
        if escaping { throw SelectorError("invalid field selector: '\(text)': a trailing '\\' escapes nothing") }
        return result
    }

    static func escape(_ value: String) -> String {
        var result = ""
        for character in value {
            if character == "\\" || character == "," || character == "=" { result.append("\\") }
            result.append(character)
        }
        return result
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map(index(after:)) ?? start
        return self[start..<Swift.max(start, end)]
    }
}

// MARK: the fields each resource supports

extension FieldSelector {
    /// Fails with Kubernetes' `field label not supported: X` for the first field `resource`
    /// cannot be selected by.
    public func validate(for resource: GroupResource) throws {
        let supported = Self.supportedFields(for: resource)
        if let term = terms.first(where: { !supported.contains($0.field) }) {
            throw SelectorError("field label not supported: \(term.field)")
        }
    }

    /// The fields a resource can be selected by: metadata.name and metadata.namespace for all,
    /// and the few Kubernetes adds per resource.
    public static func supportedFields(for resource: GroupResource) -> Set<String> {
        let common: Set<String> = ["metadata.name", "metadata.namespace"]
        return common.union(extraFields[resource] ?? [])
    }

    private static let extraFields: [GroupResource: Set<String>] = [
        GroupResource(group: "", resource: "pods"): [
            "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
            "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName",
        ],
        GroupResource(group: "", resource: "events"): [
            "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
            "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
            "reason", "reportingComponent", "source", "type",
        ],
        GroupResource(group: "", resource: "namespaces"): ["status.phase"],
        GroupResource(group: "", resource: "nodes"): ["spec.unschedulable"],
        GroupResource(group: "", resource: "secrets"): ["type"],
        GroupResource(group: "apps", resource: "replicasets"): ["status.replicas"],
        GroupResource(group: "", resource: "replicationcontrollers"): ["status.replicas"],
        GroupResource(group: "batch", resource: "jobs"): ["status.successful"],
    ]

    /// The value of a selectable field of `object`, unset fields as Go's zero value; nil when the
    /// object's resource does not support the field.
    public static func value(of field: String, in object: any APIObject) -> String? {
        switch field {
        case "metadata.name": return object.metadata?.name ?? ""
        case "metadata.namespace": return object.metadata?.namespace ?? ""
        default: break
        }
        switch object {
        case let pod as Pod: return podValue(of: field, in: pod)
        case let event as Event: return eventValue(of: field, in: event)
        case let namespace as Namespace:
            return field == "status.phase" ? namespace.status?.phase ?? "" : nil
        case let node as Node:
            return field == "spec.unschedulable" ? String(node.spec?.unschedulable ?? false) : nil
        case let secret as Secret:
            return field == "type" ? secret.type ?? "" : nil
        case let replicaSet as ReplicaSet:
            return field == "status.replicas" ? String(replicaSet.status?.replicas ?? 0) : nil
        case let controller as ReplicationController:
            return field == "status.replicas" ? String(controller.status?.replicas ?? 0) : nil
        case let job as Job:
            // Kubernetes names the selectable field after the old wording of status.succeeded.
            return field == "status.successful" ? String(job.status?.succeeded ?? 0) : nil
        default:
            return nil
        }
    }

    private static func podValue(of field: String, in pod: Pod) -> String? {
        switch field {
        case "spec.nodeName": pod.spec?.nodeName ?? ""
        case "spec.restartPolicy": pod.spec?.restartPolicy ?? ""
        case "spec.schedulerName": pod.spec?.schedulerName ?? ""
        case "spec.serviceAccountName": pod.spec?.serviceAccountName ?? ""
        case "spec.hostNetwork": String(pod.spec?.hostNetwork ?? false)
        case "status.phase": pod.status?.phase ?? ""
        // Kubernetes selects on the first of the pod's IPs.
        case "status.podIP": pod.status?.podIPs.first?.ip ?? pod.status?.podIP ?? ""
        case "status.nominatedNodeName": pod.status?.nominatedNodeName ?? ""
        default: nil
        }
    }

    private static func eventValue(of field: String, in event: Event) -> String? {
        let involved = event.involvedObject
        return switch field {
        case "involvedObject.kind": involved?.kind ?? ""
        case "involvedObject.namespace": involved?.namespace ?? ""
        case "involvedObject.name": involved?.name ?? ""
        case "involvedObject.uid": involved?.uid ?? ""
        case "involvedObject.apiVersion": involved?.apiVersion ?? ""
        case "involvedObject.resourceVersion": involved?.resourceVersion ?? ""
        case "involvedObject.fieldPath": involved?.fieldPath ?? ""
        case "reason": event.reason ?? ""
        case "reportingComponent": event.reportingComponent ?? ""
        case "source": event.source?.component ?? ""
        case "type": event.type ?? ""
        default: nil
        }
    }
}
