/// MergePatch: JSON merge patch (RFC 7386), what `kubectl patch --type merge` sends. A patch
/// is a JSON object shaped like the target: `null` removes a member, an object merges into the
/// member recursively, anything else (arrays included) replaces it. Applied to an API object,
/// the result must decode strictly as the same type, so a patch cannot smuggle in an unknown
/// field or a value of the wrong type.
///
/// Concurrency: pure functions. Must never: let integers pass through Double (resourceVersions,
/// generations and quantities are 64-bit integers), or accept a result the decoder refuses.
import Foundation
import SkiffWire

public enum MergePatch {
    /// `object` with `patch` applied. Throws `MergePatchError`: `.malformedPatch` when the
    /// patch is not a JSON object, `.invalidResult` (message naming the field path) when the
    /// merged document is not a valid `Object`.
    public static func apply<Object: APIObject>(_ patch: Data, to object: Object) throws -> Object {
        let patchTree = try parsePatch(patch)
        let target: JSONValue
        do {
            target = try JSONValue(encoding: object)
        } catch {
            throw MergePatchError(.invalidResult, "cannot encode the current object: \(error)")
        }
        let merged = merge(patchTree, into: target)
        do {
            return try JSONDecoder().decode(Object.self, from: encode(merged))
        } catch let error as DecodingError {
            throw MergePatchError(.invalidResult, error.fieldDescription)
        } catch {
            throw MergePatchError(.invalidResult, "\(error)")
        }
    }

    /// A JSON document with `patch` applied. Throws `MergePatchError.malformedPatch` when
    /// either is not JSON or the patch is not an object.
    public static func apply(_ patch: Data, toDocument document: Data) throws -> Data {
        let patchTree = try parsePatch(patch)
        return encode(merge(patchTree, into: try parse(document, what: "document")))
    }

    /// The merge patch that turns `old` into `new`: members removed in `new` become null,
    /// changed objects recurse, other changed values are copied whole. (A member whose new
    /// value is an explicit null is indistinguishable from a removed one; RFC 7386 cannot say
    /// "set to null".) Throws `MergePatchError.malformedPatch` when either is not JSON.
    public static func create(from old: Data, to new: Data) throws -> Data {
        encode(difference(from: try parse(old, what: "old document"), to: try parse(new, what: "new document")))
    }

    // MARK: the algorithm, on JSON trees

    /// `target` with `patch` applied: objects merge member by member, null removes a member,
    /// anything else replaces.
    public static func merge(_ patch: JSONValue, into target: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var members: [String: JSONValue] = if case .object(let targetMembers) = target { targetMembers } else { [:] }
        for (name, value) in patchMembers {
            if value == .null {
                members[name] = nil
            } else {
                members[name] = merge(value, into: members[name] ?? .null)
            }
        }
        return .object(members)
    }

    /// The merge patch that turns `old` into `new` (see `create(from:to:)`).
    public static func difference(from old: JSONValue, to new: JSONValue) -> JSONValue {
        guard case .object(let oldMembers) = old, case .object(let newMembers) = new else { return new }
        var patch: [String: JSONValue] = [:]
        for name in oldMembers.keys where newMembers[name] == nil {
            patch[name] = .null
        }
        for (name, value) in newMembers where oldMembers[name] != value {
            patch[name] = oldMembers[name].map { difference(from: $0, to: value) } ?? value
        }
        return .object(patch)
    }

    private static func parsePatch(_ data: Data) throws -> JSONValue {
        let tree = try parse(data, what: "patch")
        guard case .object = tree else {
            throw MergePatchError(.malformedPatch, "a merge patch must be a JSON object")
        }
        return tree
    }

    private static func parse(_ data: Data, what: String) throws -> JSONValue {
        do {
            return try JSONValue(parsing: data)
        } catch {
            throw MergePatchError(.malformedPatch, "the \(what) is not valid JSON")
        }
    }

    private static func encode(_ tree: JSONValue) -> Data {
        Data(tree.compactText().utf8)
    }
}

/// Why a merge patch could not be applied.
public struct MergePatchError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The patch (or a document) is not JSON, or the patch is not a JSON object: a 400.
        case malformedPatch
        /// The patched object does not decode as its type (unknown field, wrong type, another
        /// kind); the message starts with the field path. Kubernetes answers 400 BadRequest.
        case invalidResult
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    public var badRequest: APIError { .badRequest(message) }
}
