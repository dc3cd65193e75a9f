/// SelectorError: a label or field selector that cannot be understood or is not allowed, with
/// the message Kubernetes would give ("unable to parse requirement: ...", "field label not
/// supported: spec.foo"). The apiserver answers a bad query selector with 400 BadRequest and a
/// bad selector inside an object with 422 Invalid, one cause per field error.
///
/// Concurrency: a plain Sendable value.
public struct SelectorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The whole problem in one line, ready for a Status message.
    public var message: String
    /// For a selector read from an object's field (`spec.selector`), each problem with its path.
    public var fieldErrors: [FieldError]

    public init(_ message: String, fieldErrors: [FieldError] = []) {
        self.message = message
        self.fieldErrors = fieldErrors
    }

    public var description: String { message }

    /// The 400 a request with this selector in its query gets.
    public var badRequest: APIError { .badRequest(message) }
}
