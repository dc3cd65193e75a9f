/// Validation: the apiserver's check of an object before it is stored, as Kubernetes does it:
/// every problem, each with its field path and Kubernetes' wording, for every kind in
/// ResourceCatalog. Runs after defaulting, on create and on update (where it also refuses
/// changes to fields that are fixed once set).
///
/// Concurrency: pure functions of their arguments; call from anywhere. Must never: throw, trap
/// or stop at the first problem; an absent field is reported, never force-unwrapped.
import SkiffAPI
import SkiffWire

public enum Validation {
    /// Problems with a new object (create); empty when it is valid.
    public static func validateCreate(_ object: any APIObject) -> [FieldError] {
        switch object {
        case let pod as Pod: PodValidation.validate(pod)
        case let template as PodTemplate: PodValidation.validate(template)
        case let controller as ReplicationController: WorkloadValidation.validate(controller)
        case let service as Service: ServiceValidation.validate(service)
        case let endpoints as Endpoints: ServiceValidation.validate(endpoints)
        case let configMap as ConfigMap: ConfigValidation.validate(configMap)
        case let secret as Secret: ConfigValidation.validate(secret)
        case let account as ServiceAccount: ConfigValidation.validate(account)
        case let event as Event: EventValidation.validate(event)
        case let claim as PersistentVolumeClaim: StorageValidation.validate(claim)
        case let node as Node: NodeValidation.validate(node)
        case let namespace as Namespace: NamespaceValidation.validate(namespace)
        case let volume as PersistentVolume: StorageValidation.validate(volume)
        case let deployment as Deployment: WorkloadValidation.validate(deployment)
        case let replicaSet as ReplicaSet: WorkloadValidation.validate(replicaSet)
        case let daemonSet as DaemonSet: WorkloadValidation.validate(daemonSet)
        case let statefulSet as StatefulSet: WorkloadValidation.validate(statefulSet)
        case let revision as ControllerRevision: WorkloadValidation.validate(revision)
        case let job as Job: BatchValidation.validate(job)
        case let cronJob as CronJob: BatchValidation.validate(cronJob)
        case let autoscaler as HorizontalPodAutoscaler: AutoscalingValidation.validate(autoscaler)
        case let lease as Lease: LeaseValidation.validate(lease)
        case let role as Role: RBACValidation.validate(role)
        case let role as ClusterRole: RBACValidation.validate(role)
        case let binding as RoleBinding: RBACValidation.validate(binding)
        case let binding as ClusterRoleBinding: RBACValidation.validate(binding)
        case let storageClass as StorageClass: StorageValidation.validate(storageClass)
        default: metadataOnly(object)
        }
    }

    /// Problems with an update: the new object on its own, plus what may not change from `old`.
    public static func validateUpdate(_ object: any APIObject, old: any APIObject) -> [FieldError] {
        let newType = type(of: object), oldType = type(of: old)
        guard newType.apiVersion == oldType.apiVersion, newType.kind == oldType.kind else {
            return [.invalid("kind", newType.kind, "may not change from \(oldType.kind)")]
        }
        switch (object, old) {
        case let (new as Pod, old as Pod): return PodValidation.validateUpdate(new, old: old)
        case let (new as PodTemplate, old as PodTemplate): return PodValidation.validateUpdate(new, old: old)
        case let (new as ReplicationController, old as ReplicationController): return WorkloadValidation.validateUpdate(new, old: old)
        case let (new as Service, old as Service): return ServiceValidation.validateUpdate(new, old: old)
        case let (new as Endpoints, old as Endpoints): return ServiceValidation.validateUpdate(new, old: old)
        case let (new as ConfigMap, old as ConfigMap): return ConfigValidation.validateUpdate(new, old: old)
        case let (new as Secret, old as Secret): return ConfigValidation.validateUpdate(new, old: old)
        case let (new as ServiceAccount, old as ServiceAccount): return ConfigValidation.validateUpdate(new, old: old)
        case let (new as Event, old as Event): return EventValidation.validateUpdate(new, old: old)
        case let (new as PersistentVolumeClaim, old as PersistentVolumeClaim): return StorageValidation.validateUpdate(new, old: old)
        case let (new as Node, old as Node): return NodeValidation.validateUpdate(new, old: old)
        case let (new as Namespace, old as Namespace): return NamespaceValidation.validateUpdate(new, old: old)
        case let (new as PersistentVolume, old as PersistentVolume): return StorageValidation.validateUpdate(new, old: old)
        case let (new as Deployment, old as Deployment): return WorkloadValidation.validateUpdate(new, old: old)
        case let (new as ReplicaSet, old as ReplicaSet): return WorkloadValidation.validateUpdate(new, old: old)
        case let (new as DaemonSet, old as DaemonSet): return WorkloadValidation.validateUpdate(new, old: old)
        case let (new as StatefulSet, old as StatefulSet): return WorkloadValidation.validateUpdate(new, old: old)
        case let (new as ControllerRevision, old as ControllerRevision): return WorkloadValidation.validateUpdate(new, old: old)
        case let (new as Job, old as Job): return BatchValidation.validateUpdate(new, old: old)
        case let (new as CronJob, old as CronJob): return BatchValidation.validateUpdate(new, old: old)
        case let (new as HorizontalPodAutoscaler, old as HorizontalPodAutoscaler):
            return AutoscalingValidation.validateUpdate(new, old: old)
        case let (new as Lease, old as Lease): return LeaseValidation.validateUpdate(new, old: old)
        case let (new as Role, old as Role): return RBACValidation.validateUpdate(new, old: old)
        case let (new as ClusterRole, old as ClusterRole): return RBACValidation.validateUpdate(new, old: old)
        case let (new as RoleBinding, old as RoleBinding): return RBACValidation.validateUpdate(new, old: old)
        case let (new as ClusterRoleBinding, old as ClusterRoleBinding): return RBACValidation.validateUpdate(new, old: old)
        case let (new as StorageClass, old as StorageClass): return StorageValidation.validateUpdate(new, old: old)
        default: return ObjectMetaValidation.validateUpdate(object.metadata, old: old.metadata)
        }
    }

    /// Problems with a write to the status subresource: identity kept, status coherent.
    public static func validateStatusUpdate(_ object: any APIObject, old: any APIObject) -> [FieldError] { StatusValidation.validateUpdate(object, old: old) }

    /// A kind with no rules of its own: its metadata, scoped as the catalog says.
    private static func metadataOnly(_ object: any APIObject) -> [FieldError] {
        let namespaced = ResourceCatalog.resource(for: type(of: object))?.namespaced ?? true
        return ObjectMetaValidation.validate(object.metadata, namespaced: namespaced, name: NameFormats.dns1123Subdomain)
    }
}
