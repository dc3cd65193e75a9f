/// BusKey: the cluster's shared bus key, 32 random bytes kept in a file as one base64 line
/// (mode 0600). With a key, every bus socket seals what it sends and drops what does not open
/// (`EnvelopeSeal`); every process of a cluster holds the same key.
///
/// Which key a socket uses is its Options' `key` setting: by default the file named by the
/// environment variable SKIFF_BUS_KEY_FILE (read once per process), so every component, tool
/// and test child gets it without a flag of its own; `.key(_)` for tests; `.unkeyed` for none.
///
/// A second key, the confidential key (SKIFF_BUS_CONFIDENTIAL_KEY_FILE), seals what a publisher
/// sends on its `ConfidentialTopics` (the apiserver: Secret and ConfigMap events), so only the
/// processes given that key can read those topics; the others (kubelets: a node reads a Secret
/// only by a request the node authorizer allows) hold just the bus key.
///
/// Concurrency: a Sendable value; copies share one `EnvelopeSeal` (one nonce counter). Must
/// never: print or log the key, accept a key file others can read, or fall back to no key when
/// the file named in the environment cannot be read (that is an error, not a downgrade).
import Crypto
import Foundation
import Synchronization

public struct BusKey: Sendable {
    /// The environment variable naming the key file.
    public static let environmentVariable = "SKIFF_BUS_KEY_FILE"
    /// The environment variable naming the confidential key's file.
    public static let confidentialEnvironmentVariable = "SKIFF_BUS_CONFIDENTIAL_KEY_FILE"
    /// Key length in bytes (AES-256).
    public static let byteCount = 32
    /// Bytes a sealed envelope carries beyond the envelope (header and tag).
    public static var sealOverhead: Int { EnvelopeSeal.overhead }

    /// Which key a socket uses.
    public enum Setting: Sendable {
        /// The file named by SKIFF_BUS_KEY_FILE if set, else none. The default.
        case fromEnvironment
        /// The file named by SKIFF_BUS_CONFIDENTIAL_KEY_FILE if set, else none.
        case confidentialFromEnvironment
        /// This key.
        case key(BusKey)
        /// No key: send in clear, accept only clear messages.
        case unkeyed

        /// The seal for this setting, nil for none. Throws `.keyFile` if the environment names
        /// a file that is missing, unreadable, readable by others or not a key.
        func seal() throws(BusError) -> EnvelopeSeal? {
            switch self {
            case .fromEnvironment: return try BusKey.environment()?.seal
            case .confidentialFromEnvironment: return try BusKey.environment(confidentialEnvironmentVariable)?.seal
            case .key(let key): return key.seal
            case .unkeyed: return nil
            }
        }
    }

    let seal: EnvelopeSeal

    /// A key from its 32 bytes.
    public init(bytes: some Collection<UInt8>) throws(BusError) {
        guard bytes.count == Self.byteCount else {
            throw BusError(.keyFile, "a bus key is \(Self.byteCount) bytes, got \(bytes.count)")
        }
        seal = EnvelopeSeal(key: SymmetricKey(data: Array(bytes)))
    }

    /// A key from its base64 text (surrounding white space ignored).
    public init(base64: String) throws(BusError) {
        guard let bytes = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw BusError(.keyFile, "a bus key is one line of base64")
        }
        try self.init(bytes: bytes)
    }

    /// Reads a key file. Refuses one that group or others may read or write: a key everyone can
    /// read authenticates nothing.
    public init(file path: String) throws(BusError) {
        let text = try PrivateFile.read(path, what: "bus key file")
        do {
            try self.init(base64: text)
        } catch {
            throw BusError(.keyFile, "bus key file \(path): \(error.message)")
        }
    }

    /// A new random key.
    public static func generate() -> BusKey {
        // Cannot fail: the length is right by construction.
        try! BusKey(bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// A new key file's contents: one base64 line (what `busctl keygen` prints).
    public static func newKeyFile() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
    }

    // MARK: the process's key

    private static let fromEnvironmentOnce = Mutex<[String: Result<BusKey?, BusError>]>([:])

    /// The key named by `variable` (SKIFF_BUS_KEY_FILE by default), read on first use and kept
    /// for the process's life (all of its sockets then share one seal); nil when the variable
    /// is unset or empty.
    public static func environment(_ variable: String = environmentVariable) throws(BusError) -> BusKey? {
        let result = fromEnvironmentOnce.withLock { cache -> Result<BusKey?, BusError> in
            if let cached = cache[variable] { return cached }
            let loaded: Result<BusKey?, BusError>
            if let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty {
                do throws(BusError) { loaded = .success(try BusKey(file: path)) } catch { loaded = .failure(error) }
            } else {
                loaded = .success(nil)
            }
            cache[variable] = loaded
            return loaded
        }
        return try result.get()
    }
}

/// Topics a publisher seals with the confidential key instead of the bus key: subscribers
/// without that key cannot read them, whatever they subscribe to.
public struct ConfidentialTopics: Sendable {
    /// Topic prefixes covered ("w/secrets/" covers every Secret event).
    public var prefixes: [String]
    public var key: BusKey

    public init(prefixes: [String], key: BusKey) {
        self.prefixes = prefixes
        self.key = key
    }

    /// The confidential key of the environment (SKIFF_BUS_CONFIDENTIAL_KEY_FILE) over
    /// `prefixes`; nil when the variable is unset.
    public static func fromEnvironment(prefixes: [String]) throws(BusError) -> ConfidentialTopics? {
        try BusKey.environment(BusKey.confidentialEnvironmentVariable).map { ConfidentialTopics(prefixes: prefixes, key: $0) }
    }

    func covers(_ topic: String) -> Bool { prefixes.contains { topic.hasPrefix($0) } }
}
