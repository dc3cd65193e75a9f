/// PolicyRuleMatching: whether one RBAC rule covers a request, with Kubernetes' matching rules
/// (rbac/v1 helpers' `RuleAllows`): "*" matches any verb, group or resource; a rule resource
/// "pods/status" matches only that subresource, "*/scale" the scale subresource of any
/// resource, and "*" alone every resource and subresource; resourceNames restrict a rule only
/// when non-empty, and a request without a name (list, watch, create) never matches a rule
/// that has them.
///
/// Concurrency: pure functions on values. Must never: treat an empty list as "everything";
/// an empty verbs, apiGroups or resources list grants nothing.
import SkiffWire

extension PolicyRule {
    /// Whether this rule allows the resource request described by `attributes`.
    func allows(_ attributes: AuthorizationAttributes) -> Bool {
        Self.matches(verbs, attributes.verb)
            && Self.matches(apiGroups, attributes.apiGroup)
            && coversResource(attributes.resource, subresource: attributes.subresource)
            && coversName(attributes.name)
    }

    /// Whether this rule allows a request for a path that is not a resource ("/healthz",
    /// "/metrics"): "*" in nonResourceURLs matches every path, "/logs/*" every path under /logs/.
    func allowsNonResource(verb: String, path: String) -> Bool {
        Self.matches(verbs, verb) && nonResourceURLs.contains { pattern in
            pattern == "*" || pattern == path
                || (pattern.hasSuffix("*") && path.hasPrefix(String(pattern.dropLast())))
        }
    }

    /// "*" or the value itself.
    static func matches(_ allowed: [String], _ value: String) -> Bool {
        allowed.contains { $0 == "*" || $0 == value }
    }

    func coversResource(_ resource: String, subresource: String) -> Bool {
        let combined = subresource.isEmpty ? resource : "\(resource)/\(subresource)"
        return resources.contains { ruleResource in
            ruleResource == "*" || ruleResource == combined
                || (!subresource.isEmpty && ruleResource == "*/\(subresource)")
        }
    }

    func coversName(_ name: String) -> Bool {
        resourceNames.isEmpty || (!name.isEmpty && resourceNames.contains(name))
    }
}
