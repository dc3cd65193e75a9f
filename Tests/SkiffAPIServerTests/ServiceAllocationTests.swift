/// Services get their virtual IPs and node ports from the apiserver, as in Kubernetes: a real
/// store and apiserver(s), driven through the client library.
import Foundation
import Testing
import SkiffAPI
import SkiffClient
import SkiffTestSupport
import SkiffWire

@Suite(.serialized)
struct ServiceAllocationTests {
    static func service(_ name: String, clusterIP: String? = nil, type: String? = nil, nodePort: Int32? = nil) -> Service {
        Service(metadata: ObjectMeta(name: name, namespace: "default"),
                spec: ServiceSpec(ports: [ServicePort(name: "http", port: 80, nodePort: nodePort)], selector: ["app": name],
                                  clusterIP: clusterIP, type: type))
    }

    static func invalid(_ error: any Error, _ message: String) -> Bool {
        guard let error = error as? APIError else { return false }
        return error.code == 422 && error.message == message
    }

    @Test func aServiceGetsAFreeAddressOfTheRangeAndKeepsItAcrossUpdates() async throws {
        try await withPlane { _, client in
            let range = try #require(IPv4Range("10.96.0.0/16"))
            var addresses: Set<String> = []
            for name in ["a", "b", "c"] {
                let created = try await client.create(Self.service(name))
                let spec = try #require(created.spec)
                let ip = try #require(spec.clusterIP.flatMap { IPv4Address($0) })
                #expect(range.contains(ip) && ip != range.first)
                #expect(spec.clusterIPs == [ip.description])
                #expect(spec.ipFamilies == ["IPv4"] && spec.ipFamilyPolicy == "SingleStack")
                addresses.insert(ip.description)
            }
            #expect(addresses.count == 3)
            // A PUT of the manifest as written (no clusterIP) keeps the address, as Kubernetes does.
            let stored = try await client.get(Service.self, name: "a", namespace: "default")
            var replaced = Self.service("a")
            replaced.metadata?.resourceVersion = stored.metadata?.resourceVersion
            replaced.spec?.ports[0].port = 8080
            let updated = try await client.update(replaced)
            #expect(updated.spec?.clusterIP == stored.spec?.clusterIP)
        }
    }

    @Test func aRequestedAddressIsHonouredOnceAndFreedWithItsService() async throws {
        try await withPlane { _, client in
            let first = try await client.create(Self.service("dns", clusterIP: "10.96.0.10"))
            #expect(first.spec?.clusterIP == "10.96.0.10")
            await #expect { try await client.create(Self.service("other", clusterIP: "10.96.0.10")) } throws: {
                Self.invalid($0, "Service \"other\" is invalid: spec.clusterIPs[0]: Invalid value: \"10.96.0.10\": "
                             + "failed to allocate IP 10.96.0.10: provided IP is already allocated")
            }
            await #expect { try await client.get(Service.self, name: "other", namespace: "default") } throws: {
                ($0 as? APIError)?.code == 404
            }
            await #expect { try await client.create(Self.service("far", clusterIP: "10.0.0.10")) } throws: {
                Self.invalid($0, "Service \"far\" is invalid: spec.clusterIPs[0]: Invalid value: \"10.0.0.10\": failed to allocate IP "
                             + "10.0.0.10: the provided IP (10.0.0.10) is not in the valid range. The range of valid IPs is 10.96.0.0/16")
            }
            _ = try await client.delete(Service.self, name: "dns", namespace: "default")
            let again = try await client.create(Self.service("other", clusterIP: "10.96.0.10"))
            #expect(again.spec?.clusterIP == "10.96.0.10")
        }
    }

    @Test func headlessAndExternalNameServicesGetNoAddress() async throws {
        try await withPlane { _, client in
            let headless = try await client.create(Self.service("db", clusterIP: "None"))
            #expect(headless.spec?.clusterIP == "None" && headless.spec?.clusterIPs == ["None"])
            let external = try await client.create(Service(metadata: ObjectMeta(name: "ext", namespace: "default"),
                                                           spec: ServiceSpec(type: "ExternalName", externalName: "example.invalid")))
            #expect(external.spec?.clusterIP == nil && external.spec?.clusterIPs == [])
        }
    }

    @Test func nodePortsAreAllocatedOncePerPortAndNeverTwice() async throws {
        try await withPlane { _, client in
            let web = try await client.create(Self.service("web", type: "NodePort"))
            let port = try #require(web.spec?.ports.first?.nodePort)
            #expect((30000...32767).contains(port))
            let fixed = try await client.create(Self.service("fixed", type: "NodePort", nodePort: 30080))
            #expect(fixed.spec?.ports.first?.nodePort == 30080)
            await #expect { try await client.create(Self.service("clash", type: "NodePort", nodePort: 30080)) } throws: {
                Self.invalid($0, "Service \"clash\" is invalid: spec.ports[0].nodePort: Invalid value: \"30080\": provided port is already allocated")
            }
            // A ClusterIP Service turned NodePort gets its port on update.
            var plain = try await client.create(Self.service("plain"))
            plain.spec?.type = "NodePort"
            let turned = try await client.update(plain)
            let turnedPort = try #require(turned.spec?.ports.first?.nodePort)
            #expect((30000...32767).contains(turnedPort) && turnedPort != 30080 && turnedPort != port)
            // Turned back, its node port goes (as stored, it would be invalid for a ClusterIP Service).
            var back = turned
            back.spec?.type = "ClusterIP"
            let clusterOnly = try await client.update(back)
            #expect(clusterOnly.spec?.ports.first?.nodePort == nil)
        }
    }

    @Test func twoAPIServersFillASmallRangeWithoutHandingOutAnAddressTwice() async throws {
        let plane = try ControlPlane()
        defer { Task { await plane.stop() } }
        let small = ["--service-cluster-ip-range", "10.96.0.0/28"]  // 14 usable addresses
        try await plane.start(apiserverArguments: small)
        try await plane.startAPIServer(arguments: small)
        let clients = [try plane.newClient(), try plane.newClient()]
        let created = try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<14 {
                group.addTask {
                    try await clients[index % 2].create(Self.service("s\(index)")).spec?.clusterIP
                }
            }
            return try await group.reduce(into: [String]()) { if let ip = $1 { $0.append(ip) } }
        }
        #expect(created.count == 14 && Set(created).count == 14)
        #expect(!created.contains("10.96.0.0") && !created.contains("10.96.0.15"))
        await #expect { try await clients[0].create(Self.service("s14")) } throws: {
            ($0 as? APIError)?.code == 500 && ($0 as? APIError)?.message.contains("range is full") == true
        }
        for client in clients { await client.close() }
        await plane.stop()
    }

    @Test func aRangeOverlappingTheMachinesOwnIsRefusedAtStart() async throws {
        let apiserver = try ChildProcess("skiff-apiserver", ["--run-dir", NSTemporaryDirectory() + "/skiff-unused-\(getpid())",
                                                             "--service-cluster-ip-range", "10.255.0.0/16"])
        let status = await apiserver.exitStatus(within: .seconds(30))
        let stderr = apiserver.stderr
        await apiserver.stop()
        #expect(status != nil && status != 0)
        #expect(stderr.contains("--service-cluster-ip-range: 10.255.0.0/16 overlaps 10.255.255.0/24"), "\(stderr)")
    }
}
