/// Controllers: every controller `skiff-controller` can run, by name.
public enum Controllers {
    public static let all: [ControllerKind] = [
        ReplicaControllers.replicaSet,
        ReplicaControllers.replicationController,
        ServiceAccountControllers.serviceAccount,
        ServiceAccountControllers.token,
        AutoscalingControllers.horizontalPodAutoscaler,
    ]

    public static func named(_ name: String) -> ControllerKind? { all.first { $0.name == name } }
}
