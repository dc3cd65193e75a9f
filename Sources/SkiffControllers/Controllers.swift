/// Controllers: every controller `skiff-controller` can run, by name.
public enum Controllers {
    public static let all: [ControllerKind] = [
        ReplicaControllers.replicaSet,
        ReplicaControllers.replicationController,
        DeploymentControllers.deployment,
        StatefulSetControllers.statefulSet,
        DaemonSetControllers.daemonSet,
        JobControllers.job,
        LifecycleControllers.garbageCollector,
        LifecycleControllers.namespace,
        LifecycleControllers.nodeLifecycle,
        VolumeControllers.persistentVolumeBinder,
        ServiceAccountControllers.serviceAccount,
        ServiceAccountControllers.token,
        AutoscalingControllers.horizontalPodAutoscaler,
        EndpointsControllers.endpoints,
    ]

    public static func named(_ name: String) -> ControllerKind? { all.first { $0.name == name } }
}
