// OCIConfigBuilder: config.json for runc from a container's configuration.
import Foundation
import Testing
@testable import SkiffKubelet

private let sandboxNamespaces = SandboxNamespaces(network: "/run/skiff/netns/s1", ipc: "/proc/42/ns/ipc", uts: "/proc/42/ns/uts")

private func build(_ config: ContainerConfig, namespaces: SandboxNamespaces = sandboxNamespaces) -> OCIConfig {
    OCIConfigBuilder.build(config, rootfs: "/var/lib/skiff/c1/rootfs", namespaces: namespaces,
                           cgroupsPath: "/skiff/pod-uid-1/c1", annotations: ["io.skiff.container": "a"])
}

private func config(memory: Int64? = nil, cpuLimit: Int64? = nil, cpuRequest: Int64? = nil, pids: Int64? = nil,
                    mounts: [ContainerConfig.Mount] = [], privileged: Bool = false) -> ContainerConfig {
    ContainerConfig(name: "a", argv: ["/bin/sh", "-c", "sleep 1"], environment: ["A=1"], workingDirectory: "/work", mounts: mounts,
                    memoryLimitBytes: memory, cpuLimitMillis: cpuLimit, cpuRequestMillis: cpuRequest, pidsLimit: pids,
                    logPath: "/logs/a.log", privileged: privileged)
}

@Suite struct UnitOCIConfigTests {
    @Test func theProcessIsTheContainersCommandLine() {
        let oci = build(config())
        #expect(oci.process.args == ["/bin/sh", "-c", "sleep 1"])
        #expect(oci.process.env == ["A=1"])
        #expect(oci.process.cwd == "/work")
        #expect(oci.root == OCIConfig.Root(path: "/var/lib/skiff/c1/rootfs"))
        #expect(oci.linux.cgroupsPath == "/skiff/pod-uid-1/c1")
        #expect(oci.annotations == ["io.skiff.container": "a"])
        #expect(oci.process.capabilities.bounding == OCIConfigBuilder.defaultCapabilities)
        #expect(!oci.process.capabilities.effective.contains("CAP_SYS_ADMIN"))
        #expect(oci.linux.maskedPaths.contains("/proc/kcore"))
    }

    /// Kubernetes' MilliCPUToShares and MilliCPUToQuota with the 100 ms period.
    @Test(arguments: [
        (nil, 500, OCIConfig.CPU(shares: 512, quota: nil, period: nil)),
        (500, nil, OCIConfig.CPU(shares: nil, quota: 50_000, period: 100_000)),
        (2000, 1000, OCIConfig.CPU(shares: 1024, quota: 200_000, period: 100_000)),
        (250, 250, OCIConfig.CPU(shares: 256, quota: 25_000, period: 100_000)),
        (5, 1, OCIConfig.CPU(shares: 2, quota: 1000, period: 100_000)),  // floors: 2 shares, 1 ms quota
        (nil, 0, OCIConfig.CPU(shares: 2, quota: nil, period: nil)),
        // Huge or negative quantities are clamped rather than overflowing.
        (Int64.max, Int64.max, OCIConfig.CPU(shares: 262_144, quota: (1 << 40) * 100, period: 100_000)),
        (-1, -1, OCIConfig.CPU(shares: 2, quota: 1000, period: 100_000)),
    ] as [(Int64?, Int64?, OCIConfig.CPU)])
    func cpuLimitsBecomeQuotaAndRequestsShares(limit: Int64?, request: Int64?, expected: OCIConfig.CPU) {
        #expect(build(config(cpuLimit: limit, cpuRequest: request)).linux.resources.cpu == expected)
    }

    @Test func noResourcesSetNoLimits() {
        let resources = build(config()).linux.resources
        #expect(resources.cpu == nil)
        #expect(resources.memory == nil)
        #expect(resources.pids == nil)
        #expect(resources.devices == [OCIConfig.DeviceRule(allow: false, access: "rwm")])
    }

    @Test func memoryAndPidsLimits() {
        let resources = build(config(memory: 64 << 20, pids: 1024)).linux.resources
        #expect(resources.memory == OCIConfig.Memory(limit: 67_108_864))
        #expect(resources.pids == OCIConfig.Pids(limit: 1024))
        #expect(build(config(memory: 0, pids: 0)).linux.resources.memory == nil)
    }

    @Test func theSandboxNamespacesAreJoinedByPath() {
        #expect(build(config()).linux.namespaces == [
            OCIConfig.Namespace(type: "pid"), OCIConfig.Namespace(type: "mount"),
            OCIConfig.Namespace(type: "ipc", path: "/proc/42/ns/ipc"),
            OCIConfig.Namespace(type: "network", path: "/run/skiff/netns/s1"),
            OCIConfig.Namespace(type: "uts", path: "/proc/42/ns/uts"),
        ])
    }

    @Test func hostNetworkLeavesOutTheNetworkAndUTSNamespaces() {
        let namespaces = build(config(), namespaces: SandboxNamespaces(network: nil, ipc: "/proc/42/ns/ipc", uts: nil)).linux.namespaces
        #expect(namespaces.map(\.type) == ["pid", "mount", "ipc"])
    }

    @Test func mountsAreBindMountsAfterTheStandardOnes() {
        let oci = build(config(mounts: [
            ContainerConfig.Mount(source: "/pods/uid-1/volumes/data", destination: "/data"),
            ContainerConfig.Mount(source: "/pods/uid-1/etc-hosts", destination: "/etc/hosts", readOnly: true),
        ]))
        #expect(oci.mounts.prefix(7).map(\.destination)
                == ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"])
        #expect(oci.mounts.dropFirst(7) == [
            OCIConfig.Mount(destination: "/data", type: "bind", source: "/pods/uid-1/volumes/data", options: ["rbind", "rprivate", "rw"]),
            OCIConfig.Mount(destination: "/etc/hosts", type: "bind", source: "/pods/uid-1/etc-hosts", options: ["rbind", "rprivate", "ro"]),
        ])
        #expect(oci.mounts.first { $0.destination == "/sys" }?.options.contains("ro") == true)
    }

    @Test func aPrivilegedContainerGetsAllDevicesAndCapabilitiesAndAWritableSys() {
        let oci = build(config(privileged: true))
        #expect(oci.process.capabilities.effective.contains("CAP_SYS_ADMIN"))
        #expect(oci.linux.resources.devices == [OCIConfig.DeviceRule(allow: true, access: "rwm")])
        #expect(oci.linux.maskedPaths.isEmpty)
        #expect(oci.mounts.first { $0.destination == "/sys" }?.options.contains("ro") == false)
    }

    @Test func theConfigEncodesWithTheOCIFieldNames() throws {
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(build(config(cpuLimit: 500)))) as? [String: Any]
        #expect(json?["ociVersion"] as? String == "1.0.2")
        let linux = json?["linux"] as? [String: Any]
        let cpu = (linux?["resources"] as? [String: Any])?["cpu"] as? [String: Any]
        #expect(cpu?["quota"] as? Int == 50_000)
        #expect(cpu?["period"] as? Int == 100_000)
    }
}
