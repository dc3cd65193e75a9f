import SkiffAPI
import SkiffValidation
import SkiffWire
import Testing

/// ConfigMaps and Secrets: keys usable as file names, the size limit, Secret types, immutability.
@Suite struct ValidationConfigTests {
    static let configMaps: [Change<ConfigMap>] = [
        Change("key with a slash", [.invalid("data[conf/app]")]) { $0.data["conf/app"] = "x" },
        Change("key '..'", [.invalid("data[..]")]) { $0.data[".."] = "x" },
        Change("key starting with '..'", [.invalid("binaryData[..data]")]) { $0.binaryData["..data"] = [1] },
        Change("key in both maps", [.invalid("data[logo.png]")]) { $0.data["logo.png"] = "x" },
        Change("more than 1 MiB", [.tooLong("data")]) { $0.data["big"] = String(repeating: "x", count: 1024 * 1024) },
        Change("name not a subdomain", [.invalid("metadata.name")]) { $0.metadata?.name = "web_config" },
    ]

    @Test(arguments: configMaps)
    func creatingConfigMaps(_ change: Change<ConfigMap>) {
        expectCreate(change.applied(to: Fixtures.configMap), change.expected)
    }

    @Test func anImmutableConfigMapKeepsItsData() {
        let old = with(Fixtures.configMap) { $0.immutable = true }
        expectUpdate(with(old) { $0.metadata?.labels["v"] = "2" }, from: old, [])
        expectUpdate(with(old) { $0.data["app.properties"] = "color=red" }, from: old, [.forbidden("data")])
        expectUpdate(with(old) { $0.binaryData = [:] }, from: old, [.forbidden("binaryData")])
        expectUpdate(with(old) { $0.immutable = false }, from: old, [.forbidden("immutable")])
        expectUpdate(with(Fixtures.configMap) { $0.data["app.properties"] = "color=red" }, from: Fixtures.configMap, [])
    }

    static let secrets: [Change<Secret>] = [
        Change("key with a space", [.invalid("data[my key]")]) { $0.data["my key"] = [1] },
        Change("string data key with a slash", [.invalid("stringData[a/b]")]) { $0.stringData["a/b"] = "x" },
        Change("more than 1 MiB", [.tooLong("data")]) { $0.data["big"] = Array(repeating: 0, count: 1024 * 1024 + 1) },
        Change("TLS without its keys", [.required("data[tls.crt]"), .required("data[tls.key]")]) { $0.type = "kubernetes.io/tls" },
        Change("TLS with its keys", []) {
            $0.type = "kubernetes.io/tls"
            $0.data = ["tls.crt": Array("cert".utf8), "tls.key": Array("key".utf8)]
        },
        Change("TLS given as string data", []) {
            $0.type = "kubernetes.io/tls"
            $0.stringData = ["tls.crt": "cert", "tls.key": "key"]
        },
        Change("registry credentials missing", [.required("data[.dockerconfigjson]")]) { $0.type = "kubernetes.io/dockerconfigjson" },
        Change("registry credentials", []) {
            $0.type = "kubernetes.io/dockerconfigjson"
            $0.data = [".dockerconfigjson": Array(#"{"auths":{"registry.example.com":{"auth":"dXNlcjpwYXNz"}}}"#.utf8)]
        },
        Change("registry credentials not JSON", [.invalid("data[.dockerconfigjson]")]) {
            $0.type = "kubernetes.io/dockerconfigjson"
            $0.data = [".dockerconfigjson": Array("auths".utf8)]
        },
        Change("token without its account", [.required("metadata.annotations[kubernetes.io/service-account.name]")]) {
            $0.type = "kubernetes.io/service-account-token"
        },
        Change("token with its account", []) {
            $0.type = "kubernetes.io/service-account-token"
            $0.metadata?.annotations["kubernetes.io/service-account.name"] = "builder"
        },
        Change("basic auth with neither part", [.required("data[username]"), .required("data[password]")]) {
            $0.type = "kubernetes.io/basic-auth"
            $0.data = [:]
        },
        Change("basic auth with a username only", []) {
            $0.type = "kubernetes.io/basic-auth"
            $0.data = ["username": Array("admin".utf8)]
        },
        Change("SSH auth without a key", [.required("data[ssh-privatekey]")]) { $0.type = "kubernetes.io/ssh-auth" },
        Change("a type of one's own", []) { $0.type = "example.com/api-key" },
    ]

    @Test(arguments: secrets)
    func creatingSecrets(_ change: Change<Secret>) {
        expectCreate(change.applied(to: Fixtures.secret), change.expected)
    }

    @Test func aSecretKeepsItsTypeAndImmutableData() {
        let old = Fixtures.secret
        expectUpdate(with(old) { $0.type = "kubernetes.io/basic-auth"; $0.data["username"] = [1] }, from: old, [.invalid("type")])
        let frozen = with(old) { $0.immutable = true }
        expectUpdate(with(frozen) { $0.data["password"] = Array("n3w".utf8) }, from: frozen, [.forbidden("data")])
        expectUpdate(with(frozen) { $0.immutable = nil }, from: frozen, [.forbidden("immutable")])
        expectUpdate(with(old) { $0.data["password"] = Array("n3w".utf8) }, from: old, [])
    }

    @Test func aServiceAccountNeedsOnlyGoodMetadata() {
        expectCreate(with(Fixtures.serviceAccount) { $0.metadata?.name = "Builder" }, [.invalid("metadata.name")])
        expectCreate(with(Fixtures.serviceAccount) { $0.imagePullSecrets = [LocalObjectReference(name: "registry")] }, [])
    }
}
