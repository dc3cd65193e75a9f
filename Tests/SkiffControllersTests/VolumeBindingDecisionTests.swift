/// The PersistentVolume binder's decisions, rule by rule: matching, pre-binding, default class,
/// provisioning, lost claims, release and reclaim.
import SkiffControllers
import SkiffWire
import Testing

enum VolumeFixtures {
    static func volume(_ name: String, size: String = "1Gi", modes: [String] = ["ReadWriteOnce"], className: String? = "manual",
                       phase: String = "Available", labels: [String: String] = [:], claimRef: ObjectReference? = nil,
                       policy: String = "Retain", volumeMode: String? = "Filesystem", annotations: [String: String] = [:]) -> PersistentVolume {
        var meta = ObjectMeta(name: name, uid: "uid-\(name)", labels: labels)
        meta.annotations = annotations
        return PersistentVolume(
            metadata: meta,
            spec: PersistentVolumeSpec(capacity: ["storage": Quantity(stringLiteral: size)],
                                       hostPath: HostPathVolumeSource(path: "/srv/\(name)"), accessModes: modes,
                                       claimRef: claimRef, persistentVolumeReclaimPolicy: policy, storageClassName: className,
                                       volumeMode: volumeMode),
            status: PersistentVolumeStatus(phase: phase))
    }

    static func claim(_ name: String = "data", size: String = "1Gi", modes: [String] = ["ReadWriteOnce"],
                      className: String? = "manual", volumeName: String? = nil, selector: LabelSelector? = nil,
                      annotations: [String: String] = [:], phase: String = "Pending") -> PersistentVolumeClaim {
        var meta = ObjectMeta(name: name, namespace: "default", uid: "uid-\(name)")
        meta.annotations = annotations
        return PersistentVolumeClaim(
            metadata: meta,
            spec: PersistentVolumeClaimSpec(accessModes: modes, selector: selector,
                                            resources: VolumeResourceRequirements(requests: ["storage": Quantity(stringLiteral: size)]),
                                            volumeName: volumeName, storageClassName: className, volumeMode: "Filesystem"),
            status: PersistentVolumeClaimStatus(phase: phase))
    }

    static func ref(_ name: String = "data", uid: String? = "uid-data") -> ObjectReference {
        ObjectReference(kind: "PersistentVolumeClaim", namespace: "default", name: name, uid: uid)
    }

    static func storageClass(_ name: String, provisioner: String = "skiff.io/hostpath", isDefault: Bool = false,
                             policy: String = "Delete") -> StorageClass {
        var meta = ObjectMeta(name: name)
        if isDefault { meta.annotations = ["storageclass.kubernetes.io/is-default-class": "true"] }
        return StorageClass(metadata: meta, provisioner: provisioner, reclaimPolicy: policy)
    }

    static let provisioning = HostPathProvisioning(directory: "/tmp/volumes")
}

@Suite("PersistentVolume binder decisions")
struct VolumeBindingDecisionTests {
    typealias F = VolumeFixtures

    struct MatchCase: Sendable, CustomTestStringConvertible {
        var name: String
        var claim: PersistentVolumeClaim
        var volumes: [PersistentVolume]
        var expected: String?
        var testDescription: String { name }
    }

    static let matchCases: [MatchCase] = [
        MatchCase(name: "the smallest volume that fits wins", claim: F.claim(size: "1Gi"),
                  volumes: [F.volume("big", size: "10Gi"), F.volume("small", size: "2Gi"), F.volume("tiny", size: "500Mi")],
                  expected: "small"),
        MatchCase(name: "an exact fit is enough", claim: F.claim(size: "1Gi"), volumes: [F.volume("exact", size: "1Gi")],
                  expected: "exact"),
        MatchCase(name: "too small matches nothing", claim: F.claim(size: "2Gi"), volumes: [F.volume("v", size: "1Gi")],
                  expected: nil),
        MatchCase(name: "access modes must be a superset", claim: F.claim(modes: ["ReadWriteOnce", "ReadOnlyMany"]),
                  volumes: [F.volume("rwo", modes: ["ReadWriteOnce"]), F.volume("both", size: "5Gi", modes: ["ReadWriteOnce", "ReadOnlyMany"])],
                  expected: "both"),
        MatchCase(name: "classes must be equal", claim: F.claim(className: "fast"),
                  volumes: [F.volume("manual", className: "manual"), F.volume("fast", size: "3Gi", className: "fast")],
                  expected: "fast"),
        MatchCase(name: "no class only matches no class", claim: F.claim(className: ""),
                  volumes: [F.volume("classy", className: "manual"), F.volume("plain", size: "3Gi", className: nil)],
                  expected: "plain"),
        MatchCase(name: "volume modes must be equal", claim: F.claim(),
                  volumes: [F.volume("block", volumeMode: "Block"), F.volume("fs", size: "2Gi")], expected: "fs"),
        MatchCase(name: "the selector filters by label",
                  claim: F.claim(selector: LabelSelector(matchLabels: ["tier": "gold"])),
                  volumes: [F.volume("plain"), F.volume("gold", size: "5Gi", labels: ["tier": "gold"])], expected: "gold"),
        MatchCase(name: "a volume bound elsewhere is not offered", claim: F.claim(),
                  volumes: [F.volume("taken", phase: "Bound", claimRef: F.ref("other", uid: "uid-other"))], expected: nil),
        MatchCase(name: "a volume pre-bound to the claim wins over a smaller one", claim: F.claim(),
                  volumes: [F.volume("small"), F.volume("mine", size: "5Gi", phase: "Available", claimRef: F.ref(uid: nil))],
                  expected: "mine"),
        MatchCase(name: "Released volumes are not offered", claim: F.claim(),
                  volumes: [F.volume("released", phase: "Released")], expected: nil),
    ]

