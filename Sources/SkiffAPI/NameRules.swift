/// NameRules: the syntax of names, label keys and label values, checked as Kubernetes checks
/// them and answering in Kubernetes' words. Each check returns the list of problems (empty when
/// the text is fine), so a validator can turn every message into one `FieldError.invalid`.
///
/// Concurrency: pure functions over strings. Must never: reword a message; users and tests
/// compare them with what a Kubernetes cluster says.
public enum NameRules {
    /// Longest DNS-1123 label, DNS-1035 label, label value and name part of a qualified name.
    public static let labelMaxLength = 63
    /// Longest DNS-1123 subdomain (and so the longest prefix of a qualified name).
    public static let subdomainMaxLength = 253

    /// A lowercase RFC 1123 label ("my-name"): the names of namespaces, and of pods' containers
    /// and ports. Lowercase alphanumerics and '-', starting and ending alphanumeric, ≤ 63.
    public static func isDNS1123Label(_ value: String) -> [String] {
        var problems: [String] = []
        if value.utf8.count > labelMaxLength { problems.append(maxLength(labelMaxLength)) }
        if !matchesDNS1123Label(value.utf8[...]) {
            // A dotted name is a valid subdomain; saying so is clearer than the pattern.
            if matchesDNS1123Subdomain(value) {
                problems.append("must not contain dots")
            } else {
                problems.append(patternError(
                    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
                    pattern: dns1123LabelPattern, examples: ["my-name", "123-abc"]))
            }
        }
        return problems
    }

    /// A lowercase RFC 1123 subdomain ("example.com"): the names of most objects. Dot-separated
    /// DNS-1123 labels, ≤ 253 characters in all.
    public static func isDNS1123Subdomain(_ value: String) -> [String] {
        var problems: [String] = []
        if value.utf8.count > subdomainMaxLength { problems.append(maxLength(subdomainMaxLength)) }
        if !matchesDNS1123Subdomain(value) {
            problems.append(patternError(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
                pattern: dns1123LabelPattern + "(\\." + dns1123LabelPattern + ")*", examples: ["example.com"]))
        }
        return problems
    }

    /// A DNS-1035 label ("my-name"): the names of services. Like a DNS-1123 label, but it must
    /// start with a letter.
    public static func isDNS1035Label(_ value: String) -> [String] {
        var problems: [String] = []
        if value.utf8.count > labelMaxLength { problems.append(maxLength(labelMaxLength)) }
        let bytes = value.utf8
        if !matchesDNS1123Label(bytes[...]) || !(bytes.first.map(isLowerLetter) ?? false) {
            problems.append(patternError(
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
                pattern: "[a-z]([-a-z0-9]*[a-z0-9])?", examples: ["my-name", "abc-123"]))
        }
        return problems
    }

    /// A qualified name ("app", "example.com/tier"): label and annotation keys, finalizers. An
    /// optional DNS-1123 subdomain prefix and '/', then a name of ≤ 63 alphanumerics, '-', '_'
    /// and '.', starting and ending alphanumeric.
    public static func isQualifiedName(_ value: String) -> [String] {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        var problems: [String] = []
        let name: Substring
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            let prefix = String(parts[0])
            name = parts[1]
            if prefix.isEmpty {
                problems.append("prefix part must be non-empty")
            } else {
                problems += isDNS1123Subdomain(prefix).map { "prefix part " + $0 }
            }
        default:
            return ["a qualified name " + qualifiedNamePatternError
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
        }
        if name.isEmpty {
            problems.append("name part must be non-empty")
        } else if name.utf8.count > labelMaxLength {
            problems.append("name part " + maxLength(labelMaxLength))
        }
        if !matchesQualifiedNamePart(name.utf8) {
            problems.append("name part " + qualifiedNamePatternError)
        }
        return problems
    }

    /// A label value: empty, or ≤ 63 alphanumerics, '-', '_' and '.', starting and ending
    /// alphanumeric.
    public static func isLabelValue(_ value: String) -> [String] {
        var problems: [String] = []
        if value.utf8.count > labelMaxLength { problems.append(maxLength(labelMaxLength)) }
        if !value.isEmpty && !matchesQualifiedNamePart(value.utf8[...]) {
            problems.append(patternError(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                pattern: "(" + qualifiedNamePartPattern + ")?", examples: ["MyValue", "my_value", "12345"]))
        }
        return problems
    }

    // MARK: the patterns, matched by hand (no regular expressions: these run on every label)

    private static let dns1123LabelPattern = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
    private static let qualifiedNamePartPattern = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    private static let qualifiedNamePatternError = patternError(
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        pattern: qualifiedNamePartPattern, examples: ["MyName", "my.name", "123-abc"])

    private static func isLowerLetter(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool { isLowerLetter(byte) || isDigit(byte) }
    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || (byte >= 0x41 && byte <= 0x5A)
    }

    private static func matchesDNS1123Label(_ bytes: Substring.UTF8View) -> Bool {
        guard let first = bytes.first, let last = bytes.last,
              isLowerAlphanumeric(first), isLowerAlphanumeric(last) else { return false }
        return bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    private static func matchesDNS1123Subdomain(_ value: String) -> Bool {
        value.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { matchesDNS1123Label($0.utf8) }
    }

    private static func matchesQualifiedNamePart(_ bytes: Substring.UTF8View) -> Bool {
        guard let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last) else {
            return false
        }
        return bytes.allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
    }

    private static func maxLength(_ length: Int) -> String { "must be no more than \(length) characters" }

    /// Kubernetes' pattern message, double spaces included: users grep for these.
    private static func patternError(_ message: String, pattern: String, examples: [String]) -> String {
        message + " (e.g. " + examples.map { "'\($0)', " }.joined(separator: " or ")
            + "regex used for validation is '" + pattern + "')"
    }
}
