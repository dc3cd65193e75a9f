/// The codec: names, messages encoded and parsed back, compression, and hostile bytes.
@testable import SkiffDNS
import Testing

@Suite struct DNSNameTests {
    @Test(arguments: [
        ("web.default.svc.cluster.local", "web.default.svc.cluster.local."),
        ("web.default.svc.cluster.local.", "web.default.svc.cluster.local."),
        (".", "."),
        ("", "."),
        ("A.B", "A.B."),
    ])
    func parsesDottedText(text: String, printed: String) throws {
        #expect(try DNSName(text).description == printed)
    }

    @Test(arguments: ["a..b", ".a", String(repeating: "x", count: 64) + ".com",
                      Array(repeating: String(repeating: "y", count: 60), count: 5).joined(separator: ".")])
    func rejectsMalformedText(text: String) {
        #expect(throws: DNSNameError.self) { try DNSName(text) }
    }

    @Test func comparesWithoutCase() throws {
        let upper = try DNSName("WEB.Default.SVC.cluster.local")
        let lower = try DNSName("web.default.svc.cluster.local")
        #expect(upper == lower)
        #expect(upper.hashValue == lower.hashValue)
        #expect(upper.isSubdomain(of: try DNSName("Cluster.Local")))
        #expect(!upper.isSubdomain(of: try DNSName("ster.local")))
        #expect(upper.description == "WEB.Default.SVC.cluster.local.")
    }

    @Test func escapesUnprintableBytes() throws {
        let name = try DNSName(labels: [[UInt8(ascii: "a"), 0x0A, UInt8(ascii: ".")], Array("b".utf8)])
        #expect(name.description == "a\\010\\046.b.")
    }
}

@Suite struct DNSMessageTests {
    static let records: [ResourceRecord] = [
        ResourceRecord(name: "web.default.svc.cluster.local", ttl: 30, data: .a(IPAddress("10.96.0.20")!)),
        ResourceRecord(name: "web.default.svc.cluster.local", ttl: 30, data: .aaaa(IPAddress("fd00::20")!)),
        ResourceRecord(name: "_http._tcp.web.default.svc.cluster.local", ttl: 30,
                       data: .srv(priority: 0, weight: 100, port: 80, target: "web.default.svc.cluster.local")),
        ResourceRecord(name: "20.0.96.10.in-addr.arpa", ttl: 30, data: .ptr("web.default.svc.cluster.local")),
        ResourceRecord(name: "ext.default.svc.cluster.local", ttl: 30, data: .cname("www.example.com")),
        ResourceRecord(name: "dns-version.cluster.local", ttl: 30, data: .txt([Array("1.1.0".utf8)])),
        ResourceRecord(name: "cluster.local", ttl: 30, data: .soa(StartOfAuthority(
            primary: "ns.dns.cluster.local", mailbox: "hostmaster.cluster.local", serial: 1, refresh: 2, retry: 3,
            expire: 4, minimum: 5))),
        ResourceRecord(name: "cluster.local", ttl: 30, data: .ns("ns.dns.cluster.local")),
        ResourceRecord(name: "x.test", ttl: 1, data: .other(RecordType(rawValue: 99), [1, 2, 3])),
    ]

    @Test(arguments: records)
    func recordRoundTrips(record: ResourceRecord) throws {
        let message = DNSMessage(id: 7, flags: HeaderFlags(rawValue: HeaderFlags.response),
                                 questions: [Question(name: record.name, type: record.type)], answers: [record],
                                 additional: [.opt(udpSize: 1232)])
        let parsed = try DNSMessage(parsing: message.encoded())
        #expect(parsed == message)
        #expect(parsed.opt?.recordClass == 1232)
    }

