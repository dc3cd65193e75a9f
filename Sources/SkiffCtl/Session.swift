/// Session: what a command runs against: the client, where its lines go, the namespace the
/// user chose, and the clock. `GlobalOptions` are the flags every command takes (`--server`,
/// `--events`, `--run-dir`, `--token`, `--kubeconfig`, `-n`); with none given the environment
/// decides (SKIFF_SERVER, SKIFF_EVENTS, SKIFF_RUN_DIR, SKIFF_TOKEN, SKIFF_KUBECONFIG), as
/// `ClientConfig.fromEnvironment`.
/// Each command implements `perform(in:)`; `run()` builds the live session around it, so tests
/// call `perform` with a fake client and collecting sinks.
///
/// Concurrency: a Session is a Sendable value shared by one command's tasks. Must never: leave
/// the client open after the command ends.
import ArgumentParser
import Foundation
import SkiffAPI
import SkiffClient
import SkiffWire
import SkiffCommandLine

public struct GlobalOptions: ParsableArguments, Sendable {
    @Option(help: ArgumentHelp("The apiserver's request URL (ipc://… or tcp://…).",
                               discussion: "Default: $SKIFF_SERVER, else the apiserver registered in the run directory."))
    public var server: String?

    @Option(help: "The apiserver's event (watch) URL. Default: $SKIFF_EVENTS, else the one registered beside --server.")
    public var events: String?

    @Option(name: .customLong("run-dir"), help: "Where running components register. Default: $SKIFF_RUN_DIR, else ./var/run.")
    public var runDirectory: String?

    @Option(help: "Bearer token for the apiserver. Default: $SKIFF_TOKEN, else the kubeconfig's.")
    public var token: String?

    @Option(help: "Credentials (and server) in kubectl's format. Default: $SKIFF_KUBECONFIG, else ./var/kubeconfig.")
    public var kubeconfig: String?

    @Option(name: [.short, .customLong("namespace")], help: "The namespace to work in (default \"default\").")
    public var namespace: String?

    public init() {}

    public func clientConfig() -> ClientConfig {
        var config = ClientConfig.fromEnvironment(component: "skiffctl")
        if let server { config.server = server }
        if let events { config.events = events }
        if let runDirectory { config.runDirectory = runDirectory }
        if let token { config.token = token }
        if let kubeconfig { config.kubeconfig = kubeconfig }
        return config
    }
}

public struct Session: Sendable {
    public var client: any ResourceClient
    public var output: any LineSink
    public var errors: any LineSink
    /// The namespace namespaced commands work in: `-n`, else "default".
    public var namespace: String
    /// Whether the user gave `-n`: then a manifest naming another namespace is refused.
    public var namespaceGiven: Bool
    public var now: @Sendable () -> Date
    public var standardInput: @Sendable () throws -> String
    /// The user's bearer token, which kubelet calls (logs, exec, top) carry too.
    public var token: String?

    public init(client: any ResourceClient, output: any LineSink, errors: any LineSink, namespace: String? = nil,
                now: @escaping @Sendable () -> Date = { Date() },
                standardInput: @escaping @Sendable () throws -> String = { try readStandardInput() }) {
        self.client = client
        self.output = output
        self.errors = errors
        self.namespace = namespace ?? "default"
        self.namespaceGiven = namespace != nil
        self.now = now
        self.standardInput = standardInput
    }

    /// The namespace for a request on `resource`: nil for cluster-scoped resources.
    public func namespace(for resource: ResourceInfo) -> String? {
        resource.namespaced ? namespace : nil
    }

    /// Where a manifest object goes: its own namespace, else the session's; refused when the
    /// user named another one with -n, as kubectl refuses it.
    public func namespace(for manifest: ManifestObject) throws -> String? {
        guard manifest.resource.namespaced else { return nil }
        guard let own = manifest.namespace else { return namespace }
        if namespaceGiven, own != namespace {
            throw CtlError("\(manifest.source): the namespace from the provided object \"\(own)\" does not match the namespace \"\(namespace)\". You must pass '--namespace=\(own)' to perform this operation.")
        }
        return own
    }
}

/// A subcommand that talks to the apiserver through a Session.
public protocol SessionCommand: AsyncParsableCommand {
    var global: GlobalOptions { get }
    func perform(in session: Session) async throws
}

extension SessionCommand {
    public func run() async throws {
        let errors = FileDescriptorSink.standardError
        let client: APIClient
        do {
            client = try APIClient(global.clientConfig())
        } catch let error as APIError {
            errors.write(line: errorLine(for: CtlError(error.message)))
            throw ExitCode.failure
        }
        var session = Session(client: APIResourceClient(client), output: FileDescriptorSink.standardOutput,
                              errors: errors, namespace: global.namespace)
        session.token = client.config.token
        let status = await exitStatus(in: session)
        await client.close()
        if status != .success { throw status }
    }

    /// Runs `perform`, printing any error it throws as its one line on the session's errors.
    /// Returns whether the command succeeded (exit status 0).
    public func execute(in session: Session) async -> Bool {
        await exitStatus(in: session) == .success
    }

    /// Runs `perform` and returns the process's exit status: the one it threw (`exec` passes on
    /// the command's), 1 for any other error, 0 for success.
    public func exitStatus(in session: Session) async -> ExitCode {
        do {
            try await perform(in: session)
            return .success
        } catch let exit as ExitCode {
            return exit
        } catch {
            session.errors.write(line: errorLine(for: error))
            return .failure
        }
    }
}

extension Session {
    /// Writes `error`'s line; a command that goes on after a failure remembers it and ends
    /// with `ExitCode.failure`.
    func report(_ error: any Error) {
        errors.write(line: errorLine(for: error))
    }

    /// The objects of `resource` named `names`, in that order, from the session's namespace.
    /// Each one that cannot be fetched is reported and left out; `failed` says whether any was.
    func fetch(_ names: [String], of resource: ResourceInfo) async -> (objects: [any APIObject], failed: Bool) {
        var objects: [any APIObject] = []
        var failed = false
        for name in names {
            do {
                objects.append(try await client.get(resource, name: name, namespace: namespace(for: resource)))
            } catch {
                report(error)
                failed = true
            }
        }
        return (objects, failed)
    }
}

/// Whether `error` is the API's NotFound.
func isNotFound(_ error: any Error) -> Bool {
    (error as? APIError)?.reason == .notFound
}
