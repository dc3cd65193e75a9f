import SkiffAPI
import SkiffValidation
import SkiffWire
import Testing

/// Volumes, claims and classes: capacity, access modes, one source, what stays fixed.
@Suite struct ValidationStorageTests {
    static let volumes: [Change<PersistentVolume>] = [
        Change("no capacity", [.required("spec.capacity"), .notSupported("spec.capacity")]) { $0.spec?.capacity = [:] },
        Change("capacity of something else", [.notSupported("spec.capacity")]) { $0.spec?.capacity["iops"] = "100" },
        Change("zero capacity", [.invalid("spec.capacity[storage]")]) { $0.spec?.capacity["storage"] = "0" },
        Change("no access mode", [.required("spec.accessModes")]) { $0.spec?.accessModes = [] },
        Change("access mode unknown", [.notSupported("spec.accessModes")]) { $0.spec?.accessModes = ["ReadWriteSometimes"] },
        Change("single-pod access with others", [.forbidden("spec.accessModes")]) {
            $0.spec?.accessModes = ["ReadWriteOncePod", "ReadOnlyMany"]
        },
        Change("no source", [.required("spec")]) { $0.spec?.hostPath = nil },
        Change("two sources", [.forbidden("spec.nfs")]) {
            $0.spec?.nfs = NFSVolumeSource(server: "nfs.example.com", path: "/exports")
        },
        Change("NFS with a relative path", [.invalid("spec.nfs.path")]) {
            $0.spec?.hostPath = nil
            $0.spec?.nfs = NFSVolumeSource(server: "nfs.example.com", path: "exports")
        },
        Change("local disk without node affinity", [.required("spec.nodeAffinity")]) {
            $0.spec?.hostPath = nil
            $0.spec?.local = LocalVolumeSource(path: "/mnt/disks/ssd1")
        },
        Change("local disk pinned to a node", []) {
            $0.spec?.hostPath = nil
            $0.spec?.local = LocalVolumeSource(path: "/mnt/disks/ssd1")
            $0.spec?.nodeAffinity = VolumeNodeAffinity(required: NodeSelector(nodeSelectorTerms: [NodeSelectorTerm(
                matchExpressions: [NodeSelectorRequirement(key: "kubernetes.io/hostname", operator: "In", values: ["node-1"])])]))
        },
        Change("CSI without a handle", [.required("spec.csi.volumeHandle")]) {
            $0.spec?.hostPath = nil
            $0.spec?.csi = CSIPersistentVolumeSource(driver: "hostpath.csi.k8s.io")
        },
        Change("reclaim policy unknown", [.notSupported("spec.persistentVolumeReclaimPolicy")]) {
            $0.spec?.persistentVolumeReclaimPolicy = "Keep"
        },
        Change("recycling the root", [.forbidden("spec.persistentVolumeReclaimPolicy")]) {
            $0.spec?.hostPath?.path = "/"
            $0.spec?.persistentVolumeReclaimPolicy = "Recycle"
        },
        Change("volume mode unknown", [.notSupported("spec.volumeMode")]) { $0.spec?.volumeMode = "Object" },
        Change("namespaced", [.forbidden("metadata.namespace")]) { $0.metadata?.namespace = "default" },
    ]

    @Test(arguments: volumes)
    func creatingVolumes(_ change: Change<PersistentVolume>) {
        expectCreate(change.applied(to: Fixtures.persistentVolume), change.expected)
    }

    @Test func aVolumeKeepsItsSource() {
        let old = Fixtures.persistentVolume
        expectUpdate(with(old) { $0.spec?.hostPath?.path = "/other" }, from: old, [.forbidden("spec.persistentvolumesource")])
        expectUpdate(with(old) { $0.spec?.capacity["storage"] = "20Gi" }, from: old, [])
        expectUpdate(with(old) { $0.spec?.volumeMode = "Block" }, from: old, [.invalid("spec.volumeMode")])
    }

