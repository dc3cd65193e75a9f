/// NameFormats: the string formats Kubernetes checks names and keys against (RFC 1123 labels
/// and subdomains, RFC 1035 labels, qualified names, label values, IANA port names, env var
/// names, config keys...). Each returns Kubernetes' own messages, empty when the value is valid.
///
/// Concurrency: pure functions. Must never: reword a message; users and tools compare them with
/// Kubernetes'. DNS names, qualified names and label values are SkiffAPI's NameRules, named
/// here beside the formats only validation needs.
import SkiffAPI

enum NameFormats {
    static let configKeyFormat = "[-._a-zA-Z0-9]+"
    static let percentFormat = "[0-9]+%"
    static let httpHeaderNameFormat = "[-A-Za-z0-9]+"

    // MARK: DNS names

    /// RFC 1123 label: namespace names, container and volume names, port names of services.
    static func dns1123Label(_ value: String) -> [String] { NameRules.isDNS1123Label(value) }

    /// RFC 1123 subdomain: the name of most objects.
    static func dns1123Subdomain(_ value: String) -> [String] { NameRules.isDNS1123Subdomain(value) }

    /// RFC 1035 label: service names (they become DNS names and environment variable prefixes).
    static func dns1035Label(_ value: String) -> [String] { NameRules.isDNS1035Label(value) }

    // MARK: Kubernetes keys and values

    /// Qualified name: label and annotation keys, finalizers, resource names ("example.com/MyName").
    static func qualifiedName(_ value: String) -> [String] { NameRules.isQualifiedName(value) }

    /// Label value: empty, or a qualified name part of at most 63 characters.
    static func labelValue(_ value: String) -> [String] { NameRules.isLabelValue(value) }

    /// A name that becomes one segment of a request path (RBAC objects, scale target names).
    static func pathSegmentName(_ value: String) -> [String] {
        if value == "." || value == ".." { return ["may not be '\(value)'"] }
        var errors: [String] = []
        if value.contains("/") { errors.append("may not contain '/'") }
        if value.contains("%") { errors.append("may not contain '%'") }
        return errors
    }

    /// IANA_SVC_NAME: container port names and named target ports ("http", "metrics-2").
    static func portName(_ value: String) -> [String] {
        var errors: [String] = []
        let bytes = Array(value.utf8)
        if bytes.count > 15 { errors.append(maxLength(15)) }
        if bytes.isEmpty || !bytes.allSatisfy({ isLowerAlphanumeric($0) || $0 == hyphen }) {
            errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
        }
        if !bytes.contains(where: { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) {
            errors.append("must contain at least one letter (a-z)")
        }
        if value.contains("--") { errors.append("must not contain consecutive hyphens") }
        if let first = bytes.first, let last = bytes.last, first == hyphen || last == hyphen {
            errors.append("must not begin or end with a hyphen")
        }
        return errors
    }

    /// Environment variable names, with Kubernetes' current (relaxed) rule: any printable ASCII
    /// character except '='.
    static func environmentVariableName(_ value: String) -> [String] {
        var errors: [String] = []
        if value.isEmpty { errors.append("environment variable name must be non-empty") }
        if value.utf8.contains(where: { $0 < 0x20 || $0 > 0x7E || $0 == UInt8(ascii: "=") }) {
            errors.append("a valid environment variable name must consist only of printable ASCII characters other than '='")
        }
        return errors
    }

    /// Keys of ConfigMap and Secret data (they become file names in volumes).
    static func configKey(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > 253 { errors.append(maxLength(253)) }
        let allowed = value.utf8.allSatisfy {
            isAlphanumeric($0) || $0 == hyphen || $0 == UInt8(ascii: "_") || $0 == dot
        }
        if value.isEmpty || !allowed {
            errors.append(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                                     configKeyFormat, examples: ["key.name", "KEY_NAME", "key-name"]))
        }
        if value == "." {
            errors.append("must not be '.'")
        } else if value == ".." {
            errors.append("must not be '..'")
        } else if value.hasPrefix("..") {
            errors.append("must not start with '..'")
        }
        return errors
    }

    /// A percentage as maxSurge and maxUnavailable write it ("25%").
    static func percent(_ value: String) -> [String] {
        let digits = value.utf8.dropLast()
        if value.hasSuffix("%"), !digits.isEmpty, digits.allSatisfy(isDigit) { return [] }
        return [regexError("a valid percent string must be a numeric string followed by an ending '%'",
                           percentFormat, examples: ["1%", "93%"])]
    }

    /// HTTP header names in probes.
    static func httpHeaderName(_ value: String) -> [String] {
        if !value.isEmpty, value.utf8.allSatisfy({ isAlphanumeric($0) || $0 == hyphen }) { return [] }
        return [regexError("a valid HTTP header must consist of alphanumeric characters or '-'",
                           httpHeaderNameFormat, examples: ["X-Header-Name"])]
    }

    /// The name a generated name will have once a suffix is appended: a trailing dash is fine.
    static func maskingTrailingDash(_ prefix: String) -> String {
        guard prefix.utf8.count > 1, prefix.hasSuffix("-") else { return prefix }
        return String(prefix.dropLast(2)) + "a"
    }

    // MARK: Message builders

    static func maxLength(_ length: Int) -> String { "must be no more than \(length) characters" }

    static func inclusiveRange(_ low: Int64, _ high: Int64) -> String { "must be between \(low) and \(high), inclusive" }

    /// Kubernetes' "(e.g. 'a',  or 'b', regex used for validation is '...')" suffix, double space included.
    static func regexError(_ message: String, _ format: String, examples: [String]) -> String {
        if examples.isEmpty { return message + " (regex used for validation is '" + format + "')" }
        let listed = examples.map { "'" + $0 + "', " }.joined(separator: " or ")
        return message + " (e.g. " + listed + "regex used for validation is '" + format + "')"
    }

    // MARK: Character classes

    private static let hyphen = UInt8(ascii: "-")
    private static let dot = UInt8(ascii: ".")

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }






}
