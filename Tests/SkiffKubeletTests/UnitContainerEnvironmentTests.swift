// ContainerEnvironment: argv and environment as Kubernetes computes them.
import Foundation
import SkiffImages
import SkiffWire
import Testing
@testable import SkiffKubelet

private let image = ImageConfig(entrypoint: ["/entry"], cmd: ["serve", "--port=80"], env: ["PATH=/bin", "MODE=image"])

private func env(_ container: Container, pod: Pod? = nil, image: ImageConfig = ImageConfig(),
                 objects: ReferencedObjects = ReferencedObjects()) throws(ContainerConfigError) -> [String] {
    var pod = pod ?? Pod(metadata: ObjectMeta(name: "web", namespace: "shop", uid: "uid-1"), spec: PodSpec())
    pod.spec?.containers = [container]
    return try ContainerEnvironment.environment(pod: pod, container: container, image: image, objects: objects,
                                                hostIP: "192.168.1.10", podIP: "10.244.0.5")
}

private func value(_ name: String, _ value: String) -> EnvVar { EnvVar(name: name, value: value) }
private func field(_ name: String, _ path: String) -> EnvVar {
    EnvVar(name: name, valueFrom: EnvVarSource(fieldRef: ObjectFieldSelector(fieldPath: path)))
}
private func configKey(_ name: String, _ object: String, _ key: String, optional: Bool? = nil) -> EnvVar {
    EnvVar(name: name, valueFrom: EnvVarSource(configMapKeyRef: ConfigMapKeySelector(name: object, key: key, optional: optional)))
}
private func secretKey(_ name: String, _ object: String, _ key: String, optional: Bool? = nil) -> EnvVar {
    EnvVar(name: name, valueFrom: EnvVarSource(secretKeyRef: SecretKeySelector(name: object, key: key, optional: optional)))
}

private let settings = ConfigMap(data: ["LEVEL": "debug", "COLOR": "blue"])
private let credentials = Secret(data: ["USER": Array("admin".utf8), "PASSWORD": Array("s3cret".utf8)])
private let objects = ReferencedObjects(configMaps: ["settings": settings, "gone": nil],
                                        secrets: ["credentials": credentials, "gone": nil])

@Suite struct UnitContainerEnvironmentTests {
    @Test(arguments: [
        ([], [], ["/entry", "serve", "--port=80"]),
        ([], ["-v"], ["/entry", "-v"]),
        (["/bin/sh", "-c"], [], ["/bin/sh", "-c"]),
        (["/bin/sh", "-c"], ["echo hi"], ["/bin/sh", "-c", "echo hi"]),
    ] as [([String], [String], [String])])
    func argvMergesCommandAndArgsWithTheImage(command: [String], args: [String], expected: [String]) {
        let container = Container(name: "a", command: command, args: args)
        #expect(ContainerEnvironment.argv(container, image: image) == expected)
    }

    @Test func imageEnvironmentComesFirstAndLaterNamesWin() throws {
        let container = Container(name: "a", env: [value("MODE", "pod"), value("EXTRA", "1"), value("MODE", "last")])
        #expect(try env(container, image: image) == ["PATH=/bin", "MODE=last", "HOSTNAME=web", "EXTRA=1"])
    }

    @Test func theHostnameIsTheSpecHostnameOrThePodName() throws {
        var pod = Pod(metadata: ObjectMeta(name: "web", namespace: "shop"), spec: PodSpec(hostname: "db-0"))
        #expect(try env(Container(name: "a"), pod: pod) == ["HOSTNAME=db-0"])
        pod.spec?.hostname = nil
        #expect(try env(Container(name: "a"), pod: pod) == ["HOSTNAME=web"])
    }

    @Test(arguments: [
        ("$(A)", "alpha"),
        ("x-$(A)-$(B)", "x-alpha-beta"),
        ("$$(A)", "$(A)"),
        ("$$", "$"),
        ("$$$$", "$$"),
        ("$(UNDEFINED)", "$(UNDEFINED)"),
        ("$(A", "$(A"),
        ("a$", "a$"),
        ("$A", "$A"),
        ("cost: 5$", "cost: 5$"),
        ("$(A)$(A)", "alphaalpha"),
        ("", ""),
    ])
    func expansionFollowsKubernetes(input: String, expected: String) {
        #expect(ContainerEnvironment.expand(input, ["A": "alpha", "B": "beta"]) == expected)
    }

    @Test func valuesExpandEarlierVariablesOnly() throws {
        let container = Container(name: "a", env: [value("HOST", "db"), value("URL", "postgres://$(HOST):$(PORT)"), value("PORT", "5432")])
        #expect(try env(container).last == "PORT=5432")
        #expect(try env(container).contains("URL=postgres://db:$(PORT)"))
    }

    @Test(arguments: [
        ("metadata.name", "web"),
        ("metadata.namespace", "shop"),
        ("metadata.uid", "uid-1"),
        ("spec.nodeName", "node-1"),
        ("spec.serviceAccountName", "robot"),
        ("status.hostIP", "192.168.1.10"),
        ("status.podIP", "10.244.0.5"),
        ("status.podIPs", "10.244.0.5"),
        ("metadata.labels['app']", "shop"),
        ("metadata.labels['missing']", ""),
        ("metadata.annotations['owner']", "team-a"),
        ("metadata.labels", "app=\"shop\"\ntier=\"web\""),
    ])
    func fieldRefsReadThePod(path: String, expected: String) throws {
        let pod = Pod(metadata: ObjectMeta(name: "web", namespace: "shop", uid: "uid-1", labels: ["tier": "web", "app": "shop"],
                                           annotations: ["owner": "team-a"]),
                      spec: PodSpec(serviceAccountName: "robot", nodeName: "node-1"))
        #expect(try env(Container(name: "a", env: [field("X", path)]), pod: pod).last == "X=\(expected)")
    }

