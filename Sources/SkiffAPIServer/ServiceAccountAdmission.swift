/// ServiceAccountAdmission: Kubernetes' ServiceAccount admission plugin for pods. A pod without
/// an account runs as "default"; the account must exist (403 otherwise); and unless the pod or
/// the account sets automountServiceAccountToken: false, the account's token is mounted where
/// Kubernetes clients look for it, /var/run/secrets/kubernetes.io/serviceaccount, from the
/// token Secret ACCOUNT-token (kept by the serviceaccount-token controller; optional, so a pod
/// starts before its token exists and the kubelet fills it in when it does). Mirror pods of
/// static pods are left alone: they may not reference API objects.
///
/// The "default" account of a namespace is made with the namespace itself, so a pod created
/// right after its namespace is admitted (the serviceaccount controller re-creates it if
/// deleted).
///
/// Concurrency: pure but for the account lookup. Must never: replace a volume or mount the user
/// wrote.
import Foundation
import SkiffAPI
import SkiffWire

enum ServiceAccountAdmission {
    static let mountPath = "/var/run/secrets/kubernetes.io/serviceaccount"
    static let volumeName = "kube-api-access"
    static let defaultAccount = "default"
    static let accounts = ResourceCatalog.resource(group: "", plural: "serviceaccounts")!

    static func admit(_ pod: Pod, namespace: String, registry: ObjectRegistry) async throws -> Pod {
        guard pod.metadata?.annotations[PodReferences.mirrorAnnotation] == nil, var spec = pod.spec else { return pod }
        let name = (spec.serviceAccountName ?? "").isEmpty ? (spec.serviceAccount ?? "") : spec.serviceAccountName!
        let account = name.isEmpty ? defaultAccount : name
        spec.serviceAccountName = account
        spec.serviceAccount = account
        let key = StorageKey(resource: accounts, namespace: namespace, name: account)
        guard let stored = try await registry.read(key)?.object as? ServiceAccount else {
            throw APIError.forbidden(GroupResource(group: "", resource: "pods"), pod.metadata?.name ?? "",
                                     "error looking up service account \(namespace)/\(account): serviceaccount \"\(account)\" not found")
        }
        var admitted = pod
        admitted.spec = spec
        if spec.automountServiceAccountToken ?? stored.automountServiceAccountToken ?? true {
            admitted = mountingToken(of: account, into: admitted)
        }
        return admitted
    }

    /// The pod with the account's token volume and a read-only mount of it in every container
    /// that has nothing at the mount path already.
    static func mountingToken(of account: String, into pod: Pod) -> Pod {
        guard var spec = pod.spec, !spec.volumes.contains(where: { $0.name == volumeName }) else { return pod }
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

    /// Gives a new namespace its "default" account (already there is fine).
    static func ensureDefaultAccount(in namespace: String, registry: ObjectRegistry) async throws {
        var account = ServiceAccount(metadata: ObjectMeta(name: defaultAccount, namespace: namespace))
        account.metadata?.uid = UUID().uuidString.lowercased()
        account.metadata?.creationTimestamp = registry.now()
        do {
            _ = try await registry.create(StorageKey(resource: accounts, namespace: namespace, name: defaultAccount),
                                          account, dryRun: false)
        } catch let error as APIError where error.reason == .alreadyExists {
            return
        }
    }
}