    @Test func compressionPointsAtEarlierSuffixes() throws {
        let message = DNSMessage(questions: [Question(name: "web.default.svc.cluster.local", type: .a)],
                                 answers: Array(Self.records.prefix(4)))
        let bytes = message.encoded()
        // The answer's owner is one pointer to the question's name (offset 12).
        let answerStart = 12 + 31 + 4
        #expect(Array(bytes[answerStart..<(answerStart + 2)]) == [0xC0, 12])
        // The SRV target is written in full (RFC 2782), every other repeat compressed.
        let uncompressed = message.questions.count * 35 + 4 * 50
        #expect(bytes.count < uncompressed)
        #expect(try DNSMessage(parsing: bytes) == message)
    }

    @Test func responseCodeIncludesExtendedBits() throws {
        var message = DNSMessage(flags: HeaderFlags(rawValue: HeaderFlags.response))
        message.additional = [.opt(udpSize: 512, extendedCode: 1)]
        let parsed = try DNSMessage(parsing: message.encoded())
        #expect(parsed.responseCode == .badVersion)
    }

    static let header: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]
    static let question: [UInt8] = [3] + Array("web".utf8) + [0, 0, 1, 0, 1]

    @Test(arguments: [
        ("empty", []),
        ("half a header", [0x12, 0x34, 0x01]),
        ("question count without question", [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
        ("label past the end", [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0x61, 0x62]),
        ("question without type", [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0]),
        ("pointer to itself", header + question + [0xC0, 21, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 1, 2, 3, 4]),
        ("pointer forward", header + question + [0xC0, 40, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 1, 2, 3, 4]),
        ("label then pointer back into itself", header + question + [1, 0x61, 0xC0, 21, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 1, 2, 3, 4]),
        ("pointer cut short", header + question + [0xC0]),
        ("reserved label type", header + question + [0x40, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 1, 2, 3, 4]),
        ("record data past the end", header + question + [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 9, 1, 2, 3, 4]),
        ("record data of the wrong length", header + question + [0xC0, 12, 0, 12, 0, 1, 0, 0, 0, 30, 0, 6, 1, 0x61, 0, 9, 9, 9]),
        ("name over 255 bytes", [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
            + Array(repeating: [63] + Array(repeating: UInt8(ascii: "a"), count: 63), count: 5).flatMap { $0 } + [0, 0, 1, 0, 1]),
    ] as [(String, [UInt8])])
    func malformedMessagesAreRejected(name: String, bytes: [UInt8]) {
        #expect(throws: DNSParseError.self, "\(name)") { try DNSMessage(parsing: bytes) }
    }

    @Test func pointerChainsThatGoBackwardsParse() throws {
        // answer owner -> "www" + pointer to the question's "web": www.web.
        let bytes = Self.header + Self.question + [3, 0x77, 0x77, 0x77, 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 1, 2, 3, 4]
        let message = try DNSMessage(parsing: bytes)
        #expect(message.answers.first?.name.description == "www.web.")
        #expect(message.answers.first?.data == .a(IPAddress("1.2.3.4")!))
    }
}

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("10.96.0.0/16", ["96.10.in-addr.arpa."]),
        ("10.244.0.0/15", ["244.10.in-addr.arpa.", "245.10.in-addr.arpa."]),
        ("192.168.1.0/24", ["1.168.192.in-addr.arpa."]),
        ("fd00:10:96::/112", ["0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa."]),
    ])
    func reverseZonesCoverTheNetwork(cidr: String, zones: [String]) {
        #expect(IPNetwork(cidr)?.reverseZones?.map(\.description) == zones)
    }

    @Test func reverseNames() {
        #expect(IPAddress("10.96.0.20")!.reverseName.description == "20.0.96.10.in-addr.arpa.")
        #expect(IPAddress("10.244.1.5")!.dashedLabel == "10-244-1-5")
        #expect(IPAddress("fd00::1")!.dashedLabel == "fd00--1")
        #expect(IPAddress("10.1.2") == nil)
        #expect(IPNetwork("10.96.0.0/33") == nil)
        #expect(IPNetwork("10.96.0.0/16")!.contains(IPAddress("10.96.200.1")!))
        #expect(!IPNetwork("10.96.0.0/16")!.contains(IPAddress("10.97.0.1")!))
    }
}
