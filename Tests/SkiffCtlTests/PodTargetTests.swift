/// `logs` and `exec` take POD, pod/POD, or TYPE/NAME of a workload or Service, as kubectl does:
/// the object's selector finds its pods and one is picked (scheduled, running, ready, oldest).
import SkiffAPI
@testable import SkiffCtl
import SkiffWire
import Testing

@Suite struct PodTargetTests {
    static func pod(_ name: String, labels: [String: String] = ["job-name": "pi"], node: String? = "n1",
                    phase: String = "Running", ready: Bool = true, created: Int64 = 100) -> Pod {
        Pod(metadata: ObjectMeta(name: name, namespace: "default", creationTimestamp: Time(seconds: created), labels: labels),
            spec: PodSpec(nodeName: node),
            status: PodStatus(phase: phase, conditions: [PodCondition(type: "Ready", status: ready ? "True" : "False")]))
    }

    @Test func pickPrefersScheduledRunningReadyThenOldest() {
        let unscheduled = Self.pod("a-unscheduled", node: nil, created: 1)
        let pending = Self.pod("b-pending", phase: "Pending", created: 2)
        let unready = Self.pod("c-unready", ready: false, created: 3)
        let newer = Self.pod("d-newer", created: 20)
        let older = Self.pod("e-older", created: 10)
        #expect(PodTarget.pick([unscheduled, pending, unready, newer, older])?.metadata?.name == "e-older")
        #expect(PodTarget.pick([unscheduled, pending, unready])?.metadata?.name == "c-unready")
        #expect(PodTarget.pick([unscheduled, pending])?.metadata?.name == "b-pending")
        #expect(PodTarget.pick([]) == nil)
    }

    @Test func selectorsOfEachKind() throws {
        let labelSelector = LabelSelector(matchLabels: ["app": "web"],
                                          matchExpressions: [LabelSelectorRequirement(key: "tier", operator: "In", values: ["a", "b"])])
        #expect(try PodTarget.selector(of: Deployment(spec: DeploymentSpec(selector: labelSelector))) == "app=web,tier in (a,b)")
        #expect(try PodTarget.selector(of: Job(spec: JobSpec(selector: LabelSelector(matchLabels: ["job-name": "pi"])))) == "job-name=pi")
        #expect(try PodTarget.selector(of: Service(spec: ServiceSpec(selector: ["b": "2", "a": "1"]))) == "a=1,b=2")
        #expect(throws: CtlError.self) { try PodTarget.selector(of: Service(metadata: ObjectMeta(name: "external"))) }
        #expect(throws: CtlError.self) { try PodTarget.selector(of: ConfigMap(metadata: ObjectMeta(name: "c"))) }
    }

    @Test func aJobsPodIsFoundThroughItsSelector() async throws {
        let test = TestSession()
        _ = test.client.seed(Job(metadata: ObjectMeta(name: "pi", namespace: "default"),
                                 spec: JobSpec(selector: LabelSelector(matchLabels: ["job-name": "pi"]))))
        _ = test.client.seed(Self.pod("pi-failed", phase: "Failed", ready: false))
        _ = test.client.seed(Self.pod("pi-running"))
        _ = test.client.seed(Self.pod("other", labels: ["job-name": "other"]))
        #expect(try await test.session.podName(for: "job/pi") == "pi-running")
        #expect(test.errors.lines == ["Found 2 pods, using pod/pi-running"])
        #expect(try await test.session.podName(for: "pods/plain") == "plain")
        #expect(try await test.session.podName(for: "plain") == "plain")
        do {
            _ = try await test.session.podName(for: "service/none")
            Issue.record("a missing service resolved to a pod")
        } catch {
            #expect("\(error)".contains(#"services "none" not found"#), "\(error)")
        }
    }

    @Test func aWorkloadWithoutPodsIsAnError() async throws {
        let test = TestSession()
        _ = test.client.seed(Deployment(metadata: ObjectMeta(name: "idle", namespace: "default"),
                                        spec: DeploymentSpec(selector: LabelSelector(matchLabels: ["app": "idle"]))))
        do {
            _ = try await test.session.podName(for: "deploy/idle")
            Issue.record("a deployment without pods resolved to a pod")
        } catch {
            #expect("\(error)" == "no pods found for deployment.apps/idle")
        }
    }
}
