/// QueryAnswerer over a compiled table: every kind of answer, negative answers, EDNS,
/// truncation, case, and malformed queries.
@testable import SkiffDNS
import SkiffWire
import Testing

@Suite struct QueryAnswererTests {
    let table = Fixture.table()

    @Test(arguments: [
        ("web.default.svc.cluster.local", RecordType.a, ["web.default.svc.cluster.local. 30 IN A 10.96.0.20"]),
        ("db.default.svc.cluster.local", .a, ["db.default.svc.cluster.local. 30 IN A 10.244.1.5",
                                              "db.default.svc.cluster.local. 30 IN A 10.244.1.6"]),
        ("db-0.db.default.svc.cluster.local", .a, ["db-0.db.default.svc.cluster.local. 30 IN A 10.244.1.5"]),
        ("_http._tcp.web.default.svc.cluster.local", .srv,
         ["_http._tcp.web.default.svc.cluster.local. 30 IN SRV 0 100 80 web.default.svc.cluster.local."]),
        ("20.0.96.10.in-addr.arpa", .ptr, ["20.0.96.10.in-addr.arpa. 30 IN PTR web.default.svc.cluster.local."]),
        ("5.1.244.10.in-addr.arpa", .ptr, ["5.1.244.10.in-addr.arpa. 30 IN PTR db-0.db.default.svc.cluster.local."]),
        ("ext.default.svc.cluster.local", .a, ["ext.default.svc.cluster.local. 30 IN CNAME www.example.com."]),
        ("ext.default.svc.cluster.local", .cname, ["ext.default.svc.cluster.local. 30 IN CNAME www.example.com."]),
        ("10-244-3-9.default.pod.cluster.local", .a, ["10-244-3-9.default.pod.cluster.local. 30 IN A 10.244.3.9"]),
        ("dns-version.cluster.local", .txt, ["dns-version.cluster.local. 30 IN TXT \"1.1.0\""]),
    ] as [(String, RecordType, [String])])
    func answersFromTheZone(name: String, type: RecordType, expected: [String]) throws {
        let response = try Fixture.ask(table, name, type)
        #expect(response.responseCode == .noError)
        #expect(response.flags.isAuthoritative)
        #expect(response.id == 0x1234)
        #expect(response.questions == [Question(name: try DNSName(name), type: type)])
        #expect(response.answers.map(\.description) == expected)
    }

    @Test func anyReturnsEveryRecordOfTheName() throws {
        let single = try Fixture.ask(table, "web.default.svc.cluster.local", .any)
        #expect(single.questions.first?.type == .any)
        #expect(single.answers.map(\.type) == [.a])
        let apex = try Fixture.ask(table, "cluster.local", .any)
        #expect(apex.questions.first?.type == .any)
        #expect(Set(apex.answers.map(\.type)) == [.soa, .ns])
    }

