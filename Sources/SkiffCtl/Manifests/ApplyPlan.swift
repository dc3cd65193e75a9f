/// ApplyPlan: what `apply` does with one manifest object, decided purely from the manifest and
/// the live object: create it when absent; otherwise send the manifest as a JSON merge patch
/// (every field the manifest sets taken over the live object, status left alone), or nothing
/// when that patch would change nothing.
///
/// Concurrency: pure functions. Must never: put the manifest's status, apiVersion or kind into
/// the patch (status belongs to controllers; the type is implied by the request).
import SkiffAPI
import SkiffWire

public enum ApplyPlan: Sendable {
    case create
    /// The merge patch to send.
    case patch(JSONValue)
    case unchanged

    public static func decide(manifest: any APIObject, live: (any APIObject)?) throws -> ApplyPlan {
        guard let live else { return .create }
        let patch = try mergePatch(for: manifest)
        let current = try JSONValue(encoding: live)
        return MergePatch.merge(patch, into: current) == current ? .unchanged : .patch(patch)
    }

    /// The manifest as a merge patch: its fields without status and type meta.
    public static func mergePatch(for manifest: any APIObject) throws -> JSONValue {
        guard case .object(var members) = try JSONValue(encoding: manifest) else { return .object([:]) }
        for key in ["apiVersion", "kind", "status"] { members[key] = nil }
        return .object(members)
    }
}
