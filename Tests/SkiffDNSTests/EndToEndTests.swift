/// skiff-dns end to end: a real store and apiserver, skiff-dns as a child process on 127.0.0.1
/// (a free port the kernel picks), Services and Endpoints written through the API, and answers
/// checked with dig, as an operator would.
import Foundation
@testable import SkiffDNS
import SkiffClient
import SkiffTestSupport
import SkiffWire
import Testing

let digPath = "/usr/bin/dig"
let digAvailable = FileManager.default.isExecutableFile(atPath: digPath)

@Suite(.serialized, .enabled(if: digAvailable, "needs dig (scripts/install-deps installs bind9-dnsutils)"))
struct EndToEndTests {
    @Test func servesServicesAndFollowsChanges() async throws {
        let plane = try ControlPlane()
        var dns: ChildProcess?
        do {
            try await plane.start()
            let client = try #require(plane.client)
            _ = try await client.create(Fixture.service("web", clusterIP: "10.96.0.20",
                                                        ports: [ServicePort(name: "http", protocol: "TCP", port: 80)]))
            _ = try await client.create(Fixture.service("db", clusterIP: "None", ports: [ServicePort(name: "pg", port: 5432)]))
            _ = try await client.create(Fixture.endpoints("db", ready: [("10.244.1.5", "db-0"), ("10.244.1.6", nil)],
                                                          ports: [EndpointPort(name: "pg", port: 5432, protocol: "TCP")]))
            _ = try await client.create(Fixture.service("crowd", clusterIP: "None"))
            _ = try await client.create(Fixture.endpoints("crowd", ready: (1...60).map { ("10.244.2.\($0)", nil) }))

            let (process, port) = try await startDNS(plane, [])
            dns = process
            let dig = Dig(port: port)

            let web = try await dig.ask("web.default.svc.cluster.local")
            #expect(web.status == "NOERROR")
            #expect(web.flags.contains("aa"))
            #expect(web.answers == ["web.default.svc.cluster.local. 30 IN A 10.96.0.20"])
            #expect(try await dig.ask("WEB.Default.SVC.cluster.local").answers.count == 1)

            let srv = try await dig.ask("_http._tcp.web.default.svc.cluster.local", "SRV")
            #expect(srv.answers == ["_http._tcp.web.default.svc.cluster.local. 30 IN SRV 0 100 80 web.default.svc.cluster.local."])
            #expect(srv.additional.contains("web.default.svc.cluster.local. 30 IN A 10.96.0.20"))

            let headless = try await dig.ask("db.default.svc.cluster.local")
            #expect(headless.answers.sorted() == ["db.default.svc.cluster.local. 30 IN A 10.244.1.5",
                                                  "db.default.svc.cluster.local. 30 IN A 10.244.1.6"])
            #expect(try await dig.ask("db-0.db.default.svc.cluster.local").answers == ["db-0.db.default.svc.cluster.local. 30 IN A 10.244.1.5"])
            let podSRV = try await dig.ask("_pg._tcp.db.default.svc.cluster.local", "SRV")
            #expect(podSRV.answers.count == 2)
            #expect(podSRV.answers.contains("_pg._tcp.db.default.svc.cluster.local. 30 IN SRV 0 50 5432 db-0.db.default.svc.cluster.local."))

            #expect(try await dig.ask("-x", "10.96.0.20").answers == ["20.0.96.10.in-addr.arpa. 30 IN PTR web.default.svc.cluster.local."])
            #expect(try await dig.ask("-x", "10.244.1.5").answers == ["5.1.244.10.in-addr.arpa. 30 IN PTR db-0.db.default.svc.cluster.local."])

            let aaaa = try await dig.ask("web.default.svc.cluster.local", "AAAA")
            #expect(aaaa.status == "NOERROR")
            #expect(aaaa.answers.isEmpty)
            #expect(aaaa.authority.first?.contains("IN SOA ns.dns.cluster.local. hostmaster.cluster.local.") == true)

            let missing = try await dig.ask("missing.default.svc.cluster.local")
            #expect(missing.status == "NXDOMAIN")
            #expect(missing.authority.first?.hasPrefix("cluster.local. 30 IN SOA ns.dns.cluster.local.") == true)

            let outside = try await dig.ask("www.example.com")
            #expect(outside.status == "REFUSED")

            let tcp = try await dig.ask("web.default.svc.cluster.local", "+tcp")
            #expect(tcp.answers == ["web.default.svc.cluster.local. 30 IN A 10.96.0.20"])

            // 60 addresses: too many for 512 bytes over UDP (TC, kept as dig got it), all over TCP.
            let udpCrowd = try await dig.ask("crowd.default.svc.cluster.local", "+ignore", "+noedns")
            #expect(udpCrowd.flags.contains("tc"))
            #expect(udpCrowd.answers.count < 60)
            let tcpCrowd = try await dig.ask("crowd.default.svc.cluster.local", "+tcp")
            #expect(!tcpCrowd.flags.contains("tc"))
            #expect(tcpCrowd.answers.count == 60)
            // Without +ignore, dig retries a truncated UDP answer over TCP, as resolvers do.
            #expect(try await dig.ask("crowd.default.svc.cluster.local", "+noedns").answers.count == 60)

