/// `skiff-apiserver`: flags in, an APIServer running until SIGTERM or SIGINT.
///
/// Concurrency: the main task runs the server; a signal source cancels it. Must never: start
/// without knowing where its store is.
import ArgumentParser
import Foundation
import Logging
import SkiffAPI
import SkiffBus
import SkiffCommandLine

public struct APIServerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "skiff-apiserver",
        abstract: "Serve the Kubernetes API over the bus, backed by skiff-store.")

    @Option(help: "Run directory: sockets live here and endpoints are registered in RUN/endpoints (default $SKIFF_RUN_DIR or ./var/run).")
    var runDir: String?

    @Option(help: "The store's request endpoint (default ipc://RUN/store.sock).")
    var store: String?

    @Option(help: "The store's change stream (default ipc://RUN/store-events.sock).")
    var storeEvents: String?

    @Option(help: "Where to serve requests (default ipc://RUN/apiserver-PID.sock).")
    var listen: String?

    @Option(help: "Where to publish watch events (default ipc://RUN/apiserver-PID-events.sock).")
    var events: String?

    @Option(help: "Seconds between bookmarks (and checks for missed store events).")
    var bookmarkSeconds: Int = 5

    @Option(help: "The range Services' virtual IPs come from (IPv4 CIDR).")
    var serviceClusterIPRange: String = "10.96.0.0/16"

    @Option(help: "Encrypt Secrets at rest with the keys in this file (NAME:BASE64-32-BYTES per line; the first encrypts, all decrypt).")
    var encryptionKeyFile: String?

    @Option(help: "The store's credential, sent with every store request (the file given to skiff-store as --client-token-file).")
    var storeTokenFile: String?

    @Flag(help: "Print a new key file (one random AES-256 key) for --encryption-key-file, and exit.")
    var newEncryptionKey = false

    @Option(help: "Users and components, one per line: token,user,uid,\"group1,group2\" (Kubernetes' static token file). Requests with any other token, or none, get 401.")
    var tokenAuthFile: String?

    @Option(help: "The P-256 private key (PEM) ServiceAccount tokens are signed and checked with.")
    var serviceAccountKeyFile: String?

    @Flag(help: "Print a new P-256 key (PEM) for --service-account-key-file, and exit.")
    var newServiceAccountKey = false

    public init() {}

    public mutating func validate() throws {
        guard bookmarkSeconds > 0 else { throw ValidationError("--bookmark-seconds must be positive") }
        guard let range = IPv4Range(serviceClusterIPRange), range.prefix >= 12, range.prefix <= 30 else {
            throw ValidationError("--service-cluster-ip-range: \(serviceClusterIPRange) is not an IPv4 CIDR with a prefix from /12 to /30")
        }
        if let encryptionKeyFile {
            do { _ = try SecretEncryption(keyFile: encryptionKeyFile) } catch let error as EncryptionError {
                throw ValidationError("--encryption-key-file: \(error.description)")
            }
        }
        if let tokenAuthFile {
            do { _ = try StaticTokens.load(path: tokenAuthFile) } catch {
                throw ValidationError("--token-auth-file: \(error.description)")
            }
        }
        if let serviceAccountKeyFile {
            do { _ = try ServiceAccountTokens(keyFile: serviceAccountKeyFile) } catch {
                throw ValidationError("--service-account-key-file: \(error.description)")
            }
        }
        if let storeTokenFile {
            do throws(BusError) { _ = try SharedToken(file: storeTokenFile) } catch {
                throw ValidationError("--store-token-file: \(error.message)")
            }
        }
        if let reserved = range.overlappedMachineRange {
            throw ValidationError("--service-cluster-ip-range: \(serviceClusterIPRange) overlaps \(reserved), which this machine uses")
        }
    }

    public func run() async throws {
        if newEncryptionKey {
            print(SecretEncryption.newKeyFile(), terminator: "")
            return
        }
        if newServiceAccountKey {
            print(ServiceAccountTokens.newKeyFile(), terminator: "")
            return
        }
        let run = runDir ?? ProcessInfo.processInfo.environment["SKIFF_RUN_DIR"] ?? "./var/run"
        // 0700: the sockets in it are reachable by the cluster's user alone.
        try PrivateDirectory.prepare(run)
        let absolute = URL(fileURLWithPath: run).standardizedFileURL.path
        let pid = getpid()
        var configuration = APIServer.Configuration(
            storeURL: store ?? "ipc://\(absolute)/store.sock",
            storeEventsURL: storeEvents ?? "ipc://\(absolute)/store-events.sock",
            listenURL: listen ?? "ipc://\(absolute)/apiserver-\(pid).sock",
            eventsURL: events ?? "ipc://\(absolute)/apiserver-\(pid)-events.sock",
            runDirectory: absolute, bookmarkInterval: .seconds(bookmarkSeconds),
            serviceNetwork: ServiceNetwork(serviceRange: IPv4Range(serviceClusterIPRange)!))
        configuration.encryptionKeyFile = encryptionKeyFile
        configuration.tokenAuthFile = tokenAuthFile
        configuration.serviceAccountKeyFile = serviceAccountKeyFile
        configuration.storeToken = try storeTokenFile.map { try SharedToken(file: $0) }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let server = try APIServer(configuration)
        try await runUntilTerminated { try await server.run() }
        await server.close()
    }
}
