/// LabelSelectorValidation: checks a wire LabelSelector as Kubernetes does (keys, values,
/// operators) and matches it against a label set, which controllers' templates must satisfy.
///
/// Concurrency: pure functions. Must never: treat a selector it could not parse as matching;
/// callers report the parse problem instead. Matching is SkiffAPI's LabelQuery; the checks
/// here keep Kubernetes' validation wording ("not a valid selector operator").
import SkiffAPI
import SkiffWire

enum LabelSelectorValidation {
    static func validate(_ selector: SkiffWire.LabelSelector?, _ path: FieldPath) -> [FieldError] {
        guard let selector else { return [] }
        var errors = FieldChecks.labels(selector.matchLabels, path.child("matchLabels"))
        for (index, requirement) in selector.matchExpressions.enumerated() {
            let requirementPath = path.child("matchExpressions").index(index)
            let valuesPath = requirementPath.child("values")
            errors += operatorAndValues(requirement.operator, requirement.values, requirementPath)
            let key = requirement.key ?? ""
            errors += FieldChecks.format(NameFormats.qualifiedName(key), key, requirementPath.child("key"))
            for (valueIndex, value) in requirement.values.enumerated() {
                errors += FieldChecks.format(NameFormats.labelValue(value), value, valuesPath.index(valueIndex))
            }
        }
        return errors
    }

    /// One requirement's operator and the number of its values, at the requirement's `path`.
    /// `comparisons` admits node selectors' Gt and Lt (one value each).
    static func operatorAndValues(_ op: String?, _ values: [String], _ path: FieldPath,
                                  comparisons: Bool = false) -> [FieldError] {
        let valuesPath = path.child("values")
        switch (op ?? "", comparisons) {
        case ("In", _), ("NotIn", _):
            return values.isEmpty ? [.required(valuesPath, "must be specified when `operator` is 'In' or 'NotIn'")] : []
        case ("Exists", _), ("DoesNotExist", _):
            return values.isEmpty ? []
                : [.forbidden(valuesPath, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")]
        case ("Gt", true), ("Lt", true):
            return values.count == 1 ? []
                : [.required(valuesPath, "must be specified single value when `operator` is 'Lt' or 'Gt'")]
        case (let other, _):
            return [.invalid(path.child("operator"), other, "not a valid selector operator")]
        }
    }

    /// A selector with neither matchLabels nor matchExpressions (or none at all).
    static func isEmpty(_ selector: SkiffWire.LabelSelector?) -> Bool {
        guard let selector else { return true }
        return selector.matchLabels.isEmpty && selector.matchExpressions.isEmpty
    }

    /// Whether `labels` satisfy every term; nil when the selector is malformed (and cannot match).
    static func matches(_ selector: SkiffWire.LabelSelector, _ labels: [String: String]) -> Bool? {
        guard validate(selector, FieldPath("")).isEmpty, let query = try? LabelQuery(selector) else { return nil }
        return query.matches(labels)
    }

    /// The selector as `kubectl` prints it ("app=web,tier in (a,b)"), for messages.
    static func rendered(_ selector: SkiffWire.LabelSelector?) -> String {
        guard let selector else { return "<none>" }
        var terms = selector.matchLabels.keys.sorted().map { "\($0)=\(selector.matchLabels[$0] ?? "")" }
        for requirement in selector.matchExpressions {
            let key = requirement.key ?? ""
            switch requirement.operator ?? "" {
            case "In": terms.append("\(key) in (\(requirement.values.joined(separator: ",")))")
            case "NotIn": terms.append("\(key) notin (\(requirement.values.joined(separator: ",")))")
            case "Exists": terms.append(key)
            case "DoesNotExist": terms.append("!\(key)")
            case let other: terms.append("\(key) \(other) (\(requirement.values.joined(separator: ",")))")
            }
        }
        return terms.joined(separator: ",")
    }
}
