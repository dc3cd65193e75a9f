/// PodNetwork: gives a pod's network namespace its interface and IP through Debian's CNI
/// plugins, as the real kubelet's runtime does: `bridge` (the node's bridge, the pod's veth,
/// the default route through the bridge's gateway address, hairpin on for service traffic back
/// to the same pod) with `host-local` IPAM over the node's pod CIDR, and `loopback` for lo.
///
/// Concurrency: Sendable; host-local serialises its own allocations with a lock file, so pods
/// may attach concurrently. Must never: hand out an address outside the node's pod CIDR.
import Foundation
import SkiffImages

public struct PodNetwork: Sendable {
    /// The node's pod range, e.g. "10.244.1.0/24".
    public var podCIDR: String
    public var cniBinDirectory: String
    /// host-local's allocation records.
    public var stateDirectory: String
    public var bridge: String

    public init(podCIDR: String, cniBinDirectory: String = "/usr/lib/cni", stateDirectory: String, bridge: String = "skiff0") {
        self.podCIDR = podCIDR
        self.cniBinDirectory = cniBinDirectory
        self.stateDirectory = stateDirectory
        self.bridge = bridge
    }

    /// Attaches the pod; returns its IP.
    public func attach(sandboxID: String, netns: String) async throws -> String {
        _ = try await invoke("loopback", command: "ADD", sandboxID: sandboxID, netns: netns, ifname: "lo",
                             config: ["cniVersion": "1.0.0", "name": "skiff-loopback", "type": "loopback"])
        let result = try await invoke("bridge", command: "ADD", sandboxID: sandboxID, netns: netns, ifname: "eth0",
                                      config: bridgeConfig)
        guard let ips = result["ips"] as? [[String: Any]], let address = ips.first?["address"] as? String,
              let ip = address.split(separator: "/").first else {
            throw RuntimeError("CNI bridge returned no address for sandbox \(sandboxID)")
        }
        return String(ip)
    }

    /// Releases the pod's address and removes its veth; safe to call twice.
    public func detach(sandboxID: String, netns: String) async throws {
        let present = FileManager.default.fileExists(atPath: netns)
        _ = try await invoke("bridge", command: "DEL", sandboxID: sandboxID, netns: present ? netns : "", ifname: "eth0",
                             config: bridgeConfig)
    }

    var bridgeConfig: [String: Any] {
        [
            "cniVersion": "1.0.0", "name": "skiff", "type": "bridge", "bridge": bridge, "isGateway": true,
            "ipMasq": false, "hairpinMode": true,
            "ipam": [
                "type": "host-local", "ranges": [[["subnet": podCIDR]]], "routes": [["dst": "0.0.0.0/0"]],
                "dataDir": stateDirectory,
            ] as [String: Any],
        ]
    }

    private func invoke(_ plugin: String, command: String, sandboxID: String, netns: String, ifname: String,
                        config: [String: Any]) async throws -> [String: Any] {
        let stdin = try JSONSerialization.data(withJSONObject: config)
        let environment = ["CNI_COMMAND": command, "CNI_CONTAINERID": sandboxID, "CNI_NETNS": netns,
                           "CNI_IFNAME": ifname, "CNI_PATH": cniBinDirectory]
        let result = try await HostCommand("\(cniBinDirectory)/\(plugin)", [], environment: environment,
                                           stdin: Array(stdin), timeout: .seconds(30)).run()
        guard result.status == 0 else {
            // CNI reports errors as JSON on stdout: {"code":..,"msg":..,"details":..}.
            let error = (try? JSONSerialization.jsonObject(with: Data(result.stdout))) as? [String: Any]
            let message = [error?["msg"] as? String, error?["details"] as? String].compactMap { $0 }.joined(separator: ": ")
            throw RuntimeError("CNI \(plugin) \(command) failed: \(message.isEmpty ? result.stderrText : message)")
        }
        if result.stdout.isEmpty { return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(result.stdout))) as? [String: Any] ?? [:]
    }
}