    static let claims: [Change<PersistentVolumeClaim>] = [
        Change("no access mode", [.required("spec.accessModes")]) { $0.spec?.accessModes = [] },
        Change("no storage request", [.required("spec.resources[storage]")]) { $0.spec?.resources = nil },
        Change("zero storage", [.invalid("spec.resources[storage]")]) { $0.spec?.resources?.requests["storage"] = "0" },
        Change("class name not a subdomain", [.invalid("spec.storageClassName")]) { $0.spec?.storageClassName = "Fast SSD" },
        Change("selector value invalid", [.invalid("spec.selector.matchLabels")]) {
            $0.spec?.selector = SkiffWire.LabelSelector(matchLabels: ["tier": "gold!"])
        },
        Change("snapshot source without a group", [.invalid("spec.dataSource")]) {
            $0.spec?.dataSource = TypedLocalObjectReference(kind: "VolumeSnapshot", name: "snap-1")
        },
        Change("claim source", []) {
            $0.spec?.dataSource = TypedLocalObjectReference(kind: "PersistentVolumeClaim", name: "data-old")
        },
    ]

    @Test(arguments: claims)
    func creatingClaims(_ change: Change<PersistentVolumeClaim>) {
        expectCreate(change.applied(to: Fixtures.persistentVolumeClaim), change.expected)
    }

    @Test func aClaimGrowsOnlyOnceBoundAndNeverShrinks() {
        let pending = Fixtures.persistentVolumeClaim
        let bound = with(pending) { $0.status?.phase = "Bound"; $0.spec?.volumeName = "pv-data" }
        expectUpdate(with(pending) { $0.spec?.resources?.requests["storage"] = "2Gi" }, from: pending, [.forbidden("spec")])
        expectUpdate(with(bound) { $0.spec?.resources?.requests["storage"] = "2Gi" }, from: bound, [])
        expectUpdate(with(bound) { $0.spec?.resources?.requests["storage"] = "500Mi" }, from: bound,
                     [.forbidden("spec.resources.requests.storage")])
        expectUpdate(with(bound) { $0.spec?.accessModes = ["ReadWriteMany"] }, from: bound, [.forbidden("spec")])
    }

    @Test func aClaimIsBoundByNamingItsVolumeOnce() {
        let pending = Fixtures.persistentVolumeClaim
        let named = with(pending) { $0.spec?.volumeName = "pv-data" }
        expectUpdate(named, from: pending, [])
        expectUpdate(with(named) { $0.spec?.volumeName = "pv-other" }, from: named, [.forbidden("spec")])
    }

    static let classes: [Change<StorageClass>] = [
        Change("no provisioner", [.required("provisioner")]) { $0.provisioner = nil },
        Change("provisioner not qualified", [.invalid("provisioner")]) { $0.provisioner = "example.com/host path" },
        Change("reclaim policy Recycle", [.notSupported("reclaimPolicy")]) { $0.reclaimPolicy = "Recycle" },
        Change("binding mode unknown", [.notSupported("volumeBindingMode")]) { $0.volumeBindingMode = "Later" },
        Change("binding mode not defaulted", [.required("volumeBindingMode")]) { $0.volumeBindingMode = nil },
        Change("topology without values", [.required("allowedTopologies[0].matchLabelExpressions[0].values")]) {
            $0.allowedTopologies = [TopologySelectorTerm(matchLabelExpressions: [TopologySelectorLabelRequirement(key: "zone")])]
        },
    ]

    @Test(arguments: classes)
    func creatingClasses(_ change: Change<StorageClass>) {
        expectCreate(change.applied(to: Fixtures.storageClass), change.expected)
    }

    @Test func aClassKeepsHowItProvisions() {
        let old = Fixtures.storageClass
        expectUpdate(with(old) { $0.provisioner = "example.com/nfs" }, from: old, [.forbidden("provisioner")])
        expectUpdate(with(old) { $0.parameters["type"] = "hdd" }, from: old, [.forbidden("parameters")])
        expectUpdate(with(old) { $0.reclaimPolicy = "Retain" }, from: old, [.forbidden("reclaimPolicy")])
        expectUpdate(with(old) { $0.volumeBindingMode = "Immediate" }, from: old, [.invalid("volumeBindingMode")])
        expectUpdate(with(old) { $0.allowVolumeExpansion = true }, from: old, [])
    }
}
