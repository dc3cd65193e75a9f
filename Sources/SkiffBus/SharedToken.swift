/// SharedToken: a secret string that only some processes hold, read from a file (one base64
/// line, mode 0600), that a request server requires in each request's `Envelope.token`
/// (`RequestServer.Options.requiredToken`). The store requires one that only apiservers hold,
/// so that no other bus peer can read or write the store directly.
///
/// Concurrency: a Sendable value. Must never: print or log the token, accept a file others can
/// read, or compare in time that depends on where the presented token differs.
import Crypto
import Foundation

public struct SharedToken: Sendable, Equatable {
    /// The token as it travels in `Envelope.token`.
    public let value: String

    public init(_ value: String) throws(BusError) {
        guard !value.isEmpty else { throw BusError(.keyFile, "a token must not be empty") }
        self.value = value
    }

    /// Reads a token file: its first line, white space trimmed. Refuses one that group or
    /// others may read or write.
    public init(file path: String) throws(BusError) {
        let text = try PrivateFile.read(path, what: "token file")
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        try self.init(line.trimmingCharacters(in: .whitespaces))
    }

    /// A new random token file's contents: 32 random bytes as one base64 line.
    public static func newTokenFile() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
    }

    /// Whether `presented` is this token, compared in constant time: both sides are hashed
    /// first, so neither the length nor the first differing byte shows in the timing.
    public func matches(_ presented: String?) -> Bool {
        guard let presented else { return false }
        let expected = SHA256.hash(data: Array(value.utf8))
        let given = SHA256.hash(data: Array(presented.utf8))
        var difference: UInt8 = 0
        for (a, b) in zip(expected, given) { difference |= a ^ b }
        return difference == 0
    }

    public static func == (lhs: SharedToken, rhs: SharedToken) -> Bool { lhs.matches(rhs.value) }
}
