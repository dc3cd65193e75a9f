/// The protocol every generated message type conforms to: a Swift value that encodes to and
/// decodes from protobuf bytes through protobuf-c, and to and from Kubernetes JSON/YAML
/// through Codable.
///
/// Concurrency: values are immutable Sendable structs; encoding and decoding touch only
/// memory they allocate themselves, so any task may call them at any time.
/// Must never: crash on malformed bytes (they throw `WireError`).
public protocol WireMessage: Sendable, Equatable, Codable {
    /// Full protobuf name, e.g. "skiff.core.v1.Pod"; the `type` of an `Envelope` carrying it.
    static var protoName: String { get }
    /// A value with every field unset.
    init()
    /// Encodes this value to protobuf bytes.
    func serializedBytes() throws(WireError) -> [UInt8]
    /// Decodes protobuf bytes. Throws `WireError` for malformed input; never crashes.
    init(serializedBytes bytes: UnsafeRawBufferPointer) throws(WireError)
}

extension WireMessage {
    /// Decodes protobuf bytes held in an array. Inlinable so that callers in other modules get
    /// a specialized copy instead of generic code that moves `Self` through value witnesses.
    @inlinable
    public init(serializedBytes bytes: [UInt8]) throws(WireError) {
        // Typed throws do not pass through withUnsafeBytes' rethrows; carry the result out.
        let result: Result<Self, WireError> = bytes.withUnsafeBytes { buffer in
            do throws(WireError) { return .success(try Self(serializedBytes: buffer)) } catch { return .failure(error) }
        }
        self = try result.get()
    }
}

/// A message that carries apiVersion and kind in JSON: API objects, lists and Status.
/// Both come from the proto package and message name ("apps/v1", "Deployment").
public protocol TypedMessage: WireMessage {
    static var apiVersion: String { get }
    static var kind: String { get }
}

/// An API object: a kind with ObjectMeta.
public protocol APIObject: TypedMessage {
    var metadata: ObjectMeta? { get set }
}

/// A list of API objects, as list calls return them: `PodList { metadata, items }`.
public protocol APIList: TypedMessage {
    associatedtype Item: APIObject
    var metadata: ListMeta? { get set }
    var items: [Item] { get set }
}

/// Why bytes, JSON or YAML could not become a message (or a message could not become bytes).
public struct WireError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// protobuf-c refused the bytes (truncated, bad lengths, wrong wire types).
        case malformed
        /// A string field holds bytes that are not UTF-8.
        case invalidUTF8
        /// A string to encode contains a NUL byte, which C strings cannot carry.
        case embeddedNUL
        /// The type name is not one the registry knows.
        case unknownType
    }
    public var code: Code
    /// The message type or field path concerned, e.g. "skiff.core.v1.Pod.spec.containers[0].name".
    public var path: String
    public var message: String

    public init(_ code: Code, path: String, _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
