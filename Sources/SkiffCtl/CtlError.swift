/// CtlError and the error line: every failure reaches the user as one line on stderr, worded
/// as kubectl words it: `Error from server (NotFound): pods "web" not found` for an API error
/// (its Status's reason and message), `error: ...` for anything found on this side.
///
/// Concurrency: plain values and pure functions. Must never: print a stack trace or a
/// multi-line dump, or let a command exit 0 after printing an error.
import SkiffAPI
import SkiffWire

/// A failure found by skiffctl itself: bad arguments, a bad manifest, a refused edit.
public struct CtlError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// The line kubectl would print for `error`.
public func errorLine(for error: any Error) -> String {
    var context = ""
    var error = error
    if let wrapped = error as? ContextError {
        context = wrapped.context + ": "
        error = wrapped.underlying
    }
    let text: String
    switch error {
    case let error as APIError:
        let reason = error.reason.rawValue
        let origin = reason.isEmpty ? "Error from server" : "Error from server (\(reason))"
        text = "\(origin): \(context)\(error.message)"
    case let error as CtlError:
        text = "error: \(context)\(error.message)"
    case let error as DecodingError:
        text = "error: \(context)\(error.fieldDescription)"
    default:
        text = "error: \(context)\(String(describing: error))"
    }
    return text.split(whereSeparator: \.isNewline).joined(separator: " ")
}
