/// LabelQuery: a label selector ready to match, Kubernetes' `labels.Selector`. It comes from a
/// query string (`env in (prod, qa),tier!=fe,!canary`), from an object's `LabelSelector`
/// (matchLabels and matchExpressions), or from a ReplicationController's plain map. Its
/// `description` is the canonical string form: requirements sorted by key, values sorted, the
/// text a Scale's `status.selector` carries and that parses back to an equal query.
///
/// (The name differs from Kubernetes' because SkiffWire's `LabelSelector` is the wire type.)
///
/// An empty query matches every object; `LabelQuery.nothing`, what a missing (nil) selector
/// becomes, matches none. Both print as "".
///
/// Concurrency: an immutable Sendable value. Must never: accept a key or value Kubernetes would
/// refuse, since a selector that parses here must mean the same thing to every client.
import SkiffWire

public struct LabelQuery: Sendable, Hashable, CustomStringConvertible {
    public enum Operator: Sendable, Hashable {
        case equals, notEquals, `in`, notIn, exists, doesNotExist, greaterThan, lessThan
    }

    /// One condition on one label; a query is the AND of its requirements.
    public struct Requirement: Sendable, Hashable, CustomStringConvertible {
        public let key: String
        public let `operator`: Operator
        /// Sorted and without duplicates.
        public let values: [String]

        /// Throws `SelectorError` when the key is not a qualified name, a value is not a label
        /// value, or the number of values does not suit the operator.
        public init(key: String, operator op: Operator, values: [String] = []) throws {
            let keyProblems = NameRules.isQualifiedName(key)
            if !keyProblems.isEmpty {
                throw SelectorError("invalid label key \"\(key)\": " + keyProblems.joined(separator: "; "))
            }
            switch op {
            case .in, .notIn:
                if values.isEmpty { throw SelectorError("for 'in', 'notin' operators, values set can't be empty") }
            case .equals, .notEquals:
                if values.count != 1 { throw SelectorError("exact-match compatibility requires one single value") }
            case .exists, .doesNotExist:
                if !values.isEmpty { throw SelectorError("values set must be empty for exists and does not exist") }
            case .greaterThan, .lessThan:
                if values.count != 1 || Int64(values[0]) == nil {
                    throw SelectorError("for 'Gt', 'Lt' operators, the value must be an integer")
                }
            }
            for value in values {
                let problems = NameRules.isLabelValue(value)
                if !problems.isEmpty {
                    throw SelectorError("invalid label value: \"\(value)\": " + problems.joined(separator: "; "))
                }
            }
            self.key = key
            self.operator = op
            self.values = Array(Set(values)).sorted()
        }

        /// A requirement built from already validated parts (a ReplicationController's map).
        init(unchecked key: String, _ op: Operator, _ values: [String]) {
            self.key = key
            self.operator = op
            self.values = values
        }

        /// Whether labels satisfy this requirement. A negative requirement (`!=`, `notin`) holds
        /// for objects that lack the label altogether, as in Kubernetes.
        public func matches(_ labels: [String: String]) -> Bool {
            let value = labels[key]
            switch self.operator {
            case .equals, .in: return value.map(values.contains) ?? false
            case .notEquals, .notIn: return value.map { !values.contains($0) } ?? true
            case .exists: return value != nil
            case .doesNotExist: return value == nil
            case .greaterThan, .lessThan:
                guard let value, let number = Int64(value), let bound = values.first.flatMap({ Int64($0) }) else {
                    return false
                }
                return self.operator == .greaterThan ? number > bound : number < bound
            }
        }

        /// The requirement in selector syntax: `key`, `!key`, `key=v`, `key!=v`, `key in (v1,v2)`,
        /// `key notin (v1,v2)`, `key>n`, `key<n`.
        public var description: String {
            let value = values.first ?? ""
            let list = "(" + values.joined(separator: ",") + ")"
            return switch self.operator {
            case .exists: key
            case .doesNotExist: "!" + key
            case .equals: key + "=" + value
            case .notEquals: key + "!=" + value
            case .in: key + " in " + list
            case .notIn: key + " notin " + list
            case .greaterThan: key + ">" + value
            case .lessThan: key + "<" + value
            }
        }
    }

    /// Sorted by key (stable, so two requirements on one key keep their order).
    public let requirements: [Requirement]
    /// True only for `LabelQuery.nothing`.
    public let matchesNothing: Bool