    @Test func srvCarriesTargetAddressesInAdditional() throws {
        let response = try Fixture.ask(table, "_pg._tcp.db.default.svc.cluster.local", .srv)
        #expect(response.answers.count == 2)
        #expect(response.additional.map(\.description) == [
            "db-0.db.default.svc.cluster.local. 30 IN A 10.244.1.5",
            "10-244-1-6.db.default.svc.cluster.local. 30 IN A 10.244.1.6",
        ])
    }

    @Test(arguments: [
        ("web.default.svc.cluster.local", RecordType.aaaa),   // resolvers ask for both
        ("web.default.svc.cluster.local", .mx),
        ("default.svc.cluster.local", .a),                     // an empty non-terminal
        ("svc.cluster.local", .a),
        ("10-244-3-9.default.pod.cluster.local", .aaaa),
    ])
    func existingNameWithoutTheTypeIsNODATA(name: String, type: RecordType) throws {
        let response = try Fixture.ask(table, name, type)
        #expect(response.responseCode == .noError)
        #expect(response.answers.isEmpty)
        #expect(response.authority.map(\.type) == [.soa])
        #expect(response.authority.first?.name == "cluster.local")
        #expect(response.questions.first?.type == type)
    }

    @Test(arguments: [
        ("missing.default.svc.cluster.local", "cluster.local"),
        ("web.other.svc.cluster.local", "cluster.local"),
        ("db-2.db.default.svc.cluster.local", "cluster.local"),   // not ready
        ("1.2.96.10.in-addr.arpa", "96.10.in-addr.arpa"),
        ("300-1-1-1.default.pod.cluster.local", "cluster.local"),
    ])
    func unknownNameInTheZoneIsNXDOMAINWithSOA(name: String, zone: String) throws {
        let response = try Fixture.ask(table, name, .a)
        #expect(response.responseCode == .nameError)
        #expect(response.flags.isAuthoritative)
        #expect(response.answers.isEmpty)
        #expect(response.authority.count == 1)
        #expect(response.authority.first?.name == (try DNSName(zone)))
        guard case .soa(let soa) = response.authority.first?.data else {
            Issue.record("no SOA")
            return
        }
        #expect(soa.primary == "ns.dns.cluster.local")
        #expect(soa.serial == 7)
        #expect(response.authority.first?.ttl == 30)
    }

    @Test func outsideTheZonesIsREFUSEDOrForwarded() throws {
        let query = Fixture.query("www.example.com", .a)
        let refused = try Fixture.ask(table, query)
        #expect(refused.responseCode == .refused)
        #expect(!refused.flags.isAuthoritative)
        #expect(!refused.flags.recursionAvailable)
        #expect(QueryAnswerer.answer(query, table: table, options: AnswerOptions(forwarding: true)).outcome == .forward)
        // In-zone names are still answered here when forwarding, with RA set.
        let local = try Fixture.ask(table, Fixture.query("web.default.svc.cluster.local", .a),
                                    options: AnswerOptions(forwarding: true))
        #expect(local.flags.recursionAvailable)
        #expect(local.answers.count == 1)
    }

    @Test func namesMatchWithoutCaseAndEchoTheQuestionAsAsked() throws {
        let response = try Fixture.ask(table, "WeB.DEFAULT.svc.Cluster.Local", .a)
        #expect(response.answers.first?.data == .a(IPAddress("10.96.0.20")!))
        #expect(response.questions.first?.name.description == "WeB.DEFAULT.svc.Cluster.Local.")
        let missing = try Fixture.ask(table, "NOPE.default.svc.CLUSTER.local", .a)
        #expect(missing.responseCode == .nameError)
    }

    @Test func recursionDesiredAndIDAreCopied() throws {
        var message = DNSMessage.query(id: 0xBEEF, name: "web.default.svc.cluster.local", type: .a)
        message.flags.recursionDesired = false
        let response = try Fixture.ask(table, message.encoded())
        #expect(response.id == 0xBEEF)
        #expect(!response.flags.recursionDesired)
        #expect(response.flags.isResponse)
    }

    @Test func ednsIsEchoedWithOurSize() throws {
        let response = try Fixture.ask(table, "web.default.svc.cluster.local", .a, edns: 4096)
        #expect(response.opt?.recordClass == 1232)
        let plain = try Fixture.ask(table, "web.default.svc.cluster.local", .a)
        #expect(plain.opt == nil)
        let negative = try Fixture.ask(table, "nope.default.svc.cluster.local", .a, edns: 4096)
        #expect(negative.opt != nil)
        #expect(negative.authority.count == 1)
    }

    @Test func unknownEDNSVersionIsBADVERS() throws {
        var message = DNSMessage.query(id: 1, name: "web.default.svc.cluster.local", type: .a)
        var opt = ResourceRecord.opt(udpSize: 1232)
        opt.ttl |= 1 << 16
        message.additional = [opt]
        let response = try Fixture.ask(table, message.encoded())
        #expect(response.responseCode == .badVersion)
        #expect(response.answers.isEmpty)
    }

    /// A headless service with 60 ready endpoints: 60 A records, ~1 KB.
    static let crowd = Fixture.table(
        services: [Fixture.service("crowd", clusterIP: "None")],
        endpoints: [Fixture.endpoints("crowd", ready: (1...60).map { ("10.244.2.\($0)", nil) })])

    @Test(arguments: [
        (Transport.udp, nil, true, 512),
        (.udp, 4096, false, 4096),
        (.udp, 600, true, 600),
        (.udp, 100, true, 512),      // below 512 counts as 512
        (.tcp, nil, false, 65_535),
    ] as [(Transport, UInt16?, Bool, Int)])
    func truncatesToTheUDPSize(transport: Transport, edns: UInt16?, truncated: Bool, limit: Int) throws {
        let query = Fixture.query("crowd.default.svc.cluster.local", .a, edns: edns)
        let (_, bytes) = QueryAnswerer.answer(query, table: Self.crowd, transport: transport)
        let response = try DNSMessage(parsing: bytes)
        #expect(bytes.count <= limit)
        #expect(response.flags.isTruncated == truncated)
        if truncated {
            // Whole records only, as many as fit.
            #expect(response.answers.count < 60)
            #expect(bytes.count + 16 > limit)
        } else {
            #expect(response.answers.count == 60)
        }
        #expect((response.opt != nil) == (edns != nil))
    }

    @Test(arguments: [
        ("two questions", [0x12, 0x34, 0x01, 0x00, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1]),
        ("no question", [0x12, 0x34, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]),
        ("name past the end", [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 9, 0x61]),
        ("pointer in the question", [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1]),
        ("type cut short", [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0, 0]),
        ("additional cut short", [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0x61, 0, 0, 1, 0, 1, 0, 0, 41]),
        ("answers in a query", [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0x61, 0, 0, 1, 0, 1]),
    ] as [(String, [UInt8])])
    func malformedQueriesGetFORMERR(name: String, query: [UInt8]) throws {
        let (outcome, bytes) = QueryAnswerer.answer(query, table: table)
        guard case .respond = outcome else {
            Issue.record("\(name): \(outcome)")
            return
        }
        let response = try DNSMessage(parsing: bytes)
        #expect(response.responseCode == .formatError, "\(name)")
        #expect(response.id == 0x1234)
    }

    @Test(arguments: [
        ("too short for a header", [0x12, 0x34, 0x01]),
        ("a response", [0x12, 0x34, 0x81, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0, 0, 1, 0, 1]),
    ] as [(String, [UInt8])])
    func nonQueriesAreDropped(name: String, query: [UInt8]) {
        #expect(QueryAnswerer.answer(query, table: table).outcome == .drop, "\(name)")
    }

    @Test func otherOpcodesAndZoneTransfersAreNOTIMP() throws {
        var notify = DNSMessage.query(id: 3, name: "cluster.local", type: .soa)
        notify.flags.opcode = 4
        #expect(try Fixture.ask(table, notify.encoded()).responseCode == .notImplemented)
        #expect(try Fixture.ask(table, "cluster.local", .axfr, transport: .tcp).responseCode == .notImplemented)
    }

    @Test func otherClassesAreREFUSED() throws {
        let message = DNSMessage(id: 5, questions: [Question(name: "version.bind", type: .txt, recordClass: 3)])
        #expect(try Fixture.ask(table, message.encoded()).responseCode == .refused)
    }

    @Test func randomBytesNeverCrash() {
        var generator = SystemRandomNumberGenerator()
        let seeds = [Fixture.query("web.default.svc.cluster.local", .a, edns: 1232), Fixture.query("x.cluster.local", .srv)]
        for round in 0..<20_000 {
            var bytes = seeds[round % 2]
            for _ in 0..<(1 + round % 6) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] = UInt8.random(in: 0...255, using: &generator)
            }
            if round % 7 == 0 { bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator))) }
            let (outcome, response) = QueryAnswerer.answer(bytes, table: table, options: AnswerOptions(forwarding: round % 3 == 0))
            if case .respond(let length) = outcome {
                #expect(length == response.count)
                #expect((try? DNSMessage(parsing: response)) != nil)
            }
        }
    }

    @Test func externalNameOutsideTheZonesIsChasedWhenForwarding() throws {
        let query = Fixture.query("ext.default.svc.cluster.local", .a)
        let (outcome, bytes) = QueryAnswerer.answer(query, table: table, options: AnswerOptions(forwarding: true))
        guard case .chase = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(try DNSMessage(parsing: bytes).answers.map(\.type) == [.cname])
        // Asking for the CNAME itself needs nothing from upstream.
        let own = QueryAnswerer.answer(Fixture.query("ext.default.svc.cluster.local", .cname), table: table,
                                       options: AnswerOptions(forwarding: true))
        #expect(own.outcome == .respond(own.bytes.count))
    }

    @Test func externalNameIntoTheZoneCarriesTheTargetsAddresses() throws {
        let table = Fixture.table(services: Fixture.services + [
            Fixture.service("alias", type: "ExternalName", externalName: "web.default.svc.cluster.local"),
        ])
        let response = try Fixture.ask(table, "alias.default.svc.cluster.local", .a)
        #expect(response.answers.map(\.description) == [
            "alias.default.svc.cluster.local. 30 IN CNAME web.default.svc.cluster.local.",
            "web.default.svc.cluster.local. 30 IN A 10.96.0.20",
        ])
        #expect(try Fixture.ask(table, "alias.default.svc.cluster.local", .txt).answers.map(\.type) == [.cname])
    }

    @Test func chasedAnswerMergesUpstreamRecords() throws {
        let query = Fixture.query("ext.default.svc.cluster.local", .a, id: 42, edns: 1232)
        let (_, local) = QueryAnswerer.answer(query, table: table, options: AnswerOptions(forwarding: true))
        let target = try #require(CNAMEChase.targetQuery(clientQuery: query, answered: local))
        let sent = try DNSMessage(parsing: target)
        #expect(sent.id == 42)
        #expect(sent.questions == [Question(name: "www.example.com", type: .a)])
        var upstream = sent
        upstream.flags.isResponse = true
        upstream.answers = [ResourceRecord(name: "www.example.com", ttl: 60, data: .a(IPAddress("192.0.2.9")!))]
        let merged = try DNSMessage(parsing: CNAMEChase.merge(clientQuery: query, answered: local, upstream: upstream.encoded(),
                                                              transport: .udp, options: AnswerOptions(forwarding: true)))
        #expect(merged.id == 42)
        #expect(merged.questions == [Question(name: "ext.default.svc.cluster.local", type: .a)])
        #expect(merged.answers.map(\.description) == ["ext.default.svc.cluster.local. 30 IN CNAME www.example.com.",
                                                      "www.example.com. 60 IN A 192.0.2.9"])
        #expect(!merged.flags.isAuthoritative)
        // Upstream says the target does not exist: NXDOMAIN, the CNAME kept.
        upstream.answers = []
        upstream.flags.responseCode = .nameError
        let missing = try DNSMessage(parsing: CNAMEChase.merge(clientQuery: query, answered: local, upstream: upstream.encoded(),
                                                               transport: .udp, options: AnswerOptions(forwarding: true)))
        #expect(missing.responseCode == .nameError)
        #expect(missing.answers.map(\.type) == [.cname])
    }

    @Test func emptyTableRefusesEverything() throws {
        #expect(try Fixture.ask(.empty, "web.default.svc.cluster.local", .a).responseCode == .refused)
    }
}

extension RecordType {
    static let mx = RecordType(rawValue: 15)
}