    @Test func anUnsupportedFieldPathIsAConfigError() {
        #expect(throws: ContainerConfigError(message: "unsupported fieldPath: spec.schedulerName")) {
            try env(Container(name: "a", env: [field("X", "spec.schedulerName")]))
        }
    }

    @Test(arguments: [
        ("limits.memory", "1Mi", "64"),
        ("limits.memory", nil, "67108864"),
        ("requests.memory", "1Ki", "32768"),
        ("limits.cpu", nil, "1"),  // 500m rounds up to a whole core
        ("limits.cpu", "1m", "500"),
        ("requests.cpu", "1m", "250"),
        ("requests.cpu", "1", "1"),
        ("limits.memory", "1Gi", "1"),  // 64Mi rounds up
        ("limits.ephemeral-storage", nil, "0"),
    ] as [(String, Quantity?, String)])
    func resourceFieldRefsDivideAndRoundUp(resource: String, divisor: Quantity?, expected: String) throws {
        let container = Container(
            name: "a",
            env: [EnvVar(name: "R", valueFrom: EnvVarSource(resourceFieldRef: ResourceFieldSelector(resource: resource, divisor: divisor)))],
            resources: ResourceRequirements(limits: ["cpu": "500m", "memory": "64Mi"], requests: ["cpu": "250m", "memory": "32Mi"]))
        #expect(try env(container).last == "R=\(expected)")
    }

    @Test func aHugeQuantityDoesNotOverflow() throws {
        let container = Container(
            name: "a",
            env: [EnvVar(name: "R", valueFrom: EnvVarSource(resourceFieldRef: ResourceFieldSelector(resource: "limits.cpu", divisor: "1m")))],
            resources: ResourceRequirements(limits: ["cpu": "100E"]))
        let value = try #require(try env(container).last?.split(separator: "=").last.flatMap { Int64($0) })
        #expect(value > 0)
    }

    @Test func aResourceFieldRefMayNameAnotherContainer() throws {
        let sidecar = Container(name: "side", resources: ResourceRequirements(limits: ["memory": "16Mi"]))
        let main = Container(name: "main", env: [EnvVar(name: "R", valueFrom: EnvVarSource(resourceFieldRef: ResourceFieldSelector(
            containerName: "side", resource: "limits.memory", divisor: "1Mi")))])
        let pod = Pod(metadata: ObjectMeta(name: "web", namespace: "shop"), spec: PodSpec(containers: [main, sidecar]))
        let result = try ContainerEnvironment.environment(pod: pod, container: main, image: ImageConfig(), objects: ReferencedObjects(),
                                                          hostIP: nil, podIP: nil)
        #expect(result.last == "R=16")
    }

    @Test func keyRefsReadConfigMapsAndSecrets() throws {
        let container = Container(name: "a", env: [configKey("LOG", "settings", "LEVEL"), secretKey("PW", "credentials", "PASSWORD")])
        #expect(try env(container, objects: objects) == ["HOSTNAME=web", "LOG=debug", "PW=s3cret"])
    }

    @Test(arguments: [
        (configKey("X", "absent", "k"), "configmap \"absent\" not found"),
        (configKey("X", "gone", "k"), "configmap \"gone\" not found"),
        (configKey("X", "settings", "nope"), "couldn't find key nope in ConfigMap shop/settings"),
        (secretKey("X", "absent", "k"), "secret \"absent\" not found"),
        (secretKey("X", "credentials", "nope"), "couldn't find key nope in Secret shop/credentials"),
    ])
    func aMissingObjectOrKeyIsAConfigError(variable: EnvVar, message: String) {
        #expect(throws: ContainerConfigError(message: message)) {
            try env(Container(name: "a", env: [variable]), objects: objects)
        }
    }

    @Test func optionalRefsToMissingObjectsOrKeysAreSkipped() throws {
        let container = Container(name: "a", envFrom: [
            EnvFromSource(configMapRef: ConfigMapEnvSource(name: "gone", optional: true)),
            EnvFromSource(secretRef: SecretEnvSource(name: "absent", optional: true)),
        ], env: [
            configKey("A", "gone", "k", optional: true), configKey("B", "settings", "nope", optional: true),
            secretKey("C", "absent", "k", optional: true), secretKey("D", "credentials", "nope", optional: true),
            value("E", "kept"),
        ])
        #expect(try env(container, objects: objects) == ["HOSTNAME=web", "E=kept"])
    }

    @Test func envFromAddsEveryKeyWithItsPrefixAndEnvOverrides() throws {
        let container = Container(name: "a", envFrom: [
            EnvFromSource(prefix: "CFG_", configMapRef: ConfigMapEnvSource(name: "settings")),
            EnvFromSource(secretRef: SecretEnvSource(name: "credentials")),
        ], env: [value("USER", "override"), value("WHO", "$(USER) at $(CFG_COLOR)")])
        #expect(try env(container, objects: objects) == [
            "HOSTNAME=web", "CFG_COLOR=blue", "CFG_LEVEL=debug", "PASSWORD=s3cret", "USER=override", "WHO=override at blue",
        ])
    }

    @Test(arguments: [
        (EnvFromSource(configMapRef: ConfigMapEnvSource(name: "absent")), "configmap \"absent\" not found"),
        (EnvFromSource(secretRef: SecretEnvSource(name: "gone")), "secret \"gone\" not found"),
    ])
    func aMissingEnvFromObjectIsAConfigError(source: EnvFromSource, message: String) {
        #expect(throws: ContainerConfigError(message: message)) {
            try env(Container(name: "a", envFrom: [source]), objects: objects)
        }
    }
}
