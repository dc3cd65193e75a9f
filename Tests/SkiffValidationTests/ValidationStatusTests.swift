import SkiffAPI
import SkiffValidation
import SkiffWire
import Testing

/// Writes to the status subresource: the identity in metadata stays, phases and condition values
/// are the known ones, counts are never negative nor above their total, and a finished pod
/// stays finished.
@Suite struct ValidationStatusTests {
    /// One status write: the stored object, the object written, and the errors it must cause.
    struct StatusWrite: Sendable, CustomTestStringConvertible {
        let name: String
        let expected: [Problem]
        let objects: @Sendable () -> (new: any APIObject, old: any APIObject)
        var testDescription: String { name }

        /// `old` edits the stored object; `new` edits a copy of it into what is written.
        init<Object: APIObject & Sendable>(_ name: String, _ expected: [Problem], _ base: Object,
                                           old: @escaping @Sendable (inout Object) -> Void = { _ in },
                                           new: @escaping @Sendable (inout Object) -> Void) {
            self.name = name
            self.expected = expected.sorted()
            objects = {
                let stored = with(base, old)
                return (with(stored, new), stored)
            }
        }
    }

    // MARK: Objects with a valid status, as their controllers write it

    static var pod: Pod {
        with(Fixtures.pod) {
            $0.status = with(PodStatus()) {
                $0.phase = "Running"
                $0.conditions = [PodCondition(type: "Ready", status: "True")]
                $0.podIP = "10.244.1.5"
                $0.podIPs = [PodIP(ip: "10.244.1.5"), PodIP(ip: "fd00:10:244::5")]
                $0.containerStatuses = [with(ContainerStatus()) { $0.name = "web"; $0.ready = true; $0.restartCount = 0 }]
            }
        }
    }

    static var deployment: Deployment {
        with(Fixtures.deployment) {
            $0.status = with(DeploymentStatus()) {
                $0.observedGeneration = 1
                $0.replicas = 3
                $0.updatedReplicas = 3
                $0.readyReplicas = 2
                $0.availableReplicas = 2
                $0.unavailableReplicas = 1
                $0.collisionCount = 2
            }
        }
    }

    static var replicaSet: ReplicaSet {
        with(Fixtures.replicaSet) {
            $0.status = ReplicaSetStatus(replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1,
                                         observedGeneration: 1)
        }
    }

    static var replicationController: ReplicationController {
        with(Fixtures.replicationController) {
            $0.status = ReplicationControllerStatus(replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 1,
                                                    availableReplicas: 1, observedGeneration: 1)
        }
    }

    static var statefulSet: StatefulSet {
        with(Fixtures.statefulSet) {
            $0.status = with(StatefulSetStatus()) {
                $0.observedGeneration = 1
                $0.replicas = 3
                $0.readyReplicas = 3
                $0.currentReplicas = 3
                $0.updatedReplicas = 1
                $0.availableReplicas = 3
            }
        }
    }

    static var daemonSet: DaemonSet {
        with(Fixtures.daemonSet) {
            $0.status = with(DaemonSetStatus()) {
                $0.currentNumberScheduled = 2
                $0.numberMisscheduled = 0
                $0.desiredNumberScheduled = 2
                $0.numberReady = 2
                $0.observedGeneration = 1
                $0.numberAvailable = 2
            }
        }
    }

    static var job: Job {
        with(Fixtures.job) { $0.status = with(JobStatus()) { $0.active = 1; $0.succeeded = 0; $0.failed = 0 } }
    }

    static var namespace: Namespace {
        with(Fixtures.namespace) { $0.status = NamespaceStatus(phase: "Active") }
    }

    static var node: Node {
        with(Fixtures.node) { $0.status?.conditions = [NodeCondition(type: "Ready", status: "True")] }
    }

    static var claim: PersistentVolumeClaim {
        with(Fixtures.persistentVolumeClaim) { $0.status = PersistentVolumeClaimStatus(phase: "Bound") }
    }

    static var volume: PersistentVolume {
        with(Fixtures.persistentVolume) { $0.status = PersistentVolumeStatus(phase: "Available") }
    }

    static var autoscaler: HorizontalPodAutoscaler {
        with(Fixtures.horizontalPodAutoscaler) {
            $0.status = with(HorizontalPodAutoscalerStatus()) { $0.currentReplicas = 2; $0.desiredReplicas = 3 }
        }
    }

    static let deletedAt = Time(seconds: 1_700_000_100)

    static let valid: [any APIObject] = [pod, deployment, replicaSet, replicationController, statefulSet, daemonSet, job,
                                         namespace, node, claim, volume, autoscaler, Fixtures.configMap]

    @Test func unchangedValidStatusesPass() {
        for object in Self.valid {
            let errors = Validation.validateStatusUpdate(object, old: object)
            #expect(errors.isEmpty, "\(type(of: object).kind): \(errors.map(\.description))")
        }
    }

    // MARK: One write per rule

