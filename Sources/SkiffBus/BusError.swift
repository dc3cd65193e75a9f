/// BusError: every failure the bus reports, local (timeout, bad endpoint, closed socket) or
/// remote (a `Failure` reply from a server), as one struct with an extensible code and a
/// message, so callers can switch on the code and log the message.
///
/// Concurrency: a plain Sendable value. Must never: lose the server's code; an unknown code
/// from a newer server is kept as is.
import SkiffWire

public struct BusError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why it failed. The wire codes are the ones a server puts in a `Failure` reply
    /// (see envelope.proto); they travel on the wire, so their spelling must not change.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        // MARK: wire codes (Failure.code)
        /// The request's envelope or payload did not decode.
        public static let badRequest = Code("BadRequest")
        /// The server has no handler for the request's type.
        public static let noHandler = Code("NoHandler")
        /// The handler threw.
        public static let handlerFailed = Code("HandlerFailed")
        /// The request's deadline had passed when the server got to it.
        public static let expired = Code("Expired")
        /// A message exceeds the bus's maximum message size.
        public static let tooLarge = Code("TooLarge")
        /// The sender is over the server's rate limit (`RateLimit`); the handler did not run.
        public static let tooManyRequests = Code("TooManyRequests")
        /// The request lacks a credential the server requires (the store's, in `token`); the
        /// handler did not run. Locally also: a reply that did not open with the bus key.
        public static let unauthenticated = Code("Unauthenticated")

        // MARK: local codes
        /// No reply before the call's deadline.
        public static let timeout = Code("Timeout")
        /// The URL is not a valid inproc://, ipc:// or tcp:// endpoint.
        public static let invalidEndpoint = Code("InvalidEndpoint")
        /// The topic is empty or contains a NUL byte.
        public static let invalidTopic = Code("InvalidTopic")
        /// The client, server, publisher or subscriber was closed.
        public static let closed = Code("Closed")
        /// bind() found the address taken.
        public static let addressInUse = Code("AddressInUse")
        /// A nanomsg call failed for another reason (the message names the call and errno).
        public static let transport = Code("Transport")
        /// A message could not be encoded, or a reply could not be decoded.
        public static let malformed = Code("Malformed")
        /// The reply's type is neither the expected one nor a Failure.
        public static let unexpectedReply = Code("UnexpectedReply")
        /// The endpoint directory or a run directory could not be read, written or secured.
        public static let directory = Code("Directory")
        /// The bus key file is missing, unreadable, readable by others, or not a key.
        public static let keyFile = Code("KeyFile")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

extension BusError {
    /// The error a `Failure` reply stands for.
    public init(_ failure: Failure) {
        self.init(Code(failure.code ?? Code.handlerFailed.rawValue), failure.message ?? "")
    }

    /// The `Failure` message a server sends for this error.
    public var failure: Failure {
        var failure = Failure()
        failure.code = code.rawValue
        failure.message = message
        return failure
    }
}
