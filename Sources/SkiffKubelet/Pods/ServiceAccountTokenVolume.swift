/// ServiceAccountTokenVolume: mounts a pod's service account token where Kubernetes clients look
/// for it, /var/run/secrets/kubernetes.io/serviceaccount (files `token` and `namespace`), from
/// the account's token Secret (ACCOUNT-token, kept by the serviceaccount-token controller).
///
/// Kubernetes' ServiceAccount admission plugin writes this volume into the stored pod; until
/// Skiff's apiserver has admission (the security issue), the kubelet adds it to its own copy of
/// the spec. The volume is optional, so a pod still starts on a cluster without the token
/// controller (with an empty directory). Skipped when the pod sets
/// automountServiceAccountToken: false, for containers that mount something at that path
/// already, and for static pods (they may not reference API objects).
///
/// Concurrency: pure. Must never: replace a volume or mount the user wrote.
import SkiffWire

enum ServiceAccountTokenVolume {
    static let mountPath = "/var/run/secrets/kubernetes.io/serviceaccount"
    static let volumeName = "kube-api-access"

    static func inject(into pod: Pod) -> Pod {
        guard var spec = pod.spec, spec.automountServiceAccountToken != false,
              !spec.volumes.contains(where: { $0.name == volumeName }) else { return pod }
        let account = spec.serviceAccountName ?? spec.serviceAccount ?? "default"
        spec.volumes.append(Volume(name: volumeName,
                                   secret: SecretVolumeSource(secretName: "\(account)-token", defaultMode: 0o644, optional: true)))
        func mount(_ container: inout Container) {
            guard !container.volumeMounts.contains(where: { $0.mountPath == mountPath }) else { return }
            container.volumeMounts.append(VolumeMount(name: volumeName, readOnly: true, mountPath: mountPath))
        }
        for index in spec.containers.indices { mount(&spec.containers[index]) }
        for index in spec.initContainers.indices { mount(&spec.initContainers[index]) }
        var copy = pod
        copy.spec = spec
        return copy
    }
}
