/// WatchEvents: a store change as API watchers see it. A store event on key
/// /registry/<resource>/<ns>/<name> becomes a WatchEvent (ADDED for a key's first version,
/// MODIFIED after, DELETED with the object's last state), stamped with its resourceVersion,
/// plus the topics it is published on.
///
/// Concurrency: pure functions. Must never: publish an event without its resourceVersion.
import SkiffAPI
import SkiffWire

enum WatchEvents {
    struct Routed {
        var event: WatchEvent
        var key: StorageKey
        var revision: Int64
        /// The pod's node, when it is bound to one (for per-node routing and filtering).
        var nodeName: String?

        var topics: [String] {
            var topics = [WatchTopic.object(key.resource.groupResource, namespace: key.namespace)]
            if let nodeName, !nodeName.isEmpty { topics.append(WatchTopic.pods(onNode: nodeName)) }
            return topics
        }
    }

    /// nil for keys outside the object layout, and for a sealed value that does not open (the
    /// event is skipped; a get or list of that Secret reports why).
    static func route(_ change: StoreEvent, encryption: SecretEncryption) -> Routed? {
        guard let kv = change.kv, let rawKey = kv.key, let key = StorageKey.parse(rawKey),
              let sealed = kv.value, let revision = kv.modRevision,
              let value = try? encryption.open(sealed, storageKey: rawKey) else { return nil }
        let type: String
        switch change.type {
        case "DELETE": type = "DELETED"
        case "PUT": type = (kv.version ?? 1) <= 1 ? "ADDED" : "MODIFIED"
        default: return nil
        }
        let nodeName = key.resource.plural == "pods" && key.resource.group.isEmpty
            ? ProtoFields.string(value, path: [ProtoFields.spec, ProtoFields.nodeName]) : nil
        let event = WatchEvent(type: type, objectType: key.resource.objectType.protoName,
                               object: ProtoFields.stampingResourceVersion(value, revision),
                               resourceVersion: String(revision), resource: key.resource.groupResource.description,
                               namespace: key.namespace, name: key.name)
        return Routed(event: event, key: key, revision: revision, nodeName: nodeName)
    }

    static func bookmark(_ resource: ResourceInfo, revision: Int64) -> WatchEvent {
        var meta = ObjectMeta()
        meta.resourceVersion = String(revision)
        var object = resource.objectType.init()
        object.metadata = meta
        return WatchEvent(type: "BOOKMARK", objectType: resource.objectType.protoName,
                          object: (try? object.serializedBytes()) ?? [], resourceVersion: String(revision),
                          resource: resource.groupResource.description)
    }
}