    static let writes: [StatusWrite] = [
        // Metadata identity
        StatusWrite("name changed", [.invalid("metadata.name")], pod) { $0.metadata?.name = "other" },
        StatusWrite("namespace changed", [.invalid("metadata.namespace")], pod) { $0.metadata?.namespace = "prod" },
        StatusWrite("uid changed", [.invalid("metadata.uid")], deployment) {
            $0.metadata?.uid = "00000000-0000-0000-0000-000000000001"
        },
        StatusWrite("uid omitted is kept", [], deployment) { $0.metadata?.uid = nil },
        // Pods
        StatusWrite("pod phase unknown", [.notSupported("status.phase")], pod) { $0.status?.phase = "Sleeping" },
        StatusWrite("pod Succeeded back to Running", [.invalid("status.phase")], pod,
                    old: { $0.status?.phase = "Succeeded" }) { $0.status?.phase = "Running" },
        StatusWrite("pod Failed back to Pending", [.invalid("status.phase")], pod,
                    old: { $0.status?.phase = "Failed" }) { $0.status?.phase = "Pending" },
        StatusWrite("pod Running to Succeeded", [], pod) { $0.status?.phase = "Succeeded" },
        StatusWrite("pod stays Failed", [], pod, old: { $0.status?.phase = "Failed" }) { $0.status?.message = "OOMKilled" },
        StatusWrite("pod condition status unknown", [.notSupported("status.conditions[0].status")], pod) {
            $0.status?.conditions[0].status = "Maybe"
        },
        StatusWrite("pod condition without status", [.required("status.conditions[0].status")], pod) {
            $0.status?.conditions[0].status = nil
        },
        StatusWrite("podIP not an IP", [.invalid("status.podIP")], pod) { $0.status?.podIP = "10.244.1.300" },
        StatusWrite("podIPs entry not an IP", [.invalid("status.podIPs[1].ip")], pod) {
            $0.status?.podIPs[1].ip = "fd00::zz"
        },
        StatusWrite("podIPs entry listed twice", [.duplicate("status.podIPs[1].ip"), .invalid("status.podIPs")], pod) {
            $0.status?.podIPs[1].ip = "10.244.1.5"
        },
        StatusWrite("podIPs two of one family", [.invalid("status.podIPs")], pod) {
            $0.status?.podIPs[1].ip = "10.244.1.6"
        },
        StatusWrite("container restartCount negative", [.invalid("status.containerStatuses[0].restartCount")], pod) {
            $0.status?.containerStatuses[0].restartCount = -1
        },
        StatusWrite("init container restartCount negative", [.invalid("status.initContainerStatuses[0].restartCount")], pod) {
            $0.status?.initContainerStatuses = [with(ContainerStatus()) { $0.name = "init"; $0.restartCount = -2 }]
        },
        // Deployments
        StatusWrite("deployment replicas negative",
                    [.invalid("status.replicas"), .invalid("status.updatedReplicas"), .invalid("status.readyReplicas"),
                     .invalid("status.availableReplicas")], deployment) { $0.status?.replicas = -1 },
        StatusWrite("deployment unavailableReplicas negative", [.invalid("status.unavailableReplicas")], deployment) {
            $0.status?.unavailableReplicas = -1
        },
        StatusWrite("deployment readyReplicas above replicas", [.invalid("status.readyReplicas")], deployment) {
            $0.status?.readyReplicas = 4
        },
        StatusWrite("deployment availableReplicas above readyReplicas", [.invalid("status.availableReplicas")], deployment) {
            $0.status?.availableReplicas = 3
        },
        StatusWrite("deployment observedGeneration negative", [.invalid("status.observedGeneration")], deployment) {
            $0.status?.observedGeneration = -1
        },
        StatusWrite("deployment collisionCount decremented", [.invalid("status.collisionCount")], deployment) {
            $0.status?.collisionCount = 1
        },
        // ReplicaSets and ReplicationControllers
        StatusWrite("replica set fullyLabeledReplicas negative", [.invalid("status.fullyLabeledReplicas")], replicaSet) {
            $0.status?.fullyLabeledReplicas = -1
        },
        StatusWrite("replica set fullyLabeledReplicas above replicas", [.invalid("status.fullyLabeledReplicas")], replicaSet) {
            $0.status?.fullyLabeledReplicas = 3
        },
        StatusWrite("replica set observedGeneration negative", [.invalid("status.observedGeneration")], replicaSet) {
            $0.status?.observedGeneration = -1
        },
        StatusWrite("controller availableReplicas above readyReplicas", [.invalid("status.availableReplicas")],
                    replicationController) { $0.status?.availableReplicas = 2 },
        StatusWrite("controller readyReplicas above replicas", [.invalid("status.readyReplicas")], replicationController) {
            $0.status?.readyReplicas = 3
        },
        StatusWrite("controller replicas negative",
                    [.invalid("status.replicas"), .invalid("status.fullyLabeledReplicas"), .invalid("status.readyReplicas"),
                     .invalid("status.availableReplicas")], replicationController) { $0.status?.replicas = -1 },
        // StatefulSets
        StatusWrite("stateful set currentReplicas above replicas", [.invalid("status.currentReplicas")], statefulSet) {
            $0.status?.currentReplicas = 4
        },
        StatusWrite("stateful set updatedReplicas negative", [.invalid("status.updatedReplicas")], statefulSet) {
            $0.status?.updatedReplicas = -1
        },
        StatusWrite("stateful set availableReplicas above readyReplicas", [.invalid("status.availableReplicas")], statefulSet) {
            $0.status?.readyReplicas = 2
        },
        StatusWrite("stateful set observedGeneration negative", [.invalid("status.observedGeneration")], statefulSet) {
            $0.status?.observedGeneration = -1
        },
        // DaemonSets
        StatusWrite("daemon set numberMisscheduled negative", [.invalid("status.numberMisscheduled")], daemonSet) {
            $0.status?.numberMisscheduled = -1
        },
        StatusWrite("daemon set numberReady negative", [.invalid("status.numberReady")], daemonSet) {
            $0.status?.numberReady = -1
        },
        StatusWrite("daemon set observedGeneration negative", [.invalid("status.observedGeneration")], daemonSet) {
            $0.status?.observedGeneration = -1
        },
        // Jobs
        StatusWrite("job active negative", [.invalid("status.active")], job) { $0.status?.active = -1 },
        StatusWrite("job succeeded negative", [.invalid("status.succeeded")], job) { $0.status?.succeeded = -1 },
        StatusWrite("job failed negative", [.invalid("status.failed")], job) { $0.status?.failed = -1 },
        // Namespaces
        StatusWrite("namespace phase unknown", [.notSupported("status.phase")], namespace) { $0.status?.phase = "Deleting" },
        StatusWrite("namespace being deleted set Active", [.invalid("status.phase")], namespace,
                    old: { $0.metadata?.deletionTimestamp = deletedAt }) { $0.status?.phase = "Active" },
        StatusWrite("namespace not deleted set Terminating", [.invalid("status.phase")], namespace) {
            $0.status?.phase = "Terminating"
        },
        StatusWrite("namespace being deleted set Terminating", [], namespace,
                    old: { $0.metadata?.deletionTimestamp = deletedAt }) { $0.status?.phase = "Terminating" },
        // Nodes
        StatusWrite("node condition status unknown", [.notSupported("status.conditions[0].status")], node) {
            $0.status?.conditions[0].status = "Yes"
        },
        // Storage
        StatusWrite("claim phase unknown", [.notSupported("status.phase")], claim) { $0.status?.phase = "Attached" },
        StatusWrite("claim phase Lost", [], claim) { $0.status?.phase = "Lost" },
        StatusWrite("volume phase unknown", [.notSupported("status.phase")], volume) { $0.status?.phase = "Gone" },
        StatusWrite("volume phase Released", [], volume) { $0.status?.phase = "Released" },
        // Autoscalers
        StatusWrite("autoscaler currentReplicas negative", [.invalid("status.currentReplicas")], autoscaler) {
            $0.status?.currentReplicas = -1
        },
        StatusWrite("autoscaler desiredReplicas negative", [.invalid("status.desiredReplicas")], autoscaler) {
            $0.status?.desiredReplicas = -1
        },
        // Kinds with no status rules: only metadata is checked
        StatusWrite("config map with new data", [], Fixtures.configMap) { $0.data["extra"] = "1" },
        StatusWrite("config map renamed", [.invalid("metadata.name")], Fixtures.configMap) { $0.metadata?.name = "other" },
    ]

