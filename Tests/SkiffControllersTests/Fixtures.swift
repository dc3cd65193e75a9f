/// Builders for the objects controller tests decide over.
import SkiffWire

enum Fixtures {
    static let now = Time(seconds: 1_800_000_000)

    static func replicaSet(_ name: String = "web", replicas: Int32 = 3, labels: [String: String] = ["app": "web"],
                           uid: String = "rs-uid", generation: Int64 = 1, minReadySeconds: Int32 = 0) -> ReplicaSet {
        ReplicaSet(
            metadata: ObjectMeta(name: name, namespace: "default", uid: uid, generation: generation),
            spec: ReplicaSetSpec(replicas: replicas, minReadySeconds: minReadySeconds,
                                 selector: LabelSelector(matchLabels: labels),
                                 template: PodTemplateSpec(metadata: ObjectMeta(labels: labels),
                                                           spec: PodSpec(containers: [Container(name: "c", image: "busybox")]))))
    }

    /// A pod; `owner` nil makes an orphan. Ready pods became ready at `readySince`.
    static func pod(_ name: String, labels: [String: String] = ["app": "web"], owner: String? = "rs-uid",
                    ownerKind: String = "ReplicaSet", phase: String = "Running", ready: Bool = true,
                    readySince: Time = Time(seconds: 1_799_999_000), node: String? = "node-1",
                    created: Time = Time(seconds: 1_799_990_000), deleting: Bool = false, restarts: Int32 = 0) -> Pod {
        var meta = ObjectMeta(name: name, namespace: "default", uid: "uid-\(name)", labels: labels)
        meta.creationTimestamp = created
        if deleting { meta.deletionTimestamp = now }
        if let owner {
            meta.ownerReferences = [OwnerReference(apiVersion: "apps/v1", kind: ownerKind, name: "web", uid: owner,
                                                   controller: true, blockOwnerDeletion: true)]
        }
        var status = PodStatus(phase: phase)
        status.conditions = [PodCondition(type: "Ready", status: ready ? "True" : "False", lastTransitionTime: readySince)]
        status.containerStatuses = [ContainerStatus(name: "c", restartCount: restarts)]
        return Pod(metadata: meta, spec: PodSpec(nodeName: node), status: status)
    }
}
