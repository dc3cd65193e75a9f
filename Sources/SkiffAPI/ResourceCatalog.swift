/// ResourceCatalog: every resource the apiserver serves, with the names users and tools call it
/// by (plural, singular, short names, kind) and the Swift types of its objects and lists. The
/// apiserver routes requests with it, the client library builds requests with it, and skiffctl
/// resolves `get deploy` with it, so all three agree on names by construction.
///
/// Concurrency: immutable tables. Must never: list two resources under one name.
import SkiffWire

public struct ResourceInfo: Sendable, CustomStringConvertible {
    public let group: String
    public let version: String
    public let kind: String
    /// Lower-case plural: the resource's name in requests and store keys ("deployments").
    public let plural: String
    public let singular: String
    public let shortNames: [String]
    public let namespaced: Bool
    /// Subresources served besides the object itself: "status", "scale", "binding".
    public let subresources: Set<String>
    public let objectType: any APIObject.Type
    public let listType: any APIList.Type

    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    public var groupResource: GroupResource { GroupResource(group: group, resource: plural) }
    public var description: String { groupResource.description }

    /// Whether the object has a status the main resource must not change (it has a status subresource).
    public var hasStatus: Bool { subresources.contains("status") }
}

public enum ResourceCatalog {
    public static let all: [ResourceInfo] = [
        // core/v1
        entry("", "Pod", "pods", ["po"], ["status", "binding"], Pod.self, PodList.self),
        entry("", "PodTemplate", "podtemplates", [], [], PodTemplate.self, PodTemplateList.self),
        entry("", "ReplicationController", "replicationcontrollers", ["rc"], ["status", "scale"],
              ReplicationController.self, ReplicationControllerList.self),
        entry("", "Service", "services", ["svc"], ["status"], Service.self, ServiceList.self),
        entry("", "Endpoints", "endpoints", ["ep"], [], Endpoints.self, EndpointsList.self, singular: "endpoints"),
        entry("", "ConfigMap", "configmaps", ["cm"], [], ConfigMap.self, ConfigMapList.self),
        entry("", "Secret", "secrets", [], [], Secret.self, SecretList.self),
        entry("", "ServiceAccount", "serviceaccounts", ["sa"], ["token"], ServiceAccount.self, ServiceAccountList.self),
        entry("", "Event", "events", ["ev"], [], Event.self, EventList.self),
        entry("", "PersistentVolumeClaim", "persistentvolumeclaims", ["pvc"], ["status"],
              PersistentVolumeClaim.self, PersistentVolumeClaimList.self),
        entry("", "Node", "nodes", ["no"], ["status"], Node.self, NodeList.self, namespaced: false),
        entry("", "Namespace", "namespaces", ["ns"], ["status", "finalize"], Namespace.self, NamespaceList.self, namespaced: false),
        entry("", "PersistentVolume", "persistentvolumes", ["pv"], ["status"],
              PersistentVolume.self, PersistentVolumeList.self, namespaced: false),
        // apps/v1
        entry("apps", "Deployment", "deployments", ["deploy"], ["status", "scale"], Deployment.self, DeploymentList.self),
        entry("apps", "ReplicaSet", "replicasets", ["rs"], ["status", "scale"], ReplicaSet.self, ReplicaSetList.self),
        entry("apps", "DaemonSet", "daemonsets", ["ds"], ["status"], DaemonSet.self, DaemonSetList.self),
        entry("apps", "StatefulSet", "statefulsets", ["sts"], ["status", "scale"], StatefulSet.self, StatefulSetList.self),
        entry("apps", "ControllerRevision", "controllerrevisions", [], [], ControllerRevision.self, ControllerRevisionList.self),
        // batch/v1
        entry("batch", "Job", "jobs", [], ["status"], Job.self, JobList.self),
        entry("batch", "CronJob", "cronjobs", ["cj"], ["status"], CronJob.self, CronJobList.self),
        // autoscaling/v2
        entry("autoscaling", "HorizontalPodAutoscaler", "horizontalpodautoscalers", ["hpa"], ["status"],
              HorizontalPodAutoscaler.self, HorizontalPodAutoscalerList.self, version: "v2"),
        // coordination.k8s.io/v1
        entry("coordination.k8s.io", "Lease", "leases", [], [], Lease.self, LeaseList.self),
        // rbac.authorization.k8s.io/v1
        entry("rbac.authorization.k8s.io", "Role", "roles", [], [], Role.self, RoleList.self),
        entry("rbac.authorization.k8s.io", "ClusterRole", "clusterroles", [], [], ClusterRole.self, ClusterRoleList.self,
              namespaced: false),
        entry("rbac.authorization.k8s.io", "RoleBinding", "rolebindings", [], [], RoleBinding.self, RoleBindingList.self),
        entry("rbac.authorization.k8s.io", "ClusterRoleBinding", "clusterrolebindings", [], [],
              ClusterRoleBinding.self, ClusterRoleBindingList.self, namespaced: false),
        // storage.k8s.io/v1
        entry("storage.k8s.io", "StorageClass", "storageclasses", ["sc"], [], StorageClass.self, StorageClassList.self,
              namespaced: false),
    ]

    private static func entry(_ group: String, _ kind: String, _ plural: String, _ shortNames: [String],
                              _ subresources: Set<String>, _ objectType: any APIObject.Type,
                              _ listType: any APIList.Type, namespaced: Bool = true, version: String = "v1",
                              singular: String? = nil) -> ResourceInfo {
        ResourceInfo(group: group, version: version, kind: kind, plural: plural,
                     singular: singular ?? kind.lowercased(), shortNames: shortNames, namespaced: namespaced,
                     subresources: subresources, objectType: objectType, listType: listType)
    }

    private static let byGroupResource: [GroupResource: ResourceInfo] =
        Dictionary(uniqueKeysWithValues: all.map { ($0.groupResource, $0) })
    private static let byTypeName: [String: ResourceInfo] =
        Dictionary(uniqueKeysWithValues: all.map { ($0.objectType.protoName, $0) })
    private static let byKind: [String: ResourceInfo] =
        Dictionary(uniqueKeysWithValues: all.map { ("\($0.apiVersion)/\($0.kind)", $0) })
    /// Every name a user may type, lower-cased: plural, singular, short names, kind, and each
    /// qualified with its group ("deployments.apps", "deploy.apps").
    private static let byUserName: [String: ResourceInfo] = {
        var names: [String: ResourceInfo] = [:]
        for info in all {
            for name in [info.plural, info.singular, info.kind.lowercased()] + info.shortNames {
                names[name] = names[name] ?? info
                if !info.group.isEmpty { names["\(name).\(info.group)"] = info }
            }
        }
        return names
    }()

    /// The resource a request names by group and plural.
    public static func resource(group: String, plural: String) -> ResourceInfo? {
        byGroupResource[GroupResource(group: group, resource: plural)]
    }

    /// The resource whose objects have this Swift type.
    public static func resource(for type: any APIObject.Type) -> ResourceInfo? { byTypeName[type.protoName] }

    /// The resource a manifest's apiVersion and kind name.
    public static func resource(apiVersion: String, kind: String) -> ResourceInfo? { byKind["\(apiVersion)/\(kind)"] }

    /// The resource a user typed: "pods", "pod", "po", "Pod", "deploy", "deployments.apps" ...
    public static func resolve(_ name: String) -> ResourceInfo? { byUserName[name.lowercased()] }
}
