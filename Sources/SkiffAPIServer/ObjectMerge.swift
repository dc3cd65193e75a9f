/// ObjectMerge: what an update may change. A spec update keeps the stored status and the
/// system-owned metadata; a status update keeps everything but the status. Spec and status are
/// spliced as encoded fields (every kind numbers metadata 1, spec 2, status 3), so one rule
/// serves every kind.
///
/// Concurrency: pure functions. Must never: let a write through the main resource change the
/// status of a kind that has a status subresource, or any write change uid or creationTimestamp.
import SkiffAPI
import SkiffWire

enum ObjectMerge {
    static func merge(incoming: any APIObject, current: ObjectRegistry.Stored, statusOnly: Bool,
                      hasStatus: Bool, registry: ObjectRegistry) throws -> any APIObject {
        let old = current.object
        var merged: any APIObject
        if statusOnly {
            // The status from the caller, everything else as stored.
            let bytes = ProtoFields.replacing(ProtoFields.status, in: current.bytes,
                                              from: try registry.encode(incoming, clearingResourceVersion: true))
            merged = try registry.decode(current.resourceInfo, bytes)
            merged.metadata = old.metadata
        } else {
            merged = incoming
            if hasStatus {
                let bytes = ProtoFields.replacing(ProtoFields.status,
                                                  in: try registry.encode(incoming, clearingResourceVersion: true),
                                                  from: current.bytes)
                merged = try registry.decode(current.resourceInfo, bytes)
            }
            var meta = merged.metadata ?? ObjectMeta()
            let oldMeta = old.metadata ?? ObjectMeta()
            // System-owned fields survive whatever the caller sent.
            meta.name = oldMeta.name
            meta.namespace = oldMeta.namespace
            meta.uid = oldMeta.uid
            meta.creationTimestamp = oldMeta.creationTimestamp
            meta.generation = oldMeta.generation
            meta.deletionTimestamp = oldMeta.deletionTimestamp
            meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds
            meta.generateName = meta.generateName ?? oldMeta.generateName
            meta.managedFields = []
            merged.metadata = meta
            KindRules.carryOver(into: &merged, from: old)
        }
        merged.metadata?.resourceVersion = nil
        return merged
    }

    /// Whether anything but metadata and status differs: what bumps metadata.generation.
    /// `stored` is the old object's bytes as the store holds them.
    static func specChanged(_ new: any APIObject, from stored: [UInt8], hasStatus: Bool,
                            registry: ObjectRegistry) -> Bool {
        guard let a = try? registry.encode(new, clearingResourceVersion: true) else { return true }
        let b = stored
        let ignored: Set<UInt64> = hasStatus ? [ProtoFields.metadata, ProtoFields.status] : [ProtoFields.metadata]
        return ProtoFields.removing(ignored, from: a) != ProtoFields.removing(ignored, from: b)
    }
}
