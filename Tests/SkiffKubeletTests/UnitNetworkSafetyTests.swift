// NetworkSafety: cluster ranges overlapping the machine's own are refused before any command runs.
import Testing
@testable import SkiffKubelet

@Suite struct UnitNetworkSafetyTests {
    @Test func aClusterRangeOverlappingAReservedOneIsRefusedBeforeAnyCommandRuns() async {
        await #expect(throws: RuntimeError.self) {
            try await NetworkSafety.prepare(podCIDR: "10.0.0.0/8", clusterCIDRs: [], ip: "/nonexistent/ip")
        }
        do {
            try await NetworkSafety.prepare(podCIDR: "10.244.0.0/16", clusterCIDRs: ["192.0.0.0/16"], ip: "/nonexistent/ip")
            Issue.record("expected a refusal")
        } catch let error as RuntimeError {
            #expect(error.message == "cluster range 192.0.0.0/16 overlaps 192.0.2.0/24, which this machine uses; choose another range")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