    public init(requirements: [Requirement]) {
        self.requirements = requirements.enumerated()
            .sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }
            .map(\.element)
        matchesNothing = false
    }

    private init(nothing: Void) {
        requirements = []
        matchesNothing = true
    }

    /// Matches every object: the empty selector string, an empty `LabelSelector {}`.
    public static let everything = LabelQuery(requirements: [])
    /// Matches no object: what a nil `LabelSelector` means.
    public static let nothing = LabelQuery(nothing: ())

    /// Whether the query has no requirements and so matches every object.
    public var isEmpty: Bool { requirements.isEmpty && !matchesNothing }

    /// Objects whose labels include every pair of `labels`: a ReplicationController's or a
    /// Service's selector. An empty map matches everything (a Service without a selector
    /// selects no pods; that is for its caller to decide). The map is trusted to hold valid
    /// keys and values: its object was validated.
    public init(matching labels: [String: String]) {
        self.init(requirements: labels.map { Requirement(unchecked: $0.key, .equals, [$0.value]) })
    }

    public func matches(_ labels: [String: String]) -> Bool {
        !matchesNothing && requirements.allSatisfy { $0.matches(labels) }
    }

    /// The canonical string form; "" for both `everything` and `nothing`.
    public var description: String {
        requirements.map(\.description).joined(separator: ",")
    }
}

// MARK: from an object's LabelSelector

extension LabelQuery {
    static let selectorOperators = ["In", "NotIn", "Exists", "DoesNotExist"]

    /// The query an object's selector stands for: nil matches nothing, an empty selector
    /// everything. Throws `SelectorError` carrying `validate(selector, at: path)`'s errors.
    public init(_ selector: LabelSelector?, at path: FieldPath = FieldPath("selector")) throws {
        guard let selector else {
            self = .nothing
            return
        }
        let errors = Self.validate(selector, at: path)
        if !errors.isEmpty {
            throw SelectorError(errors.map(\.description).joined(separator: ", "), fieldErrors: errors)
        }
        var requirements = selector.matchLabels.map { Requirement(unchecked: $0.key, .equals, [$0.value]) }
        for expression in selector.matchExpressions {
            let op: Operator = switch expression.operator {
            case "In": .in
            case "NotIn": .notIn
            case "Exists": .exists
            default: .doesNotExist
            }
            requirements.append(Requirement(unchecked: expression.key ?? "", op,
                                            Array(Set(expression.values)).sorted()))
        }
        self.init(requirements: requirements)
    }

    /// What is wrong with an object's selector, each problem at its path under `path`
    /// ("spec.selector.matchExpressions[0].operator: Unsupported value: \"Within\": ...").
    public static func validate(_ selector: LabelSelector, at path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        let labelsPath = path.child("matchLabels")
        for (key, value) in selector.matchLabels.sorted(by: { $0.key < $1.key }) {
            errors += NameRules.isQualifiedName(key).map { .invalid(labelsPath.description, key, $0) }
            errors += NameRules.isLabelValue(value).map { .invalid(labelsPath.description, value, $0) }
        }
        for (index, expression) in selector.matchExpressions.enumerated() {
            let at = path.child("matchExpressions").index(index)
            let valuesPath = at.child("values").description
            switch expression.operator ?? "" {
            case "In", "NotIn":
                if expression.values.isEmpty {
                    errors.append(.required(valuesPath, "must be specified when `operator` is 'In' or 'NotIn'"))
                }
            case "Exists", "DoesNotExist":
                if !expression.values.isEmpty {
                    errors.append(.forbidden(valuesPath, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
                }
            case "":
                errors.append(.required(at.child("operator").description))
            case let other:
                errors.append(.notSupported(at.child("operator").description, other, supported: selectorOperators))
            }
            let key = expression.key ?? ""
            errors += NameRules.isQualifiedName(key).map { .invalid(at.child("key").description, key, $0) }
            for (valueIndex, value) in expression.values.enumerated() {
                errors += NameRules.isLabelValue(value).map {
                    .invalid(at.child("values").index(valueIndex).description, value, $0)
                }
            }
        }
        return errors
    }
}

// MARK: from a query string

extension LabelQuery {
    /// Parses Kubernetes' selector syntax: requirements separated by commas (AND), each one of
    /// `key`, `!key`, `key=value`, `key==value`, `key!=value`, `key in (v1,v2)`,
    /// `key notin (v1,v2)`, `key>n`, `key<n`; spaces anywhere between tokens. "" matches
    /// everything. Throws `SelectorError` naming the token it could not use.
    public static func parse(_ text: String) throws -> LabelQuery {
        var parser = SelectorParser(tokens: SelectorLexer.tokens(of: text))
        return LabelQuery(requirements: try parser.requirements())
    }
}

/// The tokens of the selector syntax.
enum SelectorToken: Equatable {
    case identifier(String)
    case openParen, closeParen, comma
    case not, equals, doubleEquals, notEquals, greaterThan, lessThan
    case end

    var text: String {
        switch self {
        case .identifier(let text): text
        case .openParen: "("
        case .closeParen: ")"
        case .comma: ","
        case .not: "!"
        case .equals: "="
        case .doubleEquals: "=="
        case .notEquals: "!="
        case .greaterThan: ">"
        case .lessThan: "<"
        case .end: "end of string"
        }
    }
}

enum SelectorLexer {
    private static let specials: Set<Character> = ["!", "=", "(", ")", ",", ">", "<"]

    /// Every token of `text`, ending with `.end`. Anything that is neither space nor one of
    /// `!=(),<>` belongs to an identifier; the parser checks identifiers against the name rules.
    static func tokens(of text: String) -> [SelectorToken] {
        var tokens: [SelectorToken] = []
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character.isWhitespace {
                index = text.index(after: index)
                continue
            }
            let next = text.index(after: index)
            let followedByEquals = next < text.endIndex && text[next] == "="
            switch character {
            case "(": tokens.append(.openParen)
            case ")": tokens.append(.closeParen)
            case ",": tokens.append(.comma)
            case ">": tokens.append(.greaterThan)
            case "<": tokens.append(.lessThan)
            case "!": tokens.append(followedByEquals ? .notEquals : .not)
            case "=": tokens.append(followedByEquals ? .doubleEquals : .equals)
            default:
                var end = index
                while end < text.endIndex, !text[end].isWhitespace, !specials.contains(text[end]) {
                    end = text.index(after: end)
                }
                tokens.append(.identifier(String(text[index..<end])))
                index = end
                continue
            }
            index = (character == "!" || character == "=") && followedByEquals ? text.index(after: next) : next
        }
        tokens.append(.end)
        return tokens
    }
}

struct SelectorParser {
    private let tokens: [SelectorToken]
    private var position = 0

