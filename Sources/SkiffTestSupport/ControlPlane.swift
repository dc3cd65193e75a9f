/// ControlPlane: a real store and apiserver, each its own process, in a temporary directory,
/// for end-to-end tests. `start()` returns when the apiserver answers and the system
/// namespaces exist; `stop()` ends both (by pid) and removes the directory.
///
/// Concurrency: used from one test task. Must never: leave a process or directory behind
/// (callers `defer { await plane.stop() }`).
import Foundation
import SkiffClient
import SkiffWire

public final class ControlPlane: @unchecked Sendable {
    public let directory: String
    public var runDirectory: String { directory + "/run" }
    public var dataDirectory: String { directory + "/data" }
    public private(set) var store: ChildProcess?
    public private(set) var apiservers: [ChildProcess] = []
    public private(set) var client: APIClient?
    /// The store's credential, given to the store and every apiserver (as compose/up does).
    public var storeTokenFile: String { directory + "/store.token" }

    /// Users besides the admin, as token-file lines (`token,user,uid,"group1,group2"`); set
    /// them before the apiserver starts.
    public var extraTokenLines: [String] = []
    public var tokenFile: String { directory + "/tokens.csv" }
    public var serviceAccountKeyFile: String { directory + "/service-account.key" }

    public init() throws {
        _ = TestCredentials.adminToken
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("skiff-plane-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory + "/run", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let token = Data((0..<32).map { _ in UInt8.random(in: .min ... .max) }).base64EncodedString() + "\n"
        guard FileManager.default.createFile(atPath: storeTokenFile, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw HarnessError("cannot write \(storeTokenFile)")
        }
    }

    /// Starts the store and one apiserver and waits until the API answers.
    public func start(bookmarkSeconds: Int = 1, apiserverArguments: [String] = []) async throws {
        try await startStore()
        try await startAPIServer(bookmarkSeconds: bookmarkSeconds, arguments: apiserverArguments)
    }

    public func startStore() async throws {
        let store = try ChildProcess("skiff-store", ["--data-dir", dataDirectory, "--run-dir", runDirectory,
                                                     "--client-token-file", storeTokenFile])
        self.store = store
        guard await eventually(timeout: .seconds(30), { FileManager.default.fileExists(atPath: self.runDirectory + "/store.sock") || !store.isRunning }),
              store.isRunning else {
            throw HarnessError("skiff-store did not start: \(store.stderr)")
        }
    }

    public func startAPIServer(bookmarkSeconds: Int = 1, arguments: [String] = []) async throws {
        try writeCredentials()
        let arguments = arguments + ["--store-token-file", storeTokenFile]
        let server = try ChildProcess("skiff-apiserver", ["--run-dir", runDirectory,
                                                          "--bookmark-seconds", String(bookmarkSeconds),
                                                          "--token-auth-file", tokenFile,
                                                          "--service-account-key-file", serviceAccountKeyFile] + arguments)
        apiservers.append(server)
        // This apiserver's own endpoints, registered under its pid once it has bound them.
        let registration = "\(runDirectory)/endpoints/apiserver-\(server.pid)"
        var ready: APIClient? = nil
        _ = await eventually(timeout: .seconds(60), interval: .milliseconds(50)) {
            guard server.isRunning else { return true }
            guard let rep = Self.url(registration + ".rep.json"), let pub = Self.url(registration + ".pub.json"),
                  let client = try? APIClient(ClientConfig(server: rep, events: pub, timeout: .seconds(10), component: "test"))
            else { return false }
            if (try? await client.get(Namespace.self, name: "kube-node-lease")) != nil {
                ready = client
                return true
            }
            await client.close()
            return false
        }
        guard let ready, server.isRunning else {
            throw HarnessError("skiff-apiserver did not become ready: \(server.stderr)")
        }
        if client == nil { client = ready } else { await ready.close() }
    }

    /// The token file (the admin and `extraTokenLines`) and, once, the signing key.
    private func writeCredentials() throws {
        let lines = ["\(TestCredentials.adminToken),admin,admin-uid,\"system:masters\""] + extraTokenLines
        try (lines.joined(separator: "\n") + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        guard !FileManager.default.fileExists(atPath: serviceAccountKeyFile) else { return }
        try TestCredentials.serviceAccountKey.write(toFile: serviceAccountKeyFile, atomically: true, encoding: .utf8)
    }

    /// The url of an endpoint-directory entry.
    static func url(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["url"] as? String
    }

    /// A new client of the running apiserver(s).
    public func newClient(component: String = "test") throws -> APIClient {
        try APIClient(ClientConfig(runDirectory: runDirectory, timeout: .seconds(10), component: component))
    }

    public func stop() async {
        if let client { await client.close() }
        for server in apiservers { await server.stop() }
        if let store { await store.stop() }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// The credentials test control planes share: an admin token, which the test process and every
/// child it starts send (it is set as SKIFF_TOKEN before the first plane exists, so clients
/// made anywhere in a test pick it up), and one ServiceAccount signing key.
public enum TestCredentials {
    public static let adminToken: String = {
        let token = (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
        setenv("SKIFF_TOKEN", token, 1)
        return token
    }()

    /// A P-256 key made by the apiserver itself (`--new-service-account-key`).
    public static let serviceAccountKey: String = {
        let apiserver = (try? Products.path(of: "skiff-apiserver")) ?? "skiff-apiserver"
        return (try? Program.run(apiserver, ["--new-service-account-key"]).stdout) ?? ""
    }()
}
