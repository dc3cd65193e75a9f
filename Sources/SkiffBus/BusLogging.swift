/// BusLogging: the logger bus objects use when given none. Libraries accept a `Logger` and
/// never bootstrap the logging system; the default discards everything.
///
/// Concurrency: Logger is a Sendable value. Must never: call LoggingSystem.bootstrap.
import Logging

public enum BusLogging {
    /// A logger that discards everything.
    public static var disabled: Logger {
        Logger(label: "skiff.bus", factory: { _ in SwiftLogNoOpLogHandler() })
    }
}
