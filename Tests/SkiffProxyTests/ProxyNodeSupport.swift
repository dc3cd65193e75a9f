/// End-to-end support: a real control plane, one real node (kubelet with runc in its own network
/// namespace), skiff-proxy started in that namespace as compose starts it, busybox pods that
/// serve their own name over HTTP, and requests from a pod, from the node, or from a client
/// namespace outside the node joined to it by a veth pair (for node ports).
import Foundation
import SkiffAPI
import SkiffClient
import SkiffTestSupport
import SkiffWire
import Testing

/// Why the proxy's end-to-end tests are skipped here (printed), or nil.
let proxyNodeTestsUnavailable: String? = {
    var reason = TestNode.missingCapability
    if reason == nil, !FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft") { reason = "/usr/sbin/nft is missing" }
    if let reason { print("skipping proxy end-to-end tests: \(reason)") }
    return reason
}()

final class ProxyNode: @unchecked Sendable {
    let plane: ControlPlane
    let node: TestNode
    let client: APIClient
    private(set) var proxy: ChildProcess?
    let mode: String
    /// An extra namespace playing a machine outside the node (node ports), if made.
    private(set) var outside: String?

    init(plane: ControlPlane, node: TestNode, client: APIClient, mode: String) {
        self.plane = plane
        self.node = node
        self.client = client
        self.mode = mode
    }

    var proxyArguments: [String] {
        ["--node-name", node.name, "--run-dir", plane.runDirectory, "--cluster-cidr", "10.244.0.0/16",
         "--service-cidr", "10.96.0.0/16", "--mode", mode, "--sync-seconds", "5"]
    }

    func startProxy() throws {
        proxy = try ChildProcess(path: "/usr/bin/nsenter", name: "skiff-proxy",
                                 ["--net=/run/netns/\(node.networkNamespace)", "--", try Products.path(of: "skiff-proxy")] + proxyArguments)
    }

    /// kill -9, as a crash would; what it put in the kernel stays.
    func crashProxy() async {
        proxy?.crash()
        await proxy?.stop()
        proxy = nil
    }

    func stopProxy() async {
        await proxy?.stop()
        proxy = nil
    }

    /// `skiff-proxy --cleanup` in the node's namespace; its exit status.
    func cleanup() async throws -> Int32? {
        let child = try ChildProcess(path: "/usr/bin/nsenter", name: "skiff-proxy-cleanup",
                                     ["--net=/run/netns/\(node.networkNamespace)", "--", try Products.path(of: "skiff-proxy"), "--cleanup"]
                                     + proxyArguments)
        let status = await child.exitStatus(within: .seconds(30))
        await child.stop()
        return status
    }

    /// A pod on this node serving its own name on port 8080 (`hostname > index.html`).
    func startWebPod(_ name: String) async throws -> String {
        let pod = Pod(metadata: ObjectMeta(name: name, namespace: "default", labels: ["app": "web"]),
                      spec: PodSpec(containers: [Container(name: "main", image: "busybox", command: [
                        "sh", "-c", "mkdir -p /www; hostname > /www/index.html; exec httpd -f -p 8080 -h /www",
                      ])], terminationGracePeriodSeconds: 0, nodeName: node.name))
        _ = try await client.create(pod)
        return try await podIP(name)
    }

    func podIP(_ name: String) async throws -> String {
        let client = self.client
        var ip: String?
        let running = await eventually(timeout: .seconds(90), interval: .milliseconds(100)) {
            guard let pod = try? await client.get(Pod.self, name: name, namespace: "default"), pod.status?.phase == "Running",
                  let address = pod.status?.podIP else { return false }
            ip = address
            return true
        }
        guard running, let ip else { throw HarnessError("pod \(name) never ran: \(node.kubelet?.stderr.suffix(1500) ?? "")") }
        return ip
    }

    /// A selector-less service with an explicit address, as a test writes it before the
    /// allocator and endpoints controller exist.
    func createService(_ name: String, clusterIP: String, type: String? = nil, nodePort: Int32? = nil,
                       affinity: Bool = false, udp: Bool = false) async throws {
        var port = ServicePort(name: "http", protocol: udp ? "UDP" : "TCP", port: 80, targetPort: .int(8080))
        port.nodePort = nodePort
        var spec = ServiceSpec(ports: [port], clusterIP: clusterIP, type: type)
        if affinity { spec.sessionAffinity = "ClientIP" }
        _ = try await client.create(Service(metadata: ObjectMeta(name: name, namespace: "default"), spec: spec))
    }

