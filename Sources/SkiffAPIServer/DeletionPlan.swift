/// DeletionPlan: what deleting an object does, decided from the object and the caller's
/// DeleteOptions before anything is written. An object goes at once unless something must
/// finish first: finalizers (including the garbage collector's "foregroundDeletion" and
/// "orphan"), or a scheduled pod's grace period, during which the kubelet stops its containers
/// and then deletes it for good.
///
/// Concurrency: a pure value. Must never: remove an object that still has finalizers.
import SkiffAPI
import SkiffWire

struct DeletionPlan {
    enum Action {
        /// Remove the key from the store now.
        case removeNow
        /// Store this version (deletionTimestamp set, maybe finalizers added) and wait.
        case mark(any APIObject)
    }

    var action: Action

    init(object: any APIObject, options: DeleteOptions?, now: Time) {
        var meta = object.metadata ?? ObjectMeta()
        var finalizers = meta.finalizers
        // Propagation policy, as the garbage collector expects it (orphanDependents is the old spelling).
        let policy = options?.propagationPolicy ?? (options?.orphanDependents == true ? "Orphan" : "Background")
        if policy == "Foreground", !finalizers.contains("foregroundDeletion") { finalizers.append("foregroundDeletion") }
        if policy == "Orphan", !finalizers.contains("orphan") { finalizers.append("orphan") }
        let grace = KindRules.gracePeriod(object, requested: options?.gracePeriodSeconds)
        let alreadyDeleting = meta.deletionTimestamp != nil
        let specFinalizers = (object as? Namespace)?.spec?.finalizers ?? []
        if finalizers.isEmpty && specFinalizers.isEmpty && grace == 0 {
            action = .removeNow
            return
        }
        if alreadyDeleting && finalizers == meta.finalizers {
            // A second delete may only shorten a pod's grace period, as in Kubernetes.
            let current = meta.deletionGracePeriodSeconds ?? 0
            if grace < current {
                meta.deletionGracePeriodSeconds = grace
                meta.deletionTimestamp = Time(seconds: now.seconds + grace)
            }
            var marked = object
            marked.metadata = meta
            action = finalizers.isEmpty && specFinalizers.isEmpty && grace == 0 ? .removeNow : .mark(marked)
            return
        }
        meta.finalizers = finalizers
        if !alreadyDeleting {
            meta.deletionTimestamp = Time(seconds: now.seconds + grace)
            meta.deletionGracePeriodSeconds = grace
        }
        var marked = object
        marked.metadata = meta
        if var namespace = marked as? Namespace {
            namespace.status = NamespaceStatus(phase: "Terminating")
            marked = namespace
        }
        action = .mark(marked)
    }
}
