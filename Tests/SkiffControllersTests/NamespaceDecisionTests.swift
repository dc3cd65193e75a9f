/// NamespaceDecision: the phases of a namespace's deletion, decided without an apiserver.
import SkiffControllers
import SkiffWire
import Testing

private func namespace(deleting: Bool = true, finalizers: [String] = ["kubernetes"],
                       conditions: [NamespaceCondition] = []) -> Namespace {
    var meta = ObjectMeta(name: "team")
    if deleting { meta.deletionTimestamp = Fixtures.now }
    return Namespace(metadata: meta, spec: NamespaceSpec(finalizers: finalizers),
                     status: NamespaceStatus(phase: deleting ? "Terminating" : "Active", conditions: conditions))
}

@Suite("Namespace decisions")
struct NamespaceDecisionTests {
    @Test func anActiveNamespaceIsLeftAlone() {
        let decision = NamespaceDecision.decide(namespace(deleting: false), content: NamespaceContent(), now: Fixtures.now)
        #expect(decision == NamespaceDecision())
    }

    @Test func aFinalizedNamespaceIsLeftAlone() {
        let decision = NamespaceDecision.decide(namespace(finalizers: []), content: NamespaceContent(), now: Fixtures.now)
        #expect(decision == NamespaceDecision())
    }

    @Test func contentRemainingWaitsAndSaysWhat() throws {
        let content = NamespaceContent(remaining: ["pods": 2, "configmaps": 0], finalizers: ["example.com/hold": 1])
        let decision = NamespaceDecision.decide(namespace(), content: content, now: Fixtures.now)
        #expect(!decision.finalize)
        let conditions = try #require(decision.conditions)
        let remaining = try #require(conditions.first { $0.type == "NamespaceContentRemaining" })
        #expect(remaining.status == "True" && remaining.reason == "SomeResourcesRemain")
        #expect(remaining.message == "Some resources are remaining: pods has 2 resource instances")
        let finalizers = try #require(conditions.first { $0.type == "NamespaceFinalizersRemaining" })
        #expect(finalizers.status == "True")
        #expect(finalizers.message == "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances")
        #expect(conditions.first { $0.type == "NamespaceDeletionContentFailure" }?.status == "False")
    }

    @Test func failuresKeepTheNamespace() {
        let content = NamespaceContent(failures: ["secrets": "unavailable"])
        let decision = NamespaceDecision.decide(namespace(), content: content, now: Fixtures.now)
        #expect(!decision.finalize)
        #expect(decision.conditions?.first { $0.type == "NamespaceDeletionContentFailure" }?.status == "True")
    }

    @Test func emptyIsFinalizedAndUnchangedConditionsAreNotRewritten() throws {
        let first = NamespaceDecision.decide(namespace(), content: NamespaceContent(remaining: ["pods": 0]), now: Fixtures.now)
        #expect(first.finalize)
        let conditions = try #require(first.conditions)
        #expect(conditions.allSatisfy { $0.status == "False" })
        let later = Time(seconds: Fixtures.now.seconds + 10)
        let again = NamespaceDecision.decide(namespace(conditions: conditions), content: NamespaceContent(), now: later)
        #expect(again.finalize && again.conditions == nil)
    }
}
