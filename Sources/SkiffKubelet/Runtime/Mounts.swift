/// Mounts and cgroups the runtime makes directly with system calls: the overlay root of each
/// container, and the removal of the cgroup directories runc leaves behind (it removes a
/// container's own directory but not the pod's and node's parents above it).
///
/// Concurrency: stateless system calls. Must never: unmount or remove anything outside the
/// paths it is given.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum Mounts {
    static func overlay(lower: String, upper: String, work: String, target: String) throws {
        let options = "lowerdir=\(lower),upperdir=\(upper),workdir=\(work)"
        guard mount("overlay", target, "overlay", 0, options) == 0 else {
            throw RuntimeError("mount overlay on \(target): \(String(cString: strerror(errno)))")
        }
    }

    static func tmpfs(_ target: String, sizeBytes: Int64?) throws {
        let options = sizeBytes.map { "size=\($0)" } ?? ""
        guard mount("tmpfs", target, "tmpfs", 0, options) == 0 else {
            throw RuntimeError("mount tmpfs on \(target): \(String(cString: strerror(errno)))")
        }
    }

    /// Lazily unmounts whatever is mounted at `path` (repeatedly, for stacked mounts).
    static func detach(_ path: String) {
        while umount2(path, Int32(MNT_DETACH)) == 0 {}
    }

    /// True when `path` is a mount point (listed in this process's mount table).
    static func isMountPoint(_ path: String) -> Bool {
        guard let table = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return false }
        let escaped = path.replacingOccurrences(of: " ", with: "\\040")
        return table.split(separator: "\n").contains { $0.split(separator: " ").dropFirst(4).first.map(String.init) == escaped }
    }
}

enum CgroupTree {
    static let root = "/sys/fs/cgroup"

    /// Removes `path` (relative, starting with "/") and its empty parents, in every hierarchy,
    /// keeping the first `keepingTop` components (e.g. skiff/NODE); a cgroup still holding
    /// processes stays.
    static func remove(_ path: String, keepingTop: Int = 0) {
        let hierarchies = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for hierarchy in hierarchies {
            var components = path.split(separator: "/").map(String.init)
            while components.count > keepingTop {
                let dir = "\(root)/\(hierarchy)/" + components.joined(separator: "/")
                removeTree(dir)
                components.removeLast()
                // Parents go only once empty of children.
                let parent = "\(root)/\(hierarchy)/" + components.joined(separator: "/")
                if components.count <= keepingTop || hasChildren(parent) { break }
            }
        }
    }

    /// Removes a cgroup directory and its child cgroups, deepest first.
    static func removeTree(_ dir: String) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else { return }
        for child in childDirectories(dir) { removeTree("\(dir)/\(child)") }
        rmdir(dir)
    }

    static func hasChildren(_ dir: String) -> Bool { !childDirectories(dir).isEmpty }

    static func childDirectories(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: "\(dir)/\($0)", isDirectory: &isDirectory) && isDirectory.boolValue
        }
    }

    /// CPU time and memory working set (usage minus inactive file pages, as cAdvisor reports).
    static func usage(_ path: String) -> ContainerUsage? {
        guard let cpu = number("\(root)/cpuacct\(path)/cpuacct.usage"),
              let memory = number("\(root)/memory\(path)/memory.usage_in_bytes") else { return nil }
        var inactive: UInt64 = 0
        if let stat = try? String(contentsOfFile: "\(root)/memory\(path)/memory.stat", encoding: .utf8) {
            for line in stat.split(separator: "\n") where line.hasPrefix("total_inactive_file ") {
                inactive = UInt64(line.split(separator: " ").last ?? "") ?? 0
            }
        }
        return ContainerUsage(cpuNanoseconds: cpu, memoryWorkingSetBytes: memory > inactive ? memory - inactive : 0)
    }

    static func number(_ path: String) -> UInt64? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
