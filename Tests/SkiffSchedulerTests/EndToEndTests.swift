/// End to end: a real store and apiserver (ControlPlane) and the real `skiff-scheduler`
/// process, driven through the API as a user would, asserting what a user would check: where
/// pods landed, their events and their PodScheduled condition. Every wait is a condition with a
/// deadline; every process is stopped on every path.
import Foundation
import SkiffClient
import SkiffTestSupport
import SkiffWire
import Testing

/// Runs `body` with a control plane and `schedulers` scheduler processes, stopping all of them.
private func withScheduler(_ schedulers: Int = 1, _ body: (APIClient, [ChildProcess]) async throws -> Void) async throws {
    let plane = try ControlPlane()
    var children: [ChildProcess] = []
    do {
        try await plane.start()
        for _ in 0..<schedulers {
            children.append(try ChildProcess("skiff-scheduler", ["--run-dir", plane.runDirectory]))
        }
        try await body(plane.client!, children)
    } catch {
        for child in children { await child.stop() }
        await plane.stop()
        throw error
    }
    for child in children { await child.stop() }
    await plane.stop()
}

/// Creates the node, then reports its status (allocatable, Ready) as a kubelet would: status is
/// ignored on create.
private func register(_ node: Node, _ client: APIClient) async throws {
    let created = try await client.create(Node(metadata: node.metadata, spec: node.spec))
    var reported = created
    reported.status = node.status
    _ = try await client.updateStatus(reported)
}

private func unbound(_ pod: Pod) -> Pod {
    var pod = pod
    pod.metadata?.uid = nil
    pod.metadata?.resourceVersion = nil
    pod.status = nil
    return pod
}

private func placement(_ client: APIClient, _ names: [String]) async -> [String: String] {
    guard let pods = try? await client.list(Pod.self, namespace: "default").items else { return [:] }
    var nodes: [String: String] = [:]
    for pod in pods where names.contains(pod.metadata?.name ?? "") {
        if let node = pod.spec?.nodeName, !node.isEmpty { nodes[pod.metadata!.name!] = node }
    }
    return nodes
}

private func events(_ client: APIClient, reason: String) async -> [Event] {
    ((try? await client.list(Event.self, namespace: "default").items) ?? []).filter { $0.reason == reason }
}

@Test func podsAreBoundToNodesThatFitSpreadAndAnnounced() async throws {
    try await withScheduler { client, _ in
        try await register(node("n1", cpu: "2", memory: "4Gi"), client)
        try await register(node("n2", cpu: "2", memory: "4Gi"), client)
        try await register(node("tiny", cpu: "100m", memory: "4Gi"), client)
        let names = (0..<4).map { "web-\($0)" }
        for name in names { _ = try await client.create(unbound(pod(name, cpu: "500m", memory: "100Mi", owner: "web"))) }

        let allBound = await eventually(timeout: .seconds(30)) { await placement(client, names).count == names.count }
        #expect(allBound)
        let nodes = await placement(client, names)
        #expect(nodes.values.filter { $0 == "n1" }.count == 2, "\(nodes)")
        #expect(nodes.values.filter { $0 == "n2" }.count == 2, "\(nodes)")

        let announced = await eventually(timeout: .seconds(30)) { await events(client, reason: "Scheduled").count == names.count }
        #expect(announced)
        for event in await events(client, reason: "Scheduled") {
            let name = event.involvedObject?.name ?? ""
            #expect(event.message == "Successfully assigned default/\(name) to \(nodes[name] ?? "?")")
            #expect(event.type == "Normal")
            #expect(event.source?.component == "default-scheduler")
            #expect(event.reportingComponent == "default-scheduler")
        }
        let bound = try await client.get(Pod.self, name: "web-0", namespace: "default")
        #expect(bound.status?.conditions.first { $0.type == "PodScheduled" }?.status == "True")
    }
}

@Test func aPodThatFitsNowhereIsExplainedAndScheduledOnceANodeFits() async throws {
    try await withScheduler { client, _ in
        try await register(node("n1", cpu: "1"), client)
        try await register(node("n2", cpu: "1"), client)
        try await register(node("down", cpu: "8", ready: "False"), client)
        _ = try await client.create(unbound(pod("big", cpu: "2")))

        let message = "0/3 nodes are available: 1 node(s) were not ready, 2 Insufficient cpu."
        let explained = await eventually(timeout: .seconds(30)) {
            guard let pod = try? await client.get(Pod.self, name: "big", namespace: "default"),
                  let condition = pod.status?.conditions.first(where: { $0.type == "PodScheduled" }) else { return false }
            return condition.status == "False" && condition.reason == "Unschedulable" && condition.message == message
        }
        #expect(explained)
        let warned = await eventually(timeout: .seconds(30)) {
            await events(client, reason: "FailedScheduling").contains { $0.message == message && $0.type == "Warning" }
        }
        #expect(warned)
        #expect(await placement(client, ["big"]).isEmpty)

        try await register(node("roomy", cpu: "4"), client)
        let scheduled = await eventually(timeout: .seconds(30)) { await placement(client, ["big"])["big"] == "roomy" }
        #expect(scheduled)
    }
}

@Test func racingSchedulersBindEachPodOnce() async throws {
    try await withScheduler(2) { client, _ in
        for index in 0..<3 { try await register(node("n\(index)"), client) }
        let names = (0..<30).map { "race-\($0)" }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in names { group.addTask { _ = try await client.create(unbound(pod(name, cpu: "10m"))) } }
            try await group.waitForAll()
        }
        let allBound = await eventually(timeout: .seconds(30)) { await placement(client, names).count == names.count }
        #expect(allBound)
        // Give late duplicate bindings no chance to go unnoticed: every pod has one Scheduled event.
        let announced = await eventually(timeout: .seconds(30)) { await events(client, reason: "Scheduled").count >= names.count }
        #expect(announced)
        let perPod = Dictionary(grouping: await events(client, reason: "Scheduled"), by: { $0.involvedObject?.name ?? "" })
        #expect(perPod.count == names.count)
        #expect(perPod.values.allSatisfy { $0.count == 1 }, "\(perPod.filter { $0.value.count > 1 }.keys)")
    }
}

@Test func sigtermStopsTheSchedulerCleanly() async throws {
    try await withScheduler { client, children in
        try await register(node("n1"), client)
        _ = try await client.create(unbound(pod("p")))
        #expect(await eventually(timeout: .seconds(30)) { await placement(client, ["p"])["p"] == "n1" })
        children[0].signal(SIGTERM)
        #expect(await children[0].exitStatus(within: .seconds(10)) == 0, "\(children[0].stderr)")
    }
}