            // A service created later appears; one deleted disappears.
            _ = try await client.create(Fixture.service("late", clusterIP: "10.96.0.21", ports: [ServicePort(port: 80)]))
            #expect(await dig.eventually("late.default.svc.cluster.local") { $0.answers == ["late.default.svc.cluster.local. 30 IN A 10.96.0.21"] })
            _ = try await client.delete(Service.self, name: "web", namespace: "default")
            #expect(await dig.eventually("web.default.svc.cluster.local") { $0.status == "NXDOMAIN" })
            #expect(await dig.eventually("-x", "10.96.0.20") { $0.status == "NXDOMAIN" })
            // A headless service's endpoints changing are followed too.
            var endpoints = try await client.get(Endpoints.self, name: "db", namespace: "default")
            endpoints.subsets[0].addresses.removeAll { $0.ip == "10.244.1.6" }
            _ = try await client.update(endpoints)
            #expect(await dig.eventually("db.default.svc.cluster.local") { $0.answers == ["db.default.svc.cluster.local. 30 IN A 10.244.1.5"] })
            #expect(process.isRunning)
        } catch {
            Issue.record("\(error)\n\(dns?.stderr ?? "")")
        }
        await dns?.stop()
        await plane.stop()
    }

    @Test func registersAsKubeDNSAndForwards() async throws {
        let plane = try ControlPlane()
        var dns: ChildProcess?
        // The upstream: a loopback server answering one name, as a test double for --forward.
        var upstreamZone = ZoneSnapshot(zones: [ZoneSnapshot.Zone(apex: "example.test", soa: ResourceRecord(
            name: "example.test", ttl: 60, data: .soa(StartOfAuthority(primary: "ns.example.test", mailbox: "h.example.test",
                                                                       serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60))))],
                                        podZone: nil, ttl: 60)
        upstreamZone.add(ResourceRecord(name: "outside.example.test", ttl: 60, data: .a(IPAddress("192.0.2.77")!)))
        let upstream = try UDPServer(address: SocketAddress("127.0.0.1:0")!, threads: 1,
                                     answers: PublishedAnswers(AnswerTable(upstreamZone)), options: AnswerOptions(), forwarder: nil)
        let upstreamTCP = try TCPServer(address: upstream.address, answers: PublishedAnswers(AnswerTable(upstreamZone)),
                                        options: AnswerOptions(), forwarder: nil)
        upstream.start()
        upstreamTCP.start()
        do {
            try await plane.start()
            let client = try #require(plane.client)
            let (process, port) = try await startDNS(plane, ["--service-ip", "10.96.0.10", "--advertise-address", "10.250.0.2",
                                                             "--forward", "\(upstream.address)"])
            dns = process
            let dig = Dig(port: port)

            // The Service, selector-less, at the requested clusterIP; our address in its Endpoints.
            let registered = await eventually(timeout: .seconds(30)) {
                guard let endpoints = try? await client.get(Endpoints.self, name: "kube-dns", namespace: "kube-system") else { return false }
                return endpoints.subsets.contains { subset in
                    subset.addresses.contains { $0.ip == "10.250.0.2" } && subset.ports.allSatisfy { $0.port == Int32(port) }
                }
            }
            #expect(registered)
            let service = try await client.get(Service.self, name: "kube-dns", namespace: "kube-system")
            #expect(service.spec?.clusterIP == "10.96.0.10")
            #expect(service.spec?.selector.isEmpty == true)
            #expect(service.metadata?.labels["k8s-app"] == "kube-dns")
            #expect(Set(service.spec?.ports.map { "\($0.name ?? "")/\($0.port ?? 0)/\($0.protocol ?? "")" } ?? [])
                    == ["dns/53/UDP", "dns-tcp/53/TCP"])
            #expect(await dig.eventually("kube-dns.kube-system.svc.cluster.local") {
                $0.answers == ["kube-dns.kube-system.svc.cluster.local. 30 IN A 10.96.0.10"]
            })

            // Deleting the Endpoints: the instance puts itself back.
            _ = try await client.delete(Endpoints.self, name: "kube-dns", namespace: "kube-system")
            let back = await eventually(timeout: .seconds(30)) {
                let endpoints = try? await client.get(Endpoints.self, name: "kube-dns", namespace: "kube-system")
                return endpoints?.subsets.contains { $0.addresses.contains { $0.ip == "10.250.0.2" } } == true
            }
            #expect(back)

            // Names outside the cluster's zones go to the upstream, over UDP and TCP.
            let forwarded = try await dig.ask("outside.example.test")
            #expect(forwarded.status == "NOERROR")
            #expect(forwarded.flags.contains("aa"))  // the upstream's own flags, relayed
            #expect(forwarded.answers == ["outside.example.test. 60 IN A 192.0.2.77"])
            #expect(try await dig.ask("outside.example.test", "+tcp").answers == ["outside.example.test. 60 IN A 192.0.2.77"])
            #expect(try await dig.ask("nothing.example.test").status == "NXDOMAIN")
            // An ExternalName service naming an outside host: the CNAME, then the host's address.
            _ = try await client.create(Fixture.service("ext", type: "ExternalName", externalName: "outside.example.test"))
            #expect(await dig.eventually("ext.default.svc.cluster.local") {
                $0.answers == ["ext.default.svc.cluster.local. 30 IN CNAME outside.example.test.",
                               "outside.example.test. 60 IN A 192.0.2.77"]
            })
            #expect(try await dig.ask("ext.default.svc.cluster.local", "+tcp").answers.count == 2)
            // Cluster names are still answered here.
            #expect(try await dig.ask("missing.default.svc.cluster.local").status == "NXDOMAIN")

            // A graceful stop takes the address out again.
            await process.stop()
            let endpoints = try await client.get(Endpoints.self, name: "kube-dns", namespace: "kube-system")
            #expect(!endpoints.subsets.contains { $0.addresses.contains { $0.ip == "10.250.0.2" } })
        } catch {
            Issue.record("\(error)\n\(dns?.stderr ?? "")")
        }
        await dns?.stop()
        await plane.stop()
        upstream.stop()
        upstreamTCP.stop()
    }

    @Test func badFlagsAreRejectedBeforeAnythingStarts() async throws {
        for arguments in [["--listen", "localhost:53"], ["--service-cidr", "10.96.0.0/40"], ["--service-ip", "10.96.0.10"],
                          ["--service-ip", "10.96.0.10", "--advertise-address", "127.0.0.1"], ["--cluster-domain", "a..b"]] {
            let process = try ChildProcess("skiff-dns", ["--run-dir", "/nonexistent"] + arguments)
            let status = await process.exitStatus(within: .seconds(30))
            #expect(status != nil && status != 0, "\(arguments)")
            #expect(process.stderr.contains("Error"), "\(arguments): \(process.stderr)")
            await process.stop()
        }
    }

    /// Starts skiff-dns on a free loopback port; returns once it serves, with that port.
    func startDNS(_ plane: ControlPlane, _ arguments: [String]) async throws -> (ChildProcess, UInt16) {
        let process = try ChildProcess("skiff-dns", ["--run-dir", plane.runDirectory, "--listen", "127.0.0.1:0"] + arguments)
        var port: UInt16?
        _ = await eventually(timeout: .seconds(60), interval: .milliseconds(50)) {
            guard process.isRunning else { return true }
            guard let line = process.stderr.split(separator: "\n").first(where: { $0.hasPrefix("skiff-dns listening on 127.0.0.1:") })
            else { return false }
            port = UInt16(line.split(separator: ":").last ?? "")
            return true
        }
        guard let port else {
            await process.stop()
            throw HarnessError("skiff-dns did not start: \(process.stderr)")
        }
        return (process, port)
    }
}