    /// Writes (creates or replaces) the service's Endpoints.
    func setEndpoints(_ name: String, ready: [String], notReady: [String] = [], udp: Bool = false) async throws {
        let subset = EndpointSubset(addresses: ready.map { EndpointAddress(ip: $0) },
                                    notReadyAddresses: notReady.map { EndpointAddress(ip: $0) },
                                    ports: [EndpointPort(name: "http", port: 8080, protocol: udp ? "UDP" : "TCP")])
        if var existing = try? await client.get(Endpoints.self, name: name, namespace: "default") {
            existing.subsets = [subset]
            _ = try await client.update(existing)
        } else {
            _ = try await client.create(Endpoints(metadata: ObjectMeta(name: name, namespace: "default"), subsets: [subset]))
        }
    }

    // MARK: requests

    /// `count` HTTP GETs of `url` from inside pod `from`, one connection each; each answer
    /// (a pod name) or "ERROR: message".
    func fetchFromPod(_ from: String, _ url: String, count: Int = 10) async throws -> [String] {
        let script = "for i in $(seq \(count)); do timeout 5 wget -qO- \(url) 2>&1 || echo ERROR; done"
        let child = try ChildProcess("skiffctl", ["exec", from, "--run-dir", plane.runDirectory, "--", "sh", "-c", script])
        _ = await child.exitStatus(within: .seconds(120))
        let output = child.stdout
        await child.stop()
        return Self.answers(output)
    }

    /// The same from the node's own network namespace (the node itself as the client).
    func fetchFromNode(_ url: String, count: Int = 10) throws -> [String] {
        let script = "for i in $(seq \(count)); do timeout 5 /bin/busybox wget -qO- \(url) 2>&1 || echo ERROR; done"
        return Self.answers(try node.inNamespace(["/bin/sh", "-c", script]))
    }

    /// The same from a namespace outside the node, joined to it by a veth pair:
    /// the node is 10.251.0.1 there, the client 10.251.0.2; neither has any other route.
    func fetchFromOutside(_ url: String, count: Int = 10) throws -> [String] {
        let name = try outsideNamespace()
        let script = "for i in $(seq \(count)); do timeout 5 /bin/busybox wget -qO- \(url) 2>&1 || echo ERROR; done"
        return Self.answers(try Self.ip(["netns", "exec", name, "/bin/sh", "-c", script]))
    }

    private func outsideNamespace() throws -> String {
        if let outside { return outside }
        let name = "skiff-proxy-outside-\(UUID().uuidString.prefix(6).lowercased())"
        try Self.ip(["netns", "add", name])
        outside = name
        let nodeSide = "px\(UUID().uuidString.prefix(6).lowercased())"
        try Self.ip(["-n", name, "link", "set", "lo", "up"])
        try Self.ip(["-n", name, "link", "add", "eth0", "type", "veth", "peer", "name", nodeSide, "netns", node.networkNamespace])
        try Self.ip(["-n", name, "addr", "add", "10.251.0.2/24", "dev", "eth0"])
        try Self.ip(["-n", name, "link", "set", "eth0", "up"])
        try Self.ip(["-n", node.networkNamespace, "addr", "add", "10.251.0.1/24", "dev", nodeSide])
        try Self.ip(["-n", node.networkNamespace, "link", "set", nodeSide, "up"])
        return name
    }

    /// The table as the kernel holds it, or "" when there is none.
    func table() -> String {
        (try? node.inNamespace(["/usr/sbin/nft", "list", "table", "ip", "skiff-proxy"])) ?? ""
    }

    static func answers(_ output: String) -> [String] {
        output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    @discardableResult
    static func ip(_ arguments: [String]) throws -> String {
        try Program.check("/sbin/ip", arguments)
    }

    func teardown() async {
        await stopProxy()
        _ = try? await cleanup()
        if let outside { _ = try? Self.ip(["netns", "del", outside]) }
        outside = nil
    }
}

/// Runs `body` with a control plane, one node and skiff-proxy in `mode` on it; removes
/// everything (processes, namespaces, the table with them) on every path.
func withProxyNode(mode: String = "nftables", _ body: (ProxyNode) async throws -> Void) async throws {
    let plane = try ControlPlane()
    var node: TestNode?
    var proxyNode: ProxyNode?
    do {
        try await plane.start()
        let started = try TestNode(plane: plane)
        node = started
        try await started.startKubelet()
        let environment = ProxyNode(plane: plane, node: started, client: plane.client!, mode: mode)
        proxyNode = environment
        try environment.startProxy()
        try await body(environment)
    } catch {
        if let proxy = proxyNode?.proxy { print("skiff-proxy stderr:\n\(proxy.stderr.suffix(3000))") }
        await proxyNode?.teardown()
        await node?.teardown()
        await plane.stop()
        throw error
    }
    await proxyNode?.teardown()
    await node?.teardown()
    await plane.stop()
}

/// Repeats `attempt` until `condition` holds for its result or `timeout` passes; the last
/// result either way (so a failed expectation shows what was seen).
func retrying<T: Sendable>(timeout: Duration = .seconds(30), _ attempt: () async throws -> T,
                           until condition: (T) -> Bool) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    var last = try await attempt()
    while !condition(last) && ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(200))
        last = try await attempt()
    }
    return last
}
