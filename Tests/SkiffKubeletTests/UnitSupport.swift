/// Test support for the kubelet's unit tests: pods, runtime views and instances built in one
/// line, a fixed clock, and a scratch directory.
import Foundation
import SkiffWire
import SkiffTestSupport
@testable import SkiffKubelet

/// 2023-11-14T22:13:20Z, and moments after it.
let t0 = Date(timeIntervalSince1970: 1_700_000_000)
func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

func container(_ name: String, image: String = "busybox") -> Container {
    Container(name: name, image: image)
}

/// A pod web/default (uid-1) with the given containers.
func makePod(_ containers: [String] = ["a"], initContainers: [String] = [], restartPolicy: String? = "Always",
             phase: String? = nil, deleting: Bool = false) -> Pod {
    Pod(metadata: ObjectMeta(name: "web", namespace: "default", uid: "uid-1",
                             deletionTimestamp: deleting ? Time(t0) : nil),
        spec: PodSpec(initContainers: initContainers.map { container($0) }, containers: containers.map { container($0) },
                      restartPolicy: restartPolicy),
        status: phase.map { PodStatus(phase: $0) })
}

func sandbox(_ id: String = "s1", _ state: RuntimeSandbox.State = .ready, created: Double = 0,
             ip: String? = "10.244.0.2") -> RuntimeSandbox {
    RuntimeSandbox(id: id, podUID: "uid-1", namespace: "default", name: "web", hostNetwork: false, ip: ip,
                   state: state, createdAt: at(created), etcFiles: [:])
}

enum Run: Equatable {
    case created, running
    case exited(Int32)
}

/// One instance of container `name`, started at `attempt` seconds and (when exited) finished
/// a second later, carrying the hash of `container(name)` unless told otherwise.
func instance(_ name: String, _ run: Run, attempt: Int = 0, id: String? = nil, in sandboxID: String = "s1",
              finished: Double? = nil, specHash: String? = nil) -> RuntimeContainer {
    var exitCode: Int32? = nil
    var state = RuntimeContainer.State.created
    switch run {
    case .created: break
    case .running: state = .running
    case .exited(let code): state = .exited; exitCode = code
    }
    let start = Double(attempt) * 10
    return RuntimeContainer(
        id: id ?? "\(name)-\(attempt)", sandboxID: sandboxID, podUID: "uid-1", name: name, attempt: attempt,
        image: "busybox:latest", imageID: "sha256:busybox", specHash: specHash ?? ContainerHash.of(container(name)),
        state: state, createdAt: at(start), startedAt: state == .created ? nil : at(start),
        finishedAt: state == .exited ? at(finished ?? start + 1) : nil, exitCode: exitCode,
        reason: exitCode.map { $0 == 0 ? "Completed" : "Error" }, logPath: "/logs/\(name)-\(attempt).log")
}

/// A fresh directory under the system's temporary directory; `remove()` deletes it.
struct ScratchDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "skiff-kubelet-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = path + "/" + name
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

    func read(_ name: String) -> String? {
        FileManager.default.contents(atPath: path + "/" + name).map { String(decoding: $0, as: UTF8.self) }
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs a host program to completion (test fixtures: tar, sha256sum); returns its output.
@discardableResult
func host(_ program: String, _ arguments: [String]) throws -> String {
    try Program.check(program, arguments)
}