/// dig against one server, its output split into sections.
struct Dig {
    let port: UInt16

    struct Answer {
        var status = ""
        var flags: [String] = []
        var answers: [String] = []
        var authority: [String] = []
        var additional: [String] = []
    }

    func ask(_ arguments: String...) async throws -> Answer {
        try await ask(arguments)
    }

    func ask(_ arguments: [String]) async throws -> Answer {
        let result = try Program.run(digPath, ["@127.0.0.1", "-p", String(port), "+tries=1", "+time=3", "+norecurse"] + arguments)
        return Self.parse(result.stdout)
    }

    /// Asks until `condition` holds on the answer (or 30 s pass).
    func eventually(_ arguments: String..., condition: @escaping (Answer) -> Bool) async -> Bool {
        await SkiffTestSupport.eventually(timeout: .seconds(30), interval: .milliseconds(100)) {
            guard let answer = try? await ask(arguments) else { return false }
            return condition(answer)
        }
    }

    static func parse(_ output: String) -> Answer {
        var answer = Answer()
        var section: WritableKeyPath<Answer, [String]>?
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.contains("status: "), let status = line.split(separator: "status: ").last?.split(separator: ",").first {
                answer.status = String(status)
            }
            if line.hasPrefix(";; flags: "), let flags = line.dropFirst(10).split(separator: ";").first {
                answer.flags = flags.split(separator: " ").map(String.init)
            }
            if line.hasPrefix(";; ANSWER SECTION") { section = \.answers; continue }
            if line.hasPrefix(";; AUTHORITY SECTION") { section = \.authority; continue }
            if line.hasPrefix(";; ADDITIONAL SECTION") { section = \.additional; continue }
            if line.isEmpty || line.hasPrefix(";") { if line.isEmpty { section = nil }; continue }
            if let section {
                // Collapse dig's tabs and padding: "name. 30 IN A 1.2.3.4".
                answer[keyPath: section].append(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " "))
            }
        }
        return answer
    }
}
