/// The service account token volume that admission writes into a pod's spec.
@testable import SkiffAPIServer
import SkiffWire
import Testing

@Suite struct ServiceAccountAdmissionTests {
    func pod(mounts: [VolumeMount] = []) -> Pod {
        var spec = PodSpec(containers: [Container(name: "a", volumeMounts: mounts), Container(name: "b")])
        spec.initContainers = [Container(name: "init")]
        return Pod(metadata: ObjectMeta(name: "p", namespace: "ns"), spec: spec)
    }

    @Test func everyContainerGetsTheAccountsTokenReadOnly() {
        let injected = ServiceAccountAdmission.mountingToken(of: "builder", into: pod())
        let volume = injected.spec?.volumes.first { $0.name == ServiceAccountAdmission.volumeName }
        #expect(volume?.secret?.secretName == "builder-token")
        #expect(volume?.secret?.optional == true)
        for container in (injected.spec?.containers ?? []) + (injected.spec?.initContainers ?? []) {
            let mount = container.volumeMounts.first { $0.mountPath == ServiceAccountAdmission.mountPath }
            #expect(mount?.name == ServiceAccountAdmission.volumeName && mount?.readOnly == true, "\(container.name ?? "")")
        }
    }

    @Test func aUsersMountAtThePathWins() {
        let own = VolumeMount(name: "mine", mountPath: ServiceAccountAdmission.mountPath)
        let injected = ServiceAccountAdmission.mountingToken(of: "default", into: pod(mounts: [own]))
        #expect(injected.spec?.containers[0].volumeMounts == [own])
        #expect(injected.spec?.containers[1].volumeMounts.count == 1)
    }

    @Test func injectingTwiceChangesNothingMore() {
        let once = ServiceAccountAdmission.mountingToken(of: "default", into: pod())
        #expect(ServiceAccountAdmission.mountingToken(of: "default", into: once) == once)
    }
}
