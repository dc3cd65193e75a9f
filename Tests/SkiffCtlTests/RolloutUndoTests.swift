/// `rollout undo` against the fake: back to the previous revision's template, and through a
/// Deployment the controller keeps rewriting (its status) between undo's read and its write.
import SkiffAPI
import SkiffCtl
import SkiffWire
import Testing

@Suite struct RolloutUndoTests {
    static func template(_ image: String) -> PodTemplateSpec {
        PodTemplateSpec(metadata: ObjectMeta(labels: ["app": "web"]), spec: PodSpec(containers: [Container(name: "app", image: image)]))
    }

    /// A Deployment at revision 2 (image v2) with revision 1's ReplicaSet (image v1) beside it.
    static func seeded(_ test: TestSession) {
        let deployment = test.client.seed(Deployment(
            metadata: ObjectMeta(name: "web", namespace: "default"),
            spec: DeploymentSpec(selector: LabelSelector(matchLabels: ["app": "web"]), template: template("web:v2"))))
        let owner = OwnerReference(apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: deployment.metadata?.uid, controller: true)
        for (revision, image) in [(1, "web:v1"), (2, "web:v2")] {
            _ = test.client.seed(ReplicaSet(
                metadata: ObjectMeta(name: "web-\(revision)", namespace: "default",
                                     annotations: ["deployment.kubernetes.io/revision": "\(revision)"], ownerReferences: [owner]),
                spec: ReplicaSetSpec(selector: LabelSelector(matchLabels: ["app": "web"]), template: template(image))))
        }
    }

    @Test func undoRetriesWhenTheDeploymentChangedUnderIt() async throws {
        let test = TestSession()
        Self.seeded(test)
        test.client.writeConcurrently(beforeUpdates: 2)
        #expect(try await test.run(RolloutUndoCommand.self, ["deployment/web"]), "\(test.errors.lines)")
        #expect(test.output.lines == ["deployment.apps/web rolled back"])
        #expect(test.client.writes == Array(repeating: "update deployments.apps default/web", count: 3))
        let deployments = try #require(ResourceCatalog.resource(group: "apps", plural: "deployments"))
        let stored = try #require(test.client.stored(deployments, "web") as? Deployment)
        #expect(stored.spec?.template?.spec?.containers.first?.image == "web:v1")
    }

    @Test func undoGivesUpAfterRepeatedConflicts() async throws {
        let test = TestSession()
        Self.seeded(test)
        test.client.writeConcurrently(beforeUpdates: 100)
        #expect(try await !test.run(RolloutUndoCommand.self, ["deployment/web"]))
        #expect(test.client.writes.count == 6)
        #expect(test.errors.lines.first?.contains("the object has been modified") == true, "\(test.errors.lines)")
    }
}
