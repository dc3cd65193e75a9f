/// ManifestLoader: multi-document YAML, JSON, lists, directories, stdin, and the one-line
/// errors for bad documents.
import Foundation
import SkiffAPI
import SkiffCtl
import SkiffWire
import Testing

@Suite struct ManifestLoaderTests {
    @Test func multiDocumentYAMLInOrder() throws {
        let objects = try ManifestLoader.parse("""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              replicas: 3
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: web
              namespace: shop
            spec:
              ports:
              - port: 80
                targetPort: http
            ---
            """, source: "app.yaml")
        #expect(objects.map(\.resource.kind) == ["Deployment", "Service"])
        #expect(objects.map(\.name) == ["web", "web"])
        #expect((objects[0].object as? Deployment)?.spec?.replicas == 3)
        #expect(objects[0].namespace == nil)
        #expect(objects[1].namespace == "shop")
        #expect((objects[1].object as? Service)?.spec?.ports.first?.targetPort == .string("http"))
        #expect(objects.allSatisfy { $0.source == "app.yaml" })
    }

    @Test func jsonDocument() throws {
        let objects = try ManifestLoader.parse("""
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"mode": "fast"}}
            """, source: "cm.json")
        #expect((objects.first?.object as? ConfigMap)?.data == ["mode": "fast"])
    }

    @Test func listKindContributesItsItems() throws {
        let objects = try ManifestLoader.parse("""
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Pod
              metadata: {name: a}
            - apiVersion: batch/v1
              kind: Job
              metadata: {name: b}
            """, source: "list.yaml")
        #expect(objects.map(\.resource.kind) == ["Pod", "Job"])
        #expect(objects.map(\.name) == ["a", "b"])
    }

    @Test func typedListContributesItsItems() throws {
        let objects = try ManifestLoader.parse("""
            {"apiVersion": "v1", "kind": "PodList", "items": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}}]}
            """, source: "pods.json")
        #expect(objects.map(\.name) == ["a"])
    }

    @Test func directoryInNameOrderSkippingOtherFiles() throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        try directory.write("b.yml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: second}\n")
        try directory.write("a.json", #"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "first"}}"#)
        try directory.write("c.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: third}\n")
        try directory.write("README.md", "not a manifest")
        let objects = try ManifestLoader.load([directory.path])
        #expect(objects.map(\.name) == ["first", "second", "third"])
        #expect(objects.map(\.source) == ["a.json", "b.yml", "c.yaml"].map { directory.path + "/" + $0 })
    }

    @Test func dashReadsStandardInput() throws {
        let objects = try ManifestLoader.load(["-"]) { "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n" }
        #expect(objects.map(\.name) == ["shop"])
        #expect(objects.first?.source == "STDIN")
        #expect(objects.first?.resource.namespaced == false)
    }

    @Test func missingPath() {
        #expect(throws: CtlError("the path \"/nonexistent/x.yaml\" does not exist")) {
            try ManifestLoader.load(["/nonexistent/x.yaml"])
        }
    }

    static let badDocuments: [(String, String)] = [
        ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: three\n",
         #"deploy.yaml: Deployment "web": spec.replicas: expected Int32, got "three""#),
        ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicase: 3\n",
         #"deploy.yaml: Deployment "web": spec.replicase: unknown field "replicase""#),
        ("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: app\n    image: [nginx]\n",
         #"deploy.yaml: Pod "web": spec.containers[0].image: expected String, got a list"#),
        ("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: {name: app}\n",
         #"deploy.yaml: Pod "web": spec.containers: expected a list, got a map"#),
        ("apiVersion: v1\nkind: Widget\nmetadata: {name: w}\n",
         #"deploy.yaml: Widget "w": no matches for kind "Widget" in version "v1""#),
        ("apiVersion: apps/v1\nkind: Pod\nmetadata: {name: w}\n",
         #"deploy.yaml: Pod "w": no matches for kind "Pod" in version "apps/v1""#),
        ("apiVersion: v1\nmetadata: {name: w}\n", "deploy.yaml: document 1: kind not set"),
        ("kind: Pod\nmetadata: {name: w}\n", #"deploy.yaml: Pod "w": apiVersion not set"#),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\ndata: {x: 1.5}\nbogus: 1\n",
         #"deploy.yaml: document 2 (ConfigMap): bogus: unknown field "bogus""#),
        ("- just\n- a list\n", "deploy.yaml: document 1: expected an object with apiVersion and kind, got a list"),
        ("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {password: \"not base64!\"}\n",
         #"deploy.yaml: Secret "s": data: illegal base64 data"#),
        ("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: app\n    env:\n    - {name: PORT, value: 8080}\n",
         #"deploy.yaml: Pod "web": spec.containers[0].env[0].value: expected String, got 8080"#),
        ("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [3]\n",
         #"deploy.yaml: Pod "web": spec.containers[0]: expected a map, got 3"#),
        ("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec: {restartPolicy: 3}\n",
         #"deploy.yaml: Pod "p": spec.restartPolicy: expected String, got 3"#),
    ]

    @Test(arguments: badDocuments)
    func badDocumentIsOneLineNamingFileObjectAndField(text: String, message: String) {
        #expect(throws: CtlError(message)) { try ManifestLoader.parse(text, source: "deploy.yaml") }
    }

    @Test func yamlSyntaxErrorNamesTheLine() throws {
        let error = #expect(throws: CtlError.self) {
            try ManifestLoader.parse("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [web\n", source: "pod.yaml")
        }
        #expect(error?.message.hasPrefix("pod.yaml: invalid YAML: line ") == true)
    }
}
