/// Static pod manifests: one Pod per file; anything else is refused with a message, never a crash.
@testable import SkiffKubelet
import SkiffWire
import Testing

@Suite struct UnitStaticPodManifestTests {
    @Test func aPodManifestBecomesTheNodesPod() throws {
        let pod = try StaticPods.pod(from: "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: default}\nspec:\n  containers: [{name: c, image: busybox}]\n",
                                     nodeName: "node-1")
        #expect(pod.spec?.containers.first?.image == "busybox")
    }

    @Test(arguments: [
        "kind: Deployment\nmetadata: {name: web}\n",
        "- a list\n",
        // A mapping as a key: YAML allows it; Yams' untyped loader trapped on it.
        "kind: Pod\n{a: b}: c\nmetadata: {name: web}\n",
        "{kind: Pod}: x\n",
    ])
    func anythingElseIsRefused(_ text: String) {
        #expect(throws: (any Error).self) { try StaticPods.pod(from: text, nodeName: "node-1") }
    }
}
