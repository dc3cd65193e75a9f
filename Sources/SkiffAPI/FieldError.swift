/// FieldError: one problem with one field of an object, worded as Kubernetes words it
/// ("spec.containers[0].image: Required value"). Validation returns a list of these; the
/// apiserver turns a non-empty list into a 422 Invalid Status with one cause per error.
///
/// Concurrency: a plain Sendable value.
public struct FieldError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Kubernetes' field error types; `rawValue` is the StatusCause reason ("FieldValueRequired").
    public enum Kind: String, Sendable, Equatable {
        case required = "FieldValueRequired"
        case invalid = "FieldValueInvalid"
        case notSupported = "FieldValueNotSupported"
        case duplicate = "FieldValueDuplicate"
        case forbidden = "FieldValueForbidden"
        case tooLong = "FieldValueTooLong"
        case tooMany = "FieldValueTooMany"
        case notFound = "FieldValueNotFound"

        /// The words Kubernetes puts after the path.
        var summary: String {
            switch self {
            case .required: "Required value"
            case .invalid: "Invalid value"
            case .notSupported: "Unsupported value"
            case .duplicate: "Duplicate value"
            case .forbidden: "Forbidden"
            case .tooLong: "Too long"
            case .tooMany: "Too many"
            case .notFound: "Not found"
            }
        }
    }

    public var kind: Kind
    /// The field's path, e.g. "spec.template.spec.containers[0].ports[1].containerPort".
    public var field: String
    /// The offending value as the user wrote it, quoted in the message when present.
    public var value: String?
    /// Why, e.g. "must be no more than 63 characters".
    public var detail: String

    public init(_ kind: Kind, _ field: String, value: String? = nil, _ detail: String = "") {
        self.kind = kind
        self.field = field
        self.value = value
        self.detail = detail
    }

    public static func required(_ field: String, _ detail: String = "") -> FieldError {
        FieldError(.required, field, detail)
    }
    public static func invalid(_ field: String, _ value: String, _ detail: String) -> FieldError {
        FieldError(.invalid, field, value: value, detail)
    }
    public static func notSupported(_ field: String, _ value: String, supported: [String]) -> FieldError {
        FieldError(.notSupported, field, value: value,
                   "supported values: " + supported.map { "\"\($0)\"" }.joined(separator: ", "))
    }
    public static func duplicate(_ field: String, _ value: String) -> FieldError {
        FieldError(.duplicate, field, value: value)
    }
    public static func forbidden(_ field: String, _ detail: String) -> FieldError {
        FieldError(.forbidden, field, detail)
    }

    /// "field: Invalid value: \"Foo\": detail", as Kubernetes prints it.
    public var description: String {
        var text = "\(field): \(kind.summary)"
        if let value, kind != .required, kind != .forbidden { text += ": \"\(value)\"" }
        if !detail.isEmpty { text += ": \(detail)" }
        return text
    }
}

/// A path into an object, built as validation descends: `path.child("spec").child("containers").index(0)`.
public struct FieldPath: Sendable, Equatable, CustomStringConvertible {
    public private(set) var description: String

    public init(_ root: String) { description = root }

    public func child(_ name: String) -> FieldPath {
        FieldPath(description.isEmpty ? name : description + "." + name)
    }
    public func index(_ i: Int) -> FieldPath { FieldPath(description + "[\(i)]") }
    public func key(_ k: String) -> FieldPath { FieldPath(description + "[\(k)]") }
}
