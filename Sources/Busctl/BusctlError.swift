/// BusctlError: a failure busctl reports to its user as one line on stderr, `error: MESSAGE`,
/// followed by a non-zero exit. `reportingErrors` is the one place that turns any error thrown
/// by a command's body into that line: a `BusError` prints as `error: CODE: message`, a
/// `DecodingError` with its field path.
///
/// Concurrency: plain Sendable values and a stateless function. Must never: let an error
/// escape as a stack trace or a multi-line dump.
import ArgumentParser
import SkiffBus
import SkiffWire
import SkiffCommandLine

public struct BusctlError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Runs a command's body; any error becomes one line on `errors` and exit status 1.
/// ArgumentParser's own exits (help, `ExitCode`) pass through.
func reportingErrors(to errors: any LineSink = FileDescriptorSink.standardError,
                     _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        errors.write(line: "error: \(describe(error))")
        throw ExitCode.failure
    }
}

/// One line describing `error`.
func describe(_ error: any Error) -> String {
    let text: String
    switch error {
    case let error as BusctlError: text = error.message
    case let error as BusError: text = error.description
    case let error as DecodingError: text = error.fieldDescription
    default: text = String(describing: error)
    }
    return text.split(whereSeparator: \.isNewline).joined(separator: " ")
}
