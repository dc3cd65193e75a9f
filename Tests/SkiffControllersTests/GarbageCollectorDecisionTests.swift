/// GarbageDecision and ObjectGraph: every way an object's owners can stand, decided without an
/// apiserver.
import SkiffAPI
import SkiffClient
import SkiffControllers
import SkiffWire
import Testing

private let rs = GroupResource(group: "apps", resource: "replicasets")
private let pods = GroupResource(group: "", resource: "pods")

private func ref(_ uid: String, block: Bool = true, kind: String = "ReplicaSet") -> OwnerReference {
    OwnerReference(apiVersion: "apps/v1", kind: kind, name: "owner-\(uid)", uid: uid, controller: true, blockOwnerDeletion: block)
}

private func node(_ name: String, _ resource: GroupResource = pods, owners: [OwnerReference] = [], deleting: Bool = false,
                  finalizers: [String] = []) -> GraphNode {
    GraphNode(identity: ObjectIdentity(resource: resource, namespace: "default", name: name, uid: "uid-\(name)"),
              owners: owners, deleting: deleting, finalizers: finalizers)
}

@Suite("Garbage collector decisions")
struct GarbageCollectorDecisionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var item: GraphNode
        var owners: [String: OwnerState] = [:]
        var dependents: [GraphNode] = []
        var expected: GarbageAction
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "no owners: nothing", item: node("p"), expected: .nothing),
        Case(name: "owner present: nothing", item: node("p", owners: [ref("a")]), owners: ["a": .present], expected: .nothing),
        Case(name: "owner unknown kind: kept", item: node("p", owners: [ref("a")]), owners: ["a": .unknown], expected: .nothing),
        Case(name: "background: owner gone, deleted", item: node("p", owners: [ref("a")]), owners: ["a": .absent],
             expected: .delete(propagation: "Background")),
        Case(name: "multiple owners: one gone, the ref goes",
             item: node("p", owners: [ref("a"), ref("b", block: false)]), owners: ["a": .absent, "b": .present],
             expected: .removeOwnerReferences(["a"])),
        Case(name: "multiple owners: all gone, deleted",
             item: node("p", owners: [ref("a"), ref("b")]), owners: ["a": .absent, "b": .absent],
             expected: .delete(propagation: "Background")),
        Case(name: "owner foreground, another solid: the waiting ref goes",
             item: node("p", owners: [ref("a"), ref("b")]), owners: ["a": .deletingDependents, "b": .present],
             expected: .removeOwnerReferences(["a"])),
        Case(name: "owner foreground, leaf dependent: deleted in background",
             item: node("p", owners: [ref("a")]), owners: ["a": .deletingDependents],
             expected: .delete(propagation: "Background")),
        Case(name: "foreground chain: RS with pods under a foreground owner goes in the foreground",
             item: node("rs", rs, owners: [ref("deploy", kind: "Deployment")]), owners: ["deploy": .deletingDependents],
             dependents: [node("p1", owners: [ref("uid-rs")])], expected: .delete(propagation: "Foreground")),
        Case(name: "orphan finalizer on a dependent whose owner is gone: deleted orphaning",
             item: node("rs", rs, owners: [ref("a")], finalizers: ["orphan"]), owners: ["a": .absent],
             expected: .delete(propagation: "Orphan")),
        Case(name: "foreground owner with blocking dependents waits and wakes them",
             item: node("rs", rs, deleting: true, finalizers: ["foregroundDeletion"]),
             dependents: [node("p1", owners: [ref("uid-rs")]), node("p2", owners: [ref("uid-rs")], deleting: true),
                          node("p3", owners: [ref("uid-rs", block: false)])],
             expected: .awaitDependents(blocking: [node("p1").identity, node("p2").identity],
                                        wake: [node("p1").identity, node("p3").identity])),
        Case(name: "foreground owner with only non-blocking dependents: finalizer goes",
             item: node("rs", rs, deleting: true, finalizers: ["foregroundDeletion"]),
             dependents: [node("p3", owners: [ref("uid-rs", block: false)])],
             expected: .removeFinalizer("foregroundDeletion")),
        Case(name: "foreground owner without dependents: finalizer goes",
             item: node("rs", rs, deleting: true, finalizers: ["foregroundDeletion"]),
             expected: .removeFinalizer("foregroundDeletion")),
        Case(name: "orphan: dependents lose the reference first",
             item: node("rs", rs, deleting: true, finalizers: ["orphan"]),
             dependents: [node("p1", owners: [ref("uid-rs")])], expected: .orphanDependents([node("p1").identity])),
        Case(name: "orphan without dependents: finalizer goes",
             item: node("rs", rs, deleting: true, finalizers: ["orphan"]), expected: .removeFinalizer("orphan")),
        Case(name: "being deleted without collector finalizers: left to the apiserver",
             item: node("p", owners: [ref("a")], deleting: true), owners: ["a": .absent], expected: .nothing),
    ]

    @Test(arguments: cases)
    func decides(_ test: Case) {
        #expect(GarbageDecision.decide(test.item, owners: test.owners, dependents: test.dependents) == test.expected)
    }

    @Test func keysNameOneObjectAcrossKinds() throws {
        let identity = ObjectIdentity(resource: GroupResource(group: "coordination.k8s.io", resource: "leases"),
                                      namespace: "kube-node-lease", name: "node-1", uid: "u")
        #expect(identity.key.description == "leases.coordination.k8s.io/kube-node-lease/node-1")
        let parsed = try #require(ObjectIdentity.parse(ObjectKey(identity.key.description)))
        #expect(parsed.resource == identity.resource && parsed.namespace == "kube-node-lease" && parsed.name == "node-1")
        let cluster = ObjectIdentity(resource: GroupResource(group: "", resource: "nodes"), namespace: "", name: "n", uid: "u")
        #expect(cluster.key.description == "nodes//n")
        #expect(ObjectIdentity.parse(cluster.key)?.name == "n")
    }

    @Test func graphTracksDependentsByUID() {
        let graph = ObjectGraph()
        graph.upsert(node("rs", rs))
        graph.upsert(node("p1", owners: [ref("uid-rs")]))
        graph.upsert(node("p2", owners: [ref("uid-rs"), ref("other")]))
        #expect(graph.dependents(of: "uid-rs").map(\.identity.name) == ["p1", "p2"])
        #expect(Set(graph.candidateKeys()) == [node("p1").identity.key, node("p2").identity.key])
        // Released: the edge goes with the reference.
        graph.upsert(node("p1"))
        #expect(graph.dependents(of: "uid-rs").map(\.identity.name) == ["p2"])
        graph.remove(uid: "uid-p2")
        #expect(graph.dependents(of: "uid-rs").isEmpty && graph.dependents(of: "other").isEmpty)
        #expect(graph.node(key: node("rs", rs).identity.key)?.identity.uid == "uid-rs")
        // A namesake with a new uid replaces the old node under the key.
        graph.upsert(GraphNode(identity: ObjectIdentity(resource: rs, namespace: "default", name: "rs", uid: "new")))
        #expect(graph.node(uid: "uid-rs") == nil)
        #expect(graph.node(key: node("rs", rs).identity.key)?.identity.uid == "new")
    }
}