    @Test(arguments: matchCases)
    func matching(_ c: MatchCase) {
        #expect(VolumeMatching.bestMatch(for: c.claim, in: c.volumes)?.metadata?.name == c.expected)
    }

    @Test("a claim with a match binds to it")
    func bindsMatch() {
        let volume = F.volume("pv1")
        #expect(BindingDecision.decide(claim: F.claim(), volumes: [volume], classes: [], provisioning: F.provisioning)
            == .bind(volume))
    }

    @Test("a claim with no match and no class stays Pending")
    func noMatch() {
        let action = BindingDecision.decide(claim: F.claim(className: ""), volumes: [F.volume("v", size: "1Mi", className: nil)],
                                            classes: [], provisioning: F.provisioning)
        #expect(action == .pending(reason: "FailedBinding",
                                   message: "no persistent volumes available for this claim and no storage class is set"))
    }

    @Test("a claim without a class gets the default class, the newest of several")
    func defaultClass() {
        var older = F.storageClass("older", isDefault: true)
        older.metadata?.creationTimestamp = Time(seconds: 100)
        var newer = F.storageClass("newer", isDefault: true)
        newer.metadata?.creationTimestamp = Time(seconds: 200)
        let action = BindingDecision.decide(claim: F.claim(className: nil), volumes: [],
                                            classes: [older, F.storageClass("other"), newer], provisioning: F.provisioning)
        #expect(action == .assignClass("newer"))
    }

    @Test("without a default class, a claim without a class matches volumes without one")
    func noDefaultClass() {
        let plain = F.volume("plain", className: nil)
        #expect(BindingDecision.decide(claim: F.claim(className: nil), volumes: [plain], classes: [F.storageClass("other")],
                                       provisioning: F.provisioning) == .bind(plain))
    }

    @Test("a claim of a hostPath class gets a provisioned volume pvc-UID, pre-bound, with the class's policy")
    func provisions() throws {
        let action = BindingDecision.decide(claim: F.claim(size: "2Gi", className: "standard"), volumes: [],
                                            classes: [F.storageClass("standard", policy: "Delete")], provisioning: F.provisioning)
        guard case .provision(let volume) = action else { Issue.record("expected provisioning, got \(action)"); return }
        #expect(volume.metadata?.name == "pvc-uid-data")
        #expect(volume.metadata?.annotations["pv.kubernetes.io/provisioned-by"] == "skiff.io/hostpath")
        #expect(volume.spec?.hostPath?.path == "/tmp/volumes/pvc-uid-data")
        #expect(volume.spec?.capacity["storage"] == "2Gi")
        #expect(volume.spec?.claimRef?.uid == "uid-data")
        #expect(volume.spec?.persistentVolumeReclaimPolicy == "Delete")
        #expect(volume.spec?.storageClassName == "standard")
        #expect(VolumeFixtures.provisioning.owns(volume))
    }

    @Test("a class of another provisioner waits for it; an unknown class is an error")
    func otherProvisioners() {
        let external = BindingDecision.decide(claim: F.claim(className: "ebs"), volumes: [],
                                              classes: [F.storageClass("ebs", provisioner: "ebs.csi.aws.com")],
                                              provisioning: F.provisioning)
        guard case .pending(let reason, _) = external else { Issue.record("\(external)"); return }
        #expect(reason == "ExternalProvisioning")
        let unknown = BindingDecision.decide(claim: F.claim(className: "nope"), volumes: [], classes: [], provisioning: F.provisioning)
        #expect(unknown == .pending(reason: "ProvisioningFailed", message: "storageclass.storage.k8s.io \"nope\" not found"))
    }

    @Test("a claim pre-bound by volumeName binds only to that volume, and only if it fits and is free")
    func preBoundClaim() {
        let target = F.volume("target", size: "5Gi")
        #expect(BindingDecision.decide(claim: F.claim(volumeName: "target"), volumes: [F.volume("small"), target], classes: [],
                                       provisioning: F.provisioning) == .bind(target))
        let taken = F.volume("target", phase: "Bound", claimRef: F.ref("other", uid: "uid-other"))
        guard case .pending(let reason, _) = BindingDecision.decide(claim: F.claim(volumeName: "target"), volumes: [taken], classes: [],
                                                                    provisioning: F.provisioning) else { Issue.record(); return }
        #expect(reason == "FailedBinding")
        guard case .pending(let mismatch, _) = BindingDecision.decide(claim: F.claim(size: "9Gi", volumeName: "target"),
                                                                      volumes: [target], classes: [],
                                                                      provisioning: F.provisioning) else { Issue.record(); return }
        #expect(mismatch == "VolumeMismatch")
    }

    @Test("a bound claim is left alone, finished when half written, and Lost when its volume is gone or elsewhere")
    func boundClaims() {
        let done = ["pv.kubernetes.io/bind-completed": "yes"]
        var claim = F.claim(volumeName: "pv1", annotations: done, phase: "Bound")
        claim.status?.accessModes = ["ReadWriteOnce"]
        claim.status?.capacity = ["storage": "1Gi"]
        let bound = F.volume("pv1", phase: "Bound", claimRef: F.ref())
        #expect(BindingDecision.decide(claim: claim, volumes: [bound], classes: [], provisioning: F.provisioning) == .none)
        let unfinished = F.volume("pv1", phase: "Available", claimRef: F.ref())
        #expect(BindingDecision.decide(claim: claim, volumes: [unfinished], classes: [], provisioning: F.provisioning)
            == .bind(unfinished))
        guard case .lost = BindingDecision.decide(claim: claim, volumes: [], classes: [], provisioning: F.provisioning) else {
            Issue.record("a claim whose volume is gone is Lost"); return
        }
        let elsewhere = F.volume("pv1", phase: "Bound", claimRef: F.ref("other", uid: "uid-other"))
        guard case .lost = BindingDecision.decide(claim: claim, volumes: [elsewhere], classes: [], provisioning: F.provisioning) else {
            Issue.record("a claim whose volume serves another is Lost"); return
        }
    }

    struct VolumeCase: Sendable, CustomTestStringConvertible {
        var name: String
        var volume: PersistentVolume
        var claim: PersistentVolumeClaim?
        var expected: VolumeAction
        var testDescription: String { name }
    }

    static let volumeCases: [VolumeCase] = [
        VolumeCase(name: "a new volume becomes Available", volume: F.volume("v", phase: "Pending"), claim: nil,
                   expected: .setPhase("Available")),
        VolumeCase(name: "an Available one stays", volume: F.volume("v"), claim: nil, expected: .none),
        VolumeCase(name: "pre-bound by name, it waits Available", volume: F.volume("v", phase: "Pending", claimRef: F.ref(uid: nil)),
                   claim: nil, expected: .setPhase("Available")),
        VolumeCase(name: "its claim names it: Bound", volume: F.volume("v", claimRef: F.ref()),
                   claim: F.claim(volumeName: "v"), expected: .setPhase("Bound")),
        VolumeCase(name: "its claim is not written yet: the claim's sync finishes",
                   volume: F.volume("v", phase: "Bound", claimRef: F.ref()), claim: F.claim(), expected: .none),
        VolumeCase(name: "claim deleted, Retain: Released and kept", volume: F.volume("v", phase: "Bound", claimRef: F.ref()),
                   claim: nil, expected: .reclaim(release: true, delete: false)),
        VolumeCase(name: "Released and Retain: nothing more", volume: F.volume("v", phase: "Released", claimRef: F.ref()),
                   claim: nil, expected: .none),
        VolumeCase(name: "claim deleted, Delete: Released and deleted",
                   volume: F.volume("v", phase: "Bound", claimRef: F.ref(), policy: "Delete"), claim: nil,
                   expected: .reclaim(release: true, delete: true)),
        VolumeCase(name: "a claim of the same name but another uid is a new claim: released",
                   volume: F.volume("v", phase: "Bound", claimRef: F.ref(uid: "old-uid")), claim: F.claim(volumeName: "v"),
                   expected: .reclaim(release: true, delete: false)),
        VolumeCase(name: "bound by the binder to a claim that took another volume: unbound",
                   volume: F.volume("v", phase: "Bound", claimRef: F.ref(),
                                    annotations: ["pv.kubernetes.io/bound-by-controller": "yes"]),
                   claim: F.claim(volumeName: "other"), expected: .unbind),
    ]

    @Test(arguments: volumeCases)
    func volumes(_ c: VolumeCase) {
        #expect(BindingDecision.decide(volume: c.volume, claim: c.claim) == c.expected)
    }

    @Test("the provisioner owns only its own directories")
    func ownership() {
        var volume = F.provisioning.volume(for: F.claim(className: "standard"), storageClass: F.storageClass("standard"))
        #expect(F.provisioning.owns(volume))
        volume.spec?.hostPath?.path = "/etc"
        #expect(!F.provisioning.owns(volume))
        #expect(!F.provisioning.owns(F.volume("static")))
    }
}
