/// The service account token volume the kubelet adds to a pod's spec.
@testable import SkiffKubelet
import SkiffWire
import Testing

@Suite struct UnitServiceAccountTokenVolumeTests {
    func pod(account: String? = nil, automount: Bool? = nil, mounts: [VolumeMount] = []) -> Pod {
        var spec = PodSpec(containers: [Container(name: "a", volumeMounts: mounts), Container(name: "b")])
        spec.initContainers = [Container(name: "init")]
        spec.serviceAccountName = account
        spec.automountServiceAccountToken = automount
        return Pod(metadata: ObjectMeta(name: "p", namespace: "ns"), spec: spec)
    }

    @Test func everyContainerGetsTheAccountsTokenReadOnly() {
        let injected = ServiceAccountTokenVolume.inject(into: pod(account: "builder"))
        let volume = injected.spec?.volumes.first { $0.name == ServiceAccountTokenVolume.volumeName }
        #expect(volume?.secret?.secretName == "builder-token")
        #expect(volume?.secret?.optional == true)
        for container in (injected.spec?.containers ?? []) + (injected.spec?.initContainers ?? []) {
            let mount = container.volumeMounts.first { $0.mountPath == ServiceAccountTokenVolume.mountPath }
            #expect(mount?.name == ServiceAccountTokenVolume.volumeName && mount?.readOnly == true, "\(container.name ?? "")")
        }
    }

    @Test func theDefaultAccountWhenNoneIsNamed() {
        let injected = ServiceAccountTokenVolume.inject(into: pod())
        #expect(injected.spec?.volumes.first?.secret?.secretName == "default-token")
    }

    @Test func optingOutLeavesThePodAlone() {
        let original = pod(automount: false)
        #expect(ServiceAccountTokenVolume.inject(into: original) == original)
    }

    @Test func aUsersMountAtThePathWins() {
        let own = VolumeMount(name: "mine", mountPath: ServiceAccountTokenVolume.mountPath)
        let injected = ServiceAccountTokenVolume.inject(into: pod(mounts: [own]))
        #expect(injected.spec?.containers[0].volumeMounts == [own])
        #expect(injected.spec?.containers[1].volumeMounts.count == 1)
    }

    @Test func injectingTwiceChangesNothingMore() {
        let once = ServiceAccountTokenVolume.inject(into: pod())
        #expect(ServiceAccountTokenVolume.inject(into: once) == once)
    }
}
