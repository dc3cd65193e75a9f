/// Kubeconfig: kubectl's file, read for the current context's server, events and token.
import Foundation
import SkiffClient
import Testing

@Suite struct KubeconfigTests {
    static let file = """
        apiVersion: v1
        kind: Config
        current-context: skiff
        clusters:
        - name: skiff
          cluster:
            server: "ipc:///var/run/apiserver.sock"
            extensions:
            - name: skiff.events
              extension:
                server: "ipc:///var/run/apiserver-events.sock"
        - name: other
          cluster: {server: "tcp://10.250.0.2:6443"}
        contexts:
        - name: skiff
          context: {cluster: skiff, user: admin}
        - name: elsewhere
          context: {cluster: other, user: alice}
        users:
        - name: admin
          user: {token: "admin-token"}
        - name: alice
          user: {token: "alice-token"}
        """

    @Test func theCurrentContextChoosesClusterAndUser() throws {
        #expect(try Kubeconfig.parse(Self.file) == Kubeconfig(server: "ipc:///var/run/apiserver.sock",
                                                              events: "ipc:///var/run/apiserver-events.sock", token: "admin-token"))
        #expect(try Kubeconfig.parse(Self.file, context: "elsewhere") == Kubeconfig(server: "tcp://10.250.0.2:6443", token: "alice-token"))
    }

    @Test func aTokenFileIsRead() throws {
        let path = NSTemporaryDirectory() + "skiff-token-\(UUID().uuidString)"
        try "file-token\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = "current-context: c\ncontexts: [{name: c, context: {user: u}}]\nusers: [{name: u, user: {tokenFile: \"\(path)\"}}]\n"
        #expect(try Kubeconfig.parse(text).token == "file-token")
    }

    @Test(arguments: [
        ("current-context: \"\"\n", "kubeconfig k: current-context: Required value"),
        ("current-context: nope\ncontexts: []\n", "kubeconfig k: contexts: no context named \"nope\""),
        ("current-context: c\ncontexts: [{name: c, context: {user: ghost}}]\nusers: []\n", "kubeconfig k: users: no user named \"ghost\" (context \"c\")"),
        ("current-context: c\ncontexts: {c: 1}\n", "kubeconfig k: contexts: must be a list"),
        ("[1, 2\n", "kubeconfig k: not YAML"),
        ("- a\n", "kubeconfig k: not a mapping"),
        // A mapping as a key (found by the kubeconfig fuzz harness: Yams' untyped loader trapped).
        ("current-context: c\n{a: b}: c\ncontexts: []\n", "kubeconfig k: contexts: no context named \"c\""),
    ])
    func aBrokenFileIsRefusedNamingTheField(text: String, problem: String) {
        #expect { try Kubeconfig.parse(text, source: "k") } throws: { "\($0)".hasPrefix(problem) }
    }

    @Test func theConfigTakesTheKubeconfigsTokenUnlessOneIsGiven() throws {
        let path = NSTemporaryDirectory() + "skiff-kubeconfig-\(UUID().uuidString)"
        try Self.file.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var config = ClientConfig(token: nil)
        config.kubeconfig = path
        let resolved = try config.resolvingKubeconfig(environment: [:])
        #expect(resolved.token == "admin-token" && resolved.server == "ipc:///var/run/apiserver.sock")
        var explicit = ClientConfig(server: "ipc:///elsewhere", token: "mine")
        explicit.kubeconfig = path
        let kept = try explicit.resolvingKubeconfig(environment: [:])
        #expect(kept.token == "mine" && kept.server == "ipc:///elsewhere")
        var missing = ClientConfig()
        missing.kubeconfig = path + "-missing"
        #expect(throws: (any Error).self) { try missing.resolvingKubeconfig(environment: [:]) }
        // A token given apart never goes to the kubeconfig's server.
        var apart = ClientConfig(token: "from-environment")
        apart.kubeconfig = path
        let separate = try apart.resolvingKubeconfig(environment: [:])
        #expect(separate.token == "from-environment" && separate.server == nil)
    }
}
