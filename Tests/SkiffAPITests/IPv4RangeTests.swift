// IPv4Address and IPv4Range: parsing, offsets, and the overlap check that keeps cluster
// ranges off the machine's own.
import Testing
import SkiffAPI

@Suite struct IPv4RangeTests {
    @Test(arguments: [
        ("10.244.0.0/16", 0x0AF4_0000, 16),
        ("10.244.3.7/16", 0x0AF4_0000, 16),  // host bits are masked off
        ("192.168.1.1/32", 0xC0A8_0101, 32),
        ("0.0.0.0/0", 0, 0),
        ("255.255.255.255/8", 0xFF00_0000, 8),
    ] as [(String, UInt32, Int)])
    func parsesCIDRs(text: String, base: UInt32, prefix: Int) throws {
        let range = try #require(IPv4Range(text))
        #expect(range.base == base)
        #expect(range.prefix == prefix)
    }

    @Test(arguments: ["10.0.0.0", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0/8", "10.0.0.0.0/8", "256.0.0.0/8", "10.0.0.0/8/8",
                      "a.b.c.d/8", "/8", "", "10..0.0/8", "10.0.0.0/x", "fd00::/64"])
    func refusesMalformedCIDRs(text: String) {
        #expect(IPv4Range(text) == nil)
    }

    @Test(arguments: [
        ("10.244.0.0/16", "10.244.1.0/24", true),
        ("10.244.1.0/24", "10.244.0.0/16", true),
        ("10.244.0.0/16", "10.245.0.0/16", false),
        ("10.0.0.0/8", "10.255.255.0/24", true),
        ("10.96.0.0/12", "10.255.255.0/24", false),
        ("192.0.2.0/24", "192.0.2.128/25", true),
        ("192.0.2.0/25", "192.0.2.128/25", false),
        ("0.0.0.0/0", "203.0.113.9/32", true),
        ("10.1.1.1/32", "10.1.1.1/32", true),
        ("10.1.1.1/32", "10.1.1.2/32", false),
    ])
    func overlapIsSymmetricContainment(a: String, b: String, overlaps: Bool) throws {
        let first = try #require(IPv4Range(a)), second = try #require(IPv4Range(b))
        #expect(first.overlaps(second) == overlaps)
        #expect(second.overlaps(first) == overlaps)
    }

    @Test(arguments: ["10.244.0.0/16", "10.96.0.0/12", "172.16.0.0/12"])
    func theDefaultClusterRangesAvoidTheMachinesOwn(range: String) throws {
        let cluster = try #require(IPv4Range(range))
        #expect(cluster.overlappedMachineRange == nil)
    }

    @Test(arguments: ["10.96.0.10", "0.0.0.0", "255.255.255.255"])
    func addressesRoundTrip(text: String) throws {
        #expect(try #require(IPv4Address(text)).description == text)
    }

    @Test(arguments: ["10.96.0", "10.96.0.256", "10.096.0.1", "10.96.0.1 ", "+1.2.3.4", "1.2.3.4.5", ""])
    func refusesMalformedAddresses(text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test func offsetsAndAddressesAreInverse() throws {
        let range = try #require(IPv4Range("10.96.0.0/16"))
        #expect(range.size == 65536)
        #expect(range.address(at: 10).description == "10.96.0.10")
        #expect(range.offset(of: IPv4Address("10.96.1.2")!) == 258)
        #expect(range.offset(of: IPv4Address("10.97.0.0")!) == nil)
    }
}
