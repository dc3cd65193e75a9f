/// ObjectDocuments: -o yaml and -o json as kubectl prints them.
import SkiffCtl
import SkiffWire
import Testing

@Suite struct ObjectDocumentsTests {
    static let pod = Pod(metadata: ObjectMeta(name: "web", namespace: "default", resourceVersion: "42",
                                              creationTimestamp: created, labels: ["app": "web"]),
                         spec: PodSpec(containers: [Container(name: "app", image: "nginx")]))

    @Test func yamlHasTypeMetaAndSortedKeys() throws {
        #expect(try ObjectDocuments.yaml(Self.pod) == """
            apiVersion: v1
            kind: Pod
            metadata:
              creationTimestamp: '2023-11-14T22:13:20Z'
              labels:
                app: web
              name: web
              namespace: default
              resourceVersion: '42'
            spec:
              containers:
              - image: nginx
                name: app
            """)
    }

    @Test func jsonIsFourSpacesDeep() throws {
        #expect(try ObjectDocuments.json(ConfigMap(metadata: ObjectMeta(name: "c"), data: ["k": "<v>"])) == """
            {
                "apiVersion": "v1",
                "data": {
                    "k": "\\u003cv\\u003e"
                },
                "kind": "ConfigMap",
                "metadata": {
                    "name": "c"
                }
            }
            """)
    }

    @Test func severalObjectsAreAList() throws {
        let list = try ObjectDocuments.list([ConfigMap(metadata: ObjectMeta(name: "a")), Namespace(metadata: ObjectMeta(name: "b"))])
        #expect(try ObjectDocuments.yaml(list) == """
            apiVersion: v1
            items:
            - apiVersion: v1
              kind: ConfigMap
              metadata:
                name: a
            - apiVersion: v1
              kind: Namespace
              metadata:
                name: b
            kind: List
            metadata:
              resourceVersion: ''
            """)
    }
}