    @Test(arguments: writes)
    func statusWrites(_ write: StatusWrite) {
        let (new, old) = write.objects()
        let errors = Validation.validateStatusUpdate(new, old: old)
        #expect(problems(errors) == write.expected, "\(errors.map(\.description))")
    }

    @Test func kindMayNotChange() {
        let errors = Validation.validateStatusUpdate(Self.deployment, old: Self.pod)
        #expect(problems(errors) == [.invalid("kind")])
    }

    // MARK: Wording users see

    @Test func terminalPhaseWording() {
        let stored = with(Self.pod) { $0.status?.phase = "Succeeded" }
        let written = with(stored) { $0.status?.phase = "Running" }
        let errors = Validation.validateStatusUpdate(written, old: stored)
        #expect(errors.map(\.description) == [
            "status.phase: Invalid value: \"Running\": may not transition from terminal phase Succeeded to Running",
        ])
    }

    @Test func countWording() {
        let written = with(Self.deployment) { $0.status?.readyReplicas = 4; $0.status?.availableReplicas = 4 }
        let errors = Validation.validateStatusUpdate(written, old: Self.deployment)
        #expect(errors.map(\.detail).sorted() == ["cannot be greater than status.replicas",
                                                  "cannot be greater than status.replicas"])
    }

    @Test func namespaceWording() {
        let stored = with(Self.namespace) { $0.metadata?.deletionTimestamp = Self.deletedAt }
        let errors = Validation.validateStatusUpdate(stored, old: stored)
        #expect(errors.map(\.detail) == ["may only be 'Terminating' if `deletionTimestamp` is not empty"])
    }
}
