/// OCIConfig: the subset of the OCI runtime spec (config.json) the kubelet writes for runc, and
/// the function that builds it from a container's configuration: its own PID and mount
/// namespaces, the sandbox's network, IPC and UTS namespaces joined by path, cgroup limits
/// from resources, Docker's default capabilities, and the pod's mounts.
///
/// Concurrency: values and a pure function. Must never: give a container a namespace of the
/// node's unless the pod asked for it (hostNetwork).
import Foundation

struct OCIConfig: Codable, Equatable {
    struct User: Codable, Equatable { var uid: UInt32 = 0; var gid: UInt32 = 0 }
    struct Capabilities: Codable, Equatable {
        var bounding: [String]; var effective: [String]; var permitted: [String]
    }
    struct Rlimit: Codable, Equatable { var type: String; var hard: UInt64; var soft: UInt64 }
    struct Process: Codable, Equatable {
        var terminal = false
        var user = User()
        var args: [String]
        var env: [String]
        var cwd: String
        var capabilities: Capabilities
        var rlimits: [Rlimit]
        var noNewPrivileges = false
    }
    struct Root: Codable, Equatable { var path: String; var readonly = false }
    struct Mount: Codable, Equatable {
        var destination: String; var type: String; var source: String; var options: [String]
    }
    struct Namespace: Codable, Equatable { var type: String; var path: String? }
    struct Memory: Codable, Equatable { var limit: Int64 }
    struct CPU: Codable, Equatable { var shares: UInt64?; var quota: Int64?; var period: UInt64? }
    struct Pids: Codable, Equatable { var limit: Int64 }
    struct DeviceRule: Codable, Equatable { var allow: Bool; var access: String }
    struct Resources: Codable, Equatable {
        var devices: [DeviceRule] = [DeviceRule(allow: false, access: "rwm")]
        var memory: Memory?
        var cpu: CPU?
        var pids: Pids?
    }
    struct Linux: Codable, Equatable {
        var namespaces: [Namespace]
        var cgroupsPath: String
        var resources: Resources
        var maskedPaths: [String]
        var readonlyPaths: [String]
    }
    var ociVersion = "1.0.2"
    var process: Process
    var root: Root
    var mounts: [Mount]
    var linux: Linux
    var annotations: [String: String]
}

/// Where a container's namespaces come from.
struct SandboxNamespaces: Equatable {
    /// nil: share the node's network (hostNetwork).
    var network: String?
    var ipc: String
    var uts: String?
}

enum OCIConfigBuilder {
    /// Docker's (and so Kubernetes') default capability set.
    static let defaultCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ]
    /// CFS period Kubernetes uses (100 ms): the quota is limit millicores * period / 1000.
    static let cpuPeriod: UInt64 = 100_000

    static func build(_ config: ContainerConfig, rootfs: String, namespaces: SandboxNamespaces,
                      cgroupsPath: String, annotations: [String: String]) -> OCIConfig {
        let caps = config.privileged ? privilegedCapabilities : defaultCapabilities
        var linuxNamespaces = [OCIConfig.Namespace(type: "pid"), OCIConfig.Namespace(type: "mount"),
                               OCIConfig.Namespace(type: "ipc", path: namespaces.ipc)]
        if let network = namespaces.network { linuxNamespaces.append(OCIConfig.Namespace(type: "network", path: network)) }
        if let uts = namespaces.uts { linuxNamespaces.append(OCIConfig.Namespace(type: "uts", path: uts)) }
        var resources = OCIConfig.Resources()
        if let memory = config.memoryLimitBytes, memory > 0 { resources.memory = OCIConfig.Memory(limit: memory) }
        if config.cpuLimitMillis != nil || config.cpuRequestMillis != nil {
            // Clamped: a quantity may be huge (or, from an unvalidated source, negative).
            let request = config.cpuRequestMillis.map { min(max($0, 0), 1 << 40) }
            let limit = config.cpuLimitMillis.map { min(max($0, 0), 1 << 40) }
            resources.cpu = OCIConfig.CPU(
                shares: request.map { min(262_144, max(2, UInt64($0) * 1024 / 1000)) },
                quota: limit.map { max(1000, $0 * Int64(cpuPeriod) / 1000) },
                period: limit == nil ? nil : cpuPeriod)
        }
        if let pids = config.pidsLimit, pids > 0 { resources.pids = OCIConfig.Pids(limit: pids) }
        if config.privileged { resources.devices = [OCIConfig.DeviceRule(allow: true, access: "rwm")] }
        return OCIConfig(
            process: OCIConfig.Process(args: config.argv, env: config.environment, cwd: config.workingDirectory,
                                       capabilities: OCIConfig.Capabilities(bounding: caps, effective: caps, permitted: caps),
                                       rlimits: []),
            root: OCIConfig.Root(path: rootfs),
            mounts: standardMounts(readOnlySys: !config.privileged) + config.mounts.map(bindMount),
            linux: OCIConfig.Linux(namespaces: linuxNamespaces, cgroupsPath: cgroupsPath, resources: resources,
                                   maskedPaths: config.privileged ? [] : maskedPaths,
                                   readonlyPaths: config.privileged ? [] : readonlyPaths),
            annotations: annotations)
    }

    static func bindMount(_ mount: ContainerConfig.Mount) -> OCIConfig.Mount {
        OCIConfig.Mount(destination: mount.destination, type: "bind", source: mount.source,
                        options: ["rbind", "rprivate", mount.readOnly ? "ro" : "rw"])
    }

    static func standardMounts(readOnlySys: Bool) -> [OCIConfig.Mount] {
        [
            OCIConfig.Mount(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
            OCIConfig.Mount(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            OCIConfig.Mount(destination: "/dev/pts", type: "devpts", source: "devpts",
                            options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            OCIConfig.Mount(destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
            OCIConfig.Mount(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
            OCIConfig.Mount(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev"] + (readOnlySys ? ["ro"] : [])),
            OCIConfig.Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"]),
        ]
    }

    static let maskedPaths = ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                              "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"]
    static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
    static let privilegedCapabilities = defaultCapabilities + [
        "CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_MODULE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_DAC_READ_SEARCH", "CAP_IPC_LOCK", "CAP_SYS_NICE", "CAP_LINUX_IMMUTABLE", "CAP_SYS_BOOT",
    ]
}
