// The cache: keys, ordered reads, the built-in namespace index and custom ones (pods by node,
// pods by owner uid) kept right through updates, deletes and replaces.
import SkiffClient
import SkiffWire
import Testing

extension IndexName {
    static let byNode: IndexName = "node"
    static let byOwner: IndexName = "owner"
}

private func podIndexer() -> Indexer<Pod> {
    Indexer(indexes: [
        .byNode: { pod in pod.spec?.nodeName.map { [$0] } ?? [] },
        .byOwner: { pod in pod.metadata?.ownerReferences.compactMap(\.uid) ?? [] },
    ])
}

@Suite struct IndexerTests {
    @Test func getListAndKeys() {
        let indexer = podIndexer()
        indexer.upsert(pod("web-2"))
        indexer.upsert(pod("web-1"))
        indexer.upsert(pod("dns", namespace: "kube-system"))

        #expect(indexer.get("default/web-1")?.metadata?.name == "web-1")
        #expect(indexer.get("default/missing") == nil)
        #expect(indexer.keys() == ["default/web-1", "default/web-2", "kube-system/dns"])
        #expect(indexer.list().map(\.key) == ["default/web-1", "default/web-2", "kube-system/dns"])
        #expect(indexer.count == 3)
    }

    @Test func byNamespaceIsBuiltIn() {
        let indexer = Indexer<Pod>()
        indexer.upsert(pod("a"))
        indexer.upsert(pod("b", namespace: "other"))
        indexer.upsert(pod("c"))
        #expect(indexer.byIndex(.byNamespace, "default").map(\.key) == ["default/a", "default/c"])
        #expect(indexer.byIndex(.byNamespace, "other").map(\.key) == ["other/b"])
        #expect(indexer.byIndex(.byNamespace, "none").isEmpty)
    }

    @Test func customIndexesFollowUpdatesAndDeletes() {
        let indexer = podIndexer()
        indexer.upsert(pod("a", node: "node-1", owners: ["rs-1"]))
        indexer.upsert(pod("b", node: "node-1", owners: ["rs-1", "rs-2"]))
        indexer.upsert(pod("c"))  // unscheduled, no owner: in no custom index

        #expect(indexer.byIndex(.byNode, "node-1").map(\.key) == ["default/a", "default/b"])
        #expect(indexer.byIndex(.byOwner, "rs-2").map(\.key) == ["default/b"])

        let replaced = indexer.upsert(pod("a", node: "node-2", owners: ["rs-1"]))
        #expect(replaced?.spec?.nodeName == "node-1")
        #expect(indexer.byIndex(.byNode, "node-1").map(\.key) == ["default/b"])
        #expect(indexer.byIndex(.byNode, "node-2").map(\.key) == ["default/a"])

        #expect(indexer.delete("default/b")?.metadata?.name == "b")
        #expect(indexer.delete("default/b") == nil)
        #expect(indexer.byIndex(.byNode, "node-1").isEmpty)
        #expect(indexer.byIndex(.byOwner, "rs-1").map(\.key) == ["default/a"])
        #expect(indexer.byIndex(.byOwner, "rs-2").isEmpty)
    }

    @Test func replaceSwapsEverythingAndReturnsWhatWasThere() {
        let indexer = podIndexer()
        indexer.upsert(pod("a", node: "node-1"))
        indexer.upsert(pod("b", node: "node-1"))

        let previous = indexer.replace(with: [pod("b", node: "node-2"), pod("c", node: "node-1")])
        #expect(previous.keys.sorted() == ["default/a", "default/b"])
        #expect(indexer.keys() == ["default/b", "default/c"])
        #expect(indexer.byIndex(.byNode, "node-1").map(\.key) == ["default/c"])
        #expect(indexer.byIndex(.byNode, "node-2").map(\.key) == ["default/b"])
    }
}

@Suite struct ObjectKeyTests {
    @Test(arguments: [
        ("default/web", "default", "web"),
        ("node-1", "", "node-1"),
        ("kube-system/coredns-7d9f", "kube-system", "coredns-7d9f"),
    ])
    func textRoundTrips(text: String, namespace: String, name: String) {
        let key = ObjectKey(text)
        #expect(key == ObjectKey(namespace: namespace, name: name))
        #expect(key.description == text)
    }

    @Test func keyOfAnObject() {
        #expect(ObjectKey(pod("web", namespace: "shop")).description == "shop/web")
        #expect(ObjectKey(Node(metadata: ObjectMeta(name: "node-1"))).description == "node-1")
    }
}
