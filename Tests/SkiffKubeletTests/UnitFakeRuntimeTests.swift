// FakeRuntime: the in-memory runtime other tests drive; it must behave like a runtime.
import Foundation
import SkiffImages
import Testing
@testable import SkiffKubelet

private let image = Image(reference: "busybox:latest", id: "sha256:b", rootfs: "/images/busybox/latest/rootfs", config: ImageConfig())

private func start(_ runtime: FakeRuntime, _ name: String, in sandbox: RuntimeSandbox) async throws -> String {
    let id = try await runtime.createContainer(in: sandbox, ContainerConfig(name: name, argv: ["sh"], logPath: "/logs/\(name)"),
                                               image: image)
    try await runtime.startContainer(id)
    return id
}

@Suite struct UnitFakeRuntimeTests {
    @Test func sandboxesGetAddressesAndCallsAreRecorded() async throws {
        let runtime = FakeRuntime()
        let first = try await runtime.runPodSandbox(SandboxConfig(podUID: "u1", namespace: "default", name: "web", hostname: "web"))
        let host = try await runtime.runPodSandbox(SandboxConfig(podUID: "u2", namespace: "default", name: "node-agent",
                                                                 hostname: "n", hostNetwork: true))
        let second = try await runtime.runPodSandbox(SandboxConfig(podUID: "u3", namespace: "default", name: "db", hostname: "db"))
        #expect(first.ip == "10.244.0.2")
        #expect(host.ip == nil)
        #expect(second.ip == "10.244.0.3")
        #expect(first.state == .ready)

        try await runtime.stopPodSandbox(first.id)
        #expect(try await runtime.listPodSandboxes().first { $0.id == first.id }?.state == .notReady)
        try await runtime.removePodSandbox(first.id)
        #expect(try await runtime.listPodSandboxes().count == 2)
        #expect(runtime.calls == [
            .runPodSandbox(pod: "default/web"), .runPodSandbox(pod: "default/node-agent"), .runPodSandbox(pod: "default/db"),
            .stopPodSandbox(first.id), .removePodSandbox(first.id),
        ])
    }

    @Test func containersRunUntilTheyExitOrAreStopped() async throws {
        let runtime = FakeRuntime()
        let sandbox = try await runtime.runPodSandbox(SandboxConfig(podUID: "u1", namespace: "default", name: "web", hostname: "web"))
        let a = try await start(runtime, "a", in: sandbox)
        let b = try await start(runtime, "b", in: sandbox)
        #expect(try await runtime.listContainers().allSatisfy { $0.state == .running && $0.podUID == "u1" })
        #expect(await runtime.usage(a) != nil)

        runtime.exit(a, code: 3)
        try await runtime.stopContainer(b, gracePeriod: .seconds(1))
        let containers = try await runtime.listContainers()
        let exitedA = containers.first { $0.id == a }, stoppedB = containers.first { $0.id == b }
        #expect(exitedA?.state == .exited)
        #expect(exitedA?.exitCode == 3)
        #expect(exitedA?.reason == "Error")
        #expect(stoppedB?.exitCode == 137)
        #expect(await runtime.usage(a) == nil)

        try await runtime.removeContainer(a)
        #expect(try await runtime.listContainers().map(\.id) == [b])
        #expect(runtime.calls.suffix(2) == [.stopContainer(b), .removeContainer(a)])
    }

    @Test func exitOnStartAndFailStart() async throws {
        let runtime = FakeRuntime()
        runtime.exitOnStart(container: "job", code: 0)
        runtime.failStart(container: "broken", message: "exec: \"nope\": executable file not found in $PATH")
        let sandbox = try await runtime.runPodSandbox(SandboxConfig(podUID: "u1", namespace: "default", name: "web", hostname: "web"))

        let job = try await start(runtime, "job", in: sandbox)
        let finished = try await runtime.listContainers().first { $0.id == job }
        #expect(finished?.state == .exited)
        #expect(finished?.exitCode == 0)
        #expect(finished?.reason == "Completed")

        await #expect(throws: RuntimeError.self) { try await start(runtime, "broken", in: sandbox) }
        #expect(try await runtime.listContainers().first { $0.name == "broken" }?.state == .created)
    }

    @Test func execRunsOnlyInARunningContainer() async throws {
        let runtime = FakeRuntime()
        let sandbox = try await runtime.runPodSandbox(SandboxConfig(podUID: "u1", namespace: "default", name: "web", hostname: "web"))
        let a = try await start(runtime, "a", in: sandbox)
        let result = try await runtime.exec(a, command: ["echo", "hi"], stdin: [], timeout: .seconds(1))
        #expect(result == ExecResult(stdout: Array("echo hi".utf8), stderr: [], exitCode: 0))
        runtime.exit(a, code: 0)
        await #expect(throws: RuntimeError.self) { try await runtime.exec(a, command: ["true"], stdin: [], timeout: .seconds(1)) }
    }
}
