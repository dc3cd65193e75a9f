/// ForbiddenMessage: the 403 a refused request gets, worded exactly as Kubernetes' apiserver
/// words it, since clients and people match on the text:
/// `pods "web" is forbidden: User "alice" cannot get resource "pods" in API group "" in the
/// namespace "default"`, `nodes is forbidden: User "bob" cannot list resource "nodes" in API
/// group "" at the cluster scope`, with ": REASON" appended when the authorizer gave one.
///
/// Concurrency: pure functions. Must never: reword the message; escape anything besides what
/// Kubernetes escapes (&, <, >).
import Foundation
import SkiffAPI
import SkiffWire

enum ForbiddenMessage {
    /// The Status error: code 403, reason Forbidden, details name, group and kind (the
    /// resource, as Kubernetes fills it).
    static func error(for attributes: AuthorizationAttributes, reason: String = "") -> APIError {
        let resource = GroupResource(group: attributes.apiGroup, resource: attributes.resource)
        return APIError.forbidden(resource, attributes.name, text(for: attributes, reason: reason))
    }

    /// The error for a decision that is not `.allow`: the deny reason, if any, is appended.
    static func error(for attributes: AuthorizationAttributes, decision: AuthorizationDecision) -> APIError {
        if case .deny(let reason) = decision { return error(for: attributes, reason: reason) }
        return error(for: attributes)
    }

    /// What follows "... is forbidden: ".
    static func text(for attributes: AuthorizationAttributes, reason: String = "") -> String {
        let message = escaped(refusal(attributes))
        return reason.isEmpty ? message : "\(message): \(reason)"
    }

    private static func refusal(_ attributes: AuthorizationAttributes) -> String {
        let resource = attributes.subresource.isEmpty
            ? attributes.resource : "\(attributes.resource)/\(attributes.subresource)"
        let scope = attributes.namespace.isEmpty
            ? "at the cluster scope" : "in the namespace \(quoted(attributes.namespace))"
        return "User \(quoted(attributes.user.name)) cannot \(attributes.verb) resource \(quoted(resource))"
            + " in API group \(quoted(attributes.apiGroup)) \(scope)"
    }

    /// Kubernetes sanitizes the message as HTML would need (it may be shown in a browser).
    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;")
            .replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    /// Go's %q for the plain strings names are made of: backslashes and quotes escaped.
    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
