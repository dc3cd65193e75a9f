/// `skiffctl expose`: the Service made for an object, as kubectl makes it.
import Foundation
import Testing
import SkiffAPI
import SkiffCtl
import SkiffWire

@Suite struct ExposeTests {
    static let services = ResourceCatalog.resource(group: "", plural: "services")!

    static func deployment(ports: [ContainerPort], expressions: Bool = false) -> Deployment {
        var selector = LabelSelector(matchLabels: ["app": "web"])
        if expressions { selector.matchExpressions = [LabelSelectorRequirement(key: "tier", operator: "In", values: ["a"])] }
        return Deployment(metadata: ObjectMeta(name: "web", namespace: "default", labels: ["team": "shop"]),
                          spec: DeploymentSpec(selector: selector,
                                               template: PodTemplateSpec(metadata: ObjectMeta(labels: ["app": "web"]),
                                                                         spec: PodSpec(containers: [Container(name: "c", image: "busybox", ports: ports)]))))
    }

    @Test func aDeploymentWithOnePortGetsAServiceOnIt() async throws {
        let test = TestSession()
        test.client.seed(Self.deployment(ports: [ContainerPort(name: "http", containerPort: 8080)]))
        #expect(try await test.run(ExposeCommand.self, ["deployment", "web"]))
        #expect(test.output.lines == ["service/web exposed"])
        let service = try #require(test.client.stored(Self.services, "web") as? Service)
        #expect(service.metadata?.labels == ["team": "shop"])
        #expect(service.spec?.selector == ["app": "web"])
        #expect(service.spec?.ports == [ServicePort(protocol: "TCP", port: 8080, targetPort: .int(8080))])
    }

    @Test func portTargetPortTypeAndNameAsGiven() async throws {
        let test = TestSession()
        test.client.seed(Self.deployment(ports: []))
        #expect(try await test.run(ExposeCommand.self, ["deploy/web", "--port", "80", "--target-port", "http", "--name", "front",
                                                       "--type", "NodePort"]))
        let service = try #require(test.client.stored(Self.services, "front") as? Service)
        #expect(service.spec?.ports == [ServicePort(protocol: "TCP", port: 80, targetPort: .string("http"))])
        #expect(service.spec?.type == "NodePort")
    }

    @Test func noPortOrAnUncopyableSelectorIsRefusedAndNothingIsCreated() async throws {
        let test = TestSession()
        test.client.seed(Self.deployment(ports: []))
        #expect(try await !test.run(ExposeCommand.self, ["deployment", "web"]))
        #expect(test.errors.lines.last?.contains("couldn't find a port: give --port") == true)
        let other = TestSession()
        other.client.seed(Self.deployment(ports: [ContainerPort(containerPort: 80)], expressions: true))
        #expect(try await !other.run(ExposeCommand.self, ["deployment", "web"]))
        #expect(other.errors.lines.last?.contains("matchExpressions") == true)
        #expect(test.client.writes.isEmpty && other.client.writes.isEmpty)
    }
}
