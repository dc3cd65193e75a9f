/// ClientConfig: how a component or tool finds the apiserver: explicit URLs, or the endpoint
/// directory of a run directory (RUN/endpoints, written by every apiserver at start).
///
/// Concurrency: a plain value. Must never: guess an endpoint that is not registered.
import Foundation
import SkiffAPI
import SkiffBus

public struct ClientConfig: Sendable {
    /// The apiserver's request endpoint (ipc://... or tcp://...).
    public var server: String?
    /// The same apiserver's publisher, for watches.
    public var events: String?
    /// Where to look for a registered apiserver when `server` is nil.
    public var runDirectory: String?
    /// Bearer token sent with every request; when nil, the kubeconfig's user token.
    public var token: String?
    /// A kubeconfig file (see Kubeconfig): its token, and its server when `server` is nil.
    public var kubeconfig: String?
    /// Deadline of one call.
    public var timeout: Duration
    /// The sender name on the bus, e.g. "skiffctl".
    public var component: String
    /// Requests per second this client may send (nil: unpaced), with bursts of up to `burst`.
    public var qps: Double?
    public var burst = 30

    public init(server: String? = nil, events: String? = nil, runDirectory: String? = nil, token: String? = nil,
                timeout: Duration = .seconds(30), component: String = "client") {
        self.server = server
        self.events = events
        self.runDirectory = runDirectory
        self.token = token
        self.timeout = timeout
        self.component = component
    }

    /// SKIFF_SERVER, SKIFF_EVENTS, SKIFF_RUN_DIR (default ./var/run), SKIFF_TOKEN and
    /// SKIFF_KUBECONFIG (default ./var/kubeconfig when that file exists).
    public static func fromEnvironment(component: String) -> ClientConfig {
        let env = ProcessInfo.processInfo.environment
        var config = ClientConfig(server: env["SKIFF_SERVER"], events: env["SKIFF_EVENTS"],
                                  runDirectory: env["SKIFF_RUN_DIR"] ?? "./var/run", token: env["SKIFF_TOKEN"],
                                  component: component)
        config.kubeconfig = env["SKIFF_KUBECONFIG"]
            ?? (FileManager.default.fileExists(atPath: "./var/kubeconfig") ? "./var/kubeconfig" : nil)
        return config
    }

    /// Fills in what the kubeconfig provides (the token, and endpoints when none are given);
    /// a kubeconfig that does not load is an error, never silently skipped. Components started
    /// by compose find theirs through SKIFF_KUBECONFIG, which tests may also set for children.
    public func resolvingKubeconfig(environment: [String: String] = ProcessInfo.processInfo.environment) throws(APIError) -> ClientConfig {
        var config = self
        if config.kubeconfig == nil, config.token == nil { config.kubeconfig = environment["SKIFF_KUBECONFIG"] }
        if config.token == nil, let token = environment["SKIFF_TOKEN"] { config.token = token }
        guard let path = config.kubeconfig else { return config }
        let loaded: Kubeconfig
        do { loaded = try Kubeconfig.load(path: path) } catch { throw APIError.unauthorized(error.description) }
        // The kubeconfig's server only with the kubeconfig's own credentials: a token given
        // apart (SKIFF_TOKEN) never goes to a server some file in the working directory names.
        guard config.token == nil else { return config }
        config.token = loaded.token
        if config.server == nil, let server = loaded.server {
            config.server = server
            config.events = config.events ?? loaded.events
        }
        return config
    }

    /// The request and event endpoints to use: the explicit ones, or a live apiserver's from
    /// the run directory (request server and publisher of the same process).
    func resolveEndpoints() throws(APIError) -> (server: String, events: String?) {
        if let server { return (server, events) }
        guard let runDirectory else {
            throw APIError.unavailable("no apiserver given: set --server or a run directory")
        }
        let entries = EndpointDirectory(runDirectory: runDirectory).list(removingStale: true)
            .filter { $0.component.hasPrefix("apiserver") }
        guard let rep = entries.filter({ $0.role == .rep }).randomElement() else {
            throw APIError.unavailable("no apiserver is running (nothing registered in \(runDirectory)/endpoints)")
        }
        let pub = entries.first { $0.role == .pub && $0.sender == rep.sender }
        return (rep.url, events ?? pub?.url)
    }
}
