/// The PersistentVolume binder end to end, as a process against a real apiserver (no node
/// needed): static volumes bound to matching claims, a claim with no match left Pending with
/// an event, hostPath provisioning of claims of the default class, and reclaim policies.
import Foundation
import SkiffClient
import SkiffTestSupport
import SkiffWire
import Testing

@Suite("PersistentVolume binder end to end", .serialized)
struct VolumeEndToEndTests {
    @Test("static volumes bind to matching claims; no match stays Pending; Retain keeps a released volume")
    func staticBinding() async throws {
        try await withCluster(scheduler: false) { cluster in
            let volumes = cluster.directory + "/hostpath-volumes"
            defer { try? FileManager.default.removeItem(atPath: volumes) }
            try cluster.startController("persistentvolume-binder", arguments: ["--option", "hostpath-dir=\(volumes)"])
            try await cluster.apply("""
                apiVersion: v1
                kind: PersistentVolume
                metadata: {name: pv-small}
                spec:
                  capacity: {storage: 1Gi}
                  accessModes: [ReadWriteOnce]
                  storageClassName: manual
                  hostPath: {path: \(volumes)/small}
                ---
                apiVersion: v1
                kind: PersistentVolume
                metadata: {name: pv-big}
                spec:
                  capacity: {storage: 5Gi}
                  accessModes: [ReadWriteOnce]
                  storageClassName: manual
                  hostPath: {path: \(volumes)/big}
                ---
                apiVersion: v1
                kind: PersistentVolumeClaim
                metadata: {name: fits}
                spec:
                  storageClassName: manual
                  accessModes: [ReadWriteOnce]
                  resources: {requests: {storage: 2Gi}}
                ---
                apiVersion: v1
                kind: PersistentVolumeClaim
                metadata: {name: too-big}
                spec:
                  storageClassName: ""
                  accessModes: [ReadWriteOnce]
                  resources: {requests: {storage: 10Gi}}
                """)
            let claim = try await cluster.waitFor("claim fits Bound", {
                try await cluster.client.get(PersistentVolumeClaim.self, name: "fits", namespace: "default")
            }, until: { $0.status?.phase == "Bound" })
            #expect(claim.spec?.volumeName == "pv-big", "the smallest volume that fits")
            #expect(claim.status?.capacity["storage"] == "5Gi")
            #expect(claim.status?.accessModes == ["ReadWriteOnce"])
            #expect(claim.metadata?.annotations["pv.kubernetes.io/bind-completed"] == "yes")
            #expect(claim.metadata?.annotations["pv.kubernetes.io/bound-by-controller"] == "yes")
            let volume = try await cluster.waitFor("pv-big Bound", {
                try await cluster.client.get(PersistentVolume.self, name: "pv-big")
            }, until: { $0.status?.phase == "Bound" })
            #expect(volume.spec?.claimRef?.name == "fits" && volume.spec?.claimRef?.uid == claim.metadata?.uid)
            #expect(volume.metadata?.annotations["pv.kubernetes.io/bound-by-controller"] == "yes")
            try await cluster.waitFor("pv-small Available", {
                try await cluster.client.get(PersistentVolume.self, name: "pv-small")
            }, until: { $0.status?.phase == "Available" })

            // No match: an event says why, and the claim stays Pending.
            try await cluster.waitFor("a FailedBinding event for too-big", {
                try await cluster.client.list(Event.self, namespace: "default").items
            }, until: { $0.contains { $0.involvedObject?.name == "too-big" && $0.reason == "FailedBinding" } })
            let pending = try await cluster.client.get(PersistentVolumeClaim.self, name: "too-big", namespace: "default")
            #expect(pending.status?.phase == "Pending")
            #expect((pending.spec?.volumeName ?? "").isEmpty)

            // Retain: deleting the claim releases the volume and keeps it.
            #expect(try await cluster.skiffctl(["delete", "pvc", "fits"]).status == 0)
            let released = try await cluster.waitFor("pv-big Released", {
                try await cluster.client.get(PersistentVolume.self, name: "pv-big")
            }, until: { $0.status?.phase == "Released" })
            #expect(released.spec?.persistentVolumeReclaimPolicy == "Retain")
        }
    }

    @Test("a claim without a class gets the default class and a provisioned hostPath volume; Delete removes both")
    func dynamicProvisioning() async throws {
        try await withCluster(scheduler: false) { cluster in
            let volumes = cluster.directory + "/hostpath-volumes"
            defer { try? FileManager.default.removeItem(atPath: volumes) }
            try cluster.startController("persistentvolume-binder", arguments: ["--option", "hostpath-dir=\(volumes)"])
            let standard = try await cluster.waitFor("the default StorageClass", {
                try await cluster.client.get(StorageClass.self, name: "standard")
            }, until: { _ in true })
            #expect(standard.metadata?.annotations["storageclass.kubernetes.io/is-default-class"] == "true")
            #expect(standard.provisioner == "skiff.io/hostpath")
            #expect(standard.reclaimPolicy == "Delete")

            try await cluster.apply("""
                apiVersion: v1
                kind: PersistentVolumeClaim
                metadata: {name: data}
                spec:
                  accessModes: [ReadWriteOnce]
                  resources: {requests: {storage: 1Gi}}
                """)
            let claim = try await cluster.waitFor("claim data Bound", {
                try await cluster.client.get(PersistentVolumeClaim.self, name: "data", namespace: "default")
            }, until: { $0.status?.phase == "Bound" })
            let uid = try #require(claim.metadata?.uid)
            #expect(claim.spec?.storageClassName == "standard")
            #expect(claim.spec?.volumeName == "pvc-\(uid)")
            let volume = try await cluster.client.get(PersistentVolume.self, name: "pvc-\(uid)")
            #expect(volume.status?.phase == "Bound")
            #expect(volume.spec?.hostPath?.path == "\(volumes)/pvc-\(uid)")
            #expect(volume.spec?.persistentVolumeReclaimPolicy == "Delete")
            #expect(volume.metadata?.annotations["pv.kubernetes.io/provisioned-by"] == "skiff.io/hostpath")
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: "\(volumes)/pvc-\(uid)", isDirectory: &isDirectory) && isDirectory.boolValue)

            // Delete: the claim goes, so do the volume and its directory.
            #expect(try await cluster.skiffctl(["delete", "pvc", "data"]).status == 0)
            try await cluster.waitFor("the volume deleted", {
                try await cluster.client.list(PersistentVolume.self).items.map { $0.metadata?.name ?? "" }
            }, until: { !$0.contains("pvc-\(uid)") })
            #expect(!FileManager.default.fileExists(atPath: "\(volumes)/pvc-\(uid)"))
        }
    }
}