    init(tokens: [SelectorToken]) { self.tokens = tokens }

    private var next: SelectorToken { tokens[position] }
    private mutating func take() -> SelectorToken {
        defer { if position < tokens.count - 1 { position += 1 } }
        return tokens[position]
    }

    mutating func requirements() throws -> [LabelQuery.Requirement] {
        var requirements: [LabelQuery.Requirement] = []
        if next == .end { return requirements }
        while true {
            switch next {
            case .identifier, .not:
                do {
                    requirements.append(try requirement())
                } catch let error as SelectorError {
                    throw SelectorError("unable to parse requirement: " + error.message)
                }
            default:
                throw SelectorError("found '\(next.text)', expected: !, identifier, or 'end of string'")
            }
            switch take() {
            case .end: return requirements
            case .comma:
                if next == .end { throw SelectorError("found 'end of string', expected: a requirement after ','") }
            case let other:
                throw SelectorError("found '\(other.text)', expected: ',' or 'end of string'")
            }
        }
    }

    private mutating func requirement() throws -> LabelQuery.Requirement {
        let first = take()
        if first == .not {
            let keyToken = take()
            guard case .identifier(let key) = keyToken else {
                throw SelectorError("found '\(keyToken.text)', expected: identifier after '!'")
            }
            return try LabelQuery.Requirement(key: key, operator: .doesNotExist)
        }
        guard case .identifier(let key) = first else {
            throw SelectorError("found '\(first.text)', expected: !, identifier")
        }
        switch next {
        case .end, .comma:
            return try LabelQuery.Requirement(key: key, operator: .exists)
        case .equals, .doubleEquals:
            _ = take()
            return try LabelQuery.Requirement(key: key, operator: .equals, values: [try exactValue()])
        case .notEquals:
            _ = take()
            return try LabelQuery.Requirement(key: key, operator: .notEquals, values: [try exactValue()])
        case .greaterThan, .lessThan:
            let op: LabelQuery.Operator = take() == .greaterThan ? .greaterThan : .lessThan
            return try LabelQuery.Requirement(key: key, operator: op, values: [try exactValue()])
        case .identifier("in"), .identifier("notin"):
            let op: LabelQuery.Operator = take() == .identifier("in") ? .in : .notIn
            return try LabelQuery.Requirement(key: key, operator: op, values: try valueSet())
        case let other:
            throw SelectorError("found '\(other.text)', expected: '=', '!=', '==', 'in', 'notin', '>' or '<'")
        }
    }

    /// The value after `=`, `!=`, `>` or `<`; nothing before a comma or the end is "".
    private mutating func exactValue() throws -> String {
        switch next {
        case .end, .comma: return ""
        case .identifier(let value):
            _ = take()
            return value
        case let other: throw SelectorError("found '\(other.text)', expected: identifier")
        }
    }

    /// `(v1, v2)`; an empty slot between commas is the value "" (Kubernetes accepts it), and
    /// so is `()`, as in Kubernetes' parser: it is how the set {""} prints.
    private mutating func valueSet() throws -> [String] {
        let open = take()
        guard open == .openParen else { throw SelectorError("found '\(open.text)', expected: '('") }
        var values: [String] = []
        if next == .closeParen {
            _ = take()
            return [""]
        }
        while true {
            if case .identifier(let value) = next {
                _ = take()
                values.append(value)
            } else {
                values.append("")
            }
            switch take() {
            case .comma: continue
            case .closeParen: return values
            case let other: throw SelectorError("found '\(other.text)', expected: ',' or ')'")
            }
        }
    }
}
