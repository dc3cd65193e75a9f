/// OwnerRefs: ownerReferences as controllers write and read them. A controller owns what carries
/// its ControllerRef (controller: true); it adopts a matching orphan by adding one and releases a
/// pod that stops matching by removing it, as client-go's ControllerRefManager.
///
/// Concurrency: pure functions. Must never: take an object that another controller controls.
import SkiffAPI
import SkiffWire

public enum OwnerRefs {
    /// The reference a controller puts on what it creates: controller and blockOwnerDeletion set,
    /// so foreground deletion waits for the dependent.
    public static func controllerRef<Owner: APIObject>(to owner: Owner) -> OwnerReference {
        OwnerReference(apiVersion: Owner.apiVersion, kind: Owner.kind, name: owner.metadata?.name,
                       uid: owner.metadata?.uid, controller: true, blockOwnerDeletion: true)
    }

    /// The reference with controller: true, if any.
    public static func controllerOf(_ meta: ObjectMeta?) -> OwnerReference? {
        meta?.ownerReferences.first { $0.controller == true }
    }

    /// Whether `meta` is controlled by the object with `uid`.
    public static func isControlled(_ meta: ObjectMeta?, by uid: String?) -> Bool {
        guard let uid, !uid.isEmpty else { return false }
        return controllerOf(meta)?.uid == uid
    }

    /// What a controller must do with the objects its selector sees, as ClaimPods decides:
    /// keep what it controls and still matches, adopt matching orphans (unless it or they are
    /// being deleted), release what it controls but no longer matches.
    public struct Claim<Object: APIObject>: Sendable {
        public var owned: [Object] = []
        public var adopt: [Object] = []
        public var release: [Object] = []
    }

    public static func claim<Object: APIObject>(_ candidates: [Object], ownerUID: String?, ownerDeleting: Bool,
                                                 selector: LabelQuery) -> Claim<Object> {
        var claim = Claim<Object>()
        for object in candidates {
            let matches = selector.matches(object.metadata?.labels ?? [:])
            if let ref = controllerOf(object.metadata) {
                guard ref.uid == ownerUID else { continue }
                if matches { claim.owned.append(object) } else if !ownerDeleting { claim.release.append(object) }
            } else if matches && !ownerDeleting && object.metadata?.deletionTimestamp == nil {
                claim.adopt.append(object)
            }
        }
        return claim
    }

    /// `meta` with a ControllerRef to the owner added (adoption).
    public static func adopting(_ meta: ObjectMeta?, by ref: OwnerReference) -> ObjectMeta {
        var meta = meta ?? ObjectMeta()
        meta.ownerReferences.removeAll { $0.uid == ref.uid }
        meta.ownerReferences.append(ref)
        return meta
    }

    /// `meta` without the ControllerRef of `uid` (release).
    public static func releasing(_ meta: ObjectMeta?, from uid: String?) -> ObjectMeta {
        var meta = meta ?? ObjectMeta()
        meta.ownerReferences.removeAll { $0.uid == uid }
        return meta
    }
}
