/// `apply`, `create` and `replace`: the commands that send manifests. All three load and check
/// every object of every file first (ManifestLoader), so a bad document sends nothing; then
/// each object is sent in turn, a failure printed and the rest still sent, as kubectl does.
///
/// Concurrency: one object at a time, in manifest order. Must never: send anything for a load
/// that failed, or change an object's status through apply.
import ArgumentParser
import Foundation
import SkiffAPI
import SkiffWire

/// A manifest object with the namespace it goes to, ready to send.
struct ManifestTarget {
    var manifest: ManifestObject
    var namespace: String?
    /// The manifest's object with metadata.namespace set to `namespace`.
    var object: any APIObject
    var resource: ResourceInfo { manifest.resource }
    var name: String { manifest.name }

    /// Every object of `files`, placed in its namespace. Throws before any is sent.
    static func load(_ files: [String], in session: Session, requireNames: Bool) throws -> [ManifestTarget] {
        guard !files.isEmpty else { throw CtlError("must specify -f (a file, a directory or - for standard input)") }
        let manifests = try ManifestLoader.load(files, standardInput: session.standardInput)
        guard !manifests.isEmpty else { throw CtlError("no objects passed in \(files.joined(separator: ", "))") }
        return try manifests.map { manifest in
            if requireNames, manifest.name.isEmpty {
                throw CtlError("\(manifest.source): \(manifest.resource.kind): metadata.name: Required value")
            }
            let namespace = try session.namespace(for: manifest)
            var object = manifest.object
            if let namespace {
                var meta = object.metadata ?? ObjectMeta()
                meta.namespace = namespace
                object.metadata = meta
            }
            return ManifestTarget(manifest: manifest, namespace: namespace, object: object)
        }
    }
}

/// The options every manifest command takes: the files to send and `-o name`.
public struct ManifestOptions: ParsableArguments, Sendable {
    @Option(name: [.short, .customLong("filename")], help: "A manifest file, a directory of them, or - for stdin.")
    public var files: [String] = []
    @Option(name: [.short, .customLong("output")], help: "name: print only kind/name.")
    public var output: String?

    public init() {}

    /// Loads every object of the files (sending nothing when one is bad), then sends each in
    /// turn with `send`, which returns the object's name and the outcome ("created"). Prints
    /// each result line, or the error `send` threw and goes on; ends with `ExitCode.failure`
    /// when any failed.
    func sendEach(in session: Session, requireNames: Bool,
                  _ send: (ManifestTarget) async throws -> (name: String, outcome: String)) async throws {
        let nameOnly = try isNameOutput(output)
        let targets = try ManifestTarget.load(files, in: session, requireNames: requireNames)
        var failed = false
        for target in targets {
            do {
                let sent = try await send(target)
                session.output.write(line: resultLine(target.resource, sent.name, sent.outcome, nameOnly: nameOnly))
            } catch {
                session.report(error)
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }
}

/// What `-o name` or the default result line prints for an object.
func resultLine(_ resource: ResourceInfo, _ name: String, _ outcome: String, nameOnly: Bool) -> String {
    nameOnly ? resource.slashName(name) : "\(resource.slashName(name)) \(outcome)"
}

func isNameOutput(_ output: String?) throws -> Bool {
    guard let output else { return false }
    guard output == "name" else {
        throw CtlError("unable to match a printer suitable for the output format \"\(output)\", allowed formats are: name")
    }
    return true
}

public struct ApplyCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Create objects from manifests, or update the ones that exist to match them.",
        discussion: """
            Each object in the manifests is created when absent; when present, the manifest's \
            fields are merged over the live object (a JSON merge patch; status is kept) and it \
            prints "configured", or "unchanged" when nothing differed.
            """)

    @OptionGroup public var global: GlobalOptions
    @OptionGroup public var manifests: ManifestOptions

    public init() {}

    public func perform(in session: Session) async throws {
        try await manifests.sendEach(in: session, requireNames: true) { target in
            (target.name, try await apply(target, session: session))
        }
    }

    /// "created", "configured" or "unchanged".
    func apply(_ target: ManifestTarget, session: Session) async throws -> String {
        let source = "\"\(target.manifest.source)\""
        var live: (any APIObject)?
        do {
            live = try await session.client.get(target.resource, name: target.name, namespace: target.namespace)
        } catch {
            guard isNotFound(error) else {
                throw ContextError(error, "error when retrieving current configuration of \(target.resource.kind) \"\(target.name)\" from \(source)")
            }
        }
        switch try ApplyPlan.decide(manifest: target.object, live: live) {
        case .create:
            do {
                _ = try await session.client.create(target.resource, target.object, namespace: target.namespace)
            } catch {
                throw ContextError(error, "error when creating \(source)")
            }
            return "created"
        case .unchanged:
            return "unchanged"
        case .patch(let patch):
            let result: any APIObject
            do {
                result = try await session.client.patch(target.resource, name: target.name, namespace: target.namespace,
                                                        mergePatch: try patch.jsonBytes())
            } catch {
                throw ContextError(error, "error when patching \(source)")
            }
            // The server writes nothing (and keeps the resourceVersion) when the merge changed nothing.
            let unchanged = result.metadata?.resourceVersion != nil
                && result.metadata?.resourceVersion == live?.metadata?.resourceVersion
            return unchanged ? "unchanged" : "configured"
        }
    }
}

/// `skiffctl create -f FILE`: the default of `create` (CreateCommands.swift).
public struct CreateFromManifestsCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "from-manifests", abstract: "Create objects from manifests; an object that exists is an error.",
        shouldDisplay: false)

    @OptionGroup public var global: GlobalOptions
    @OptionGroup public var manifests: ManifestOptions

    public init() {}

    public func perform(in session: Session) async throws {
        // Unnamed objects are allowed: the server may generate the name (metadata.generateName).
        try await manifests.sendEach(in: session, requireNames: false) { target in
            do {
                let created = try await session.client.create(target.resource, target.object, namespace: target.namespace)
                return (created.metadata?.name ?? target.name, "created")
            } catch {
                throw ContextError(error, "error when creating \"\(target.manifest.source)\"")
            }
        }
    }
}

public struct ReplaceCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "replace",
        abstract: "Replace objects with manifests, guarded by the manifest's resourceVersion when it has one.")

    @OptionGroup public var global: GlobalOptions
    @OptionGroup public var manifests: ManifestOptions

    public init() {}

    public func perform(in session: Session) async throws {
        try await manifests.sendEach(in: session, requireNames: true) { target in
            do {
                _ = try await session.client.update(target.resource, target.object)
                return (target.name, "replaced")
            } catch {
                throw ContextError(error, "error when replacing \"\(target.manifest.source)\"")
            }
        }
    }
}

/// An error with kubectl's "error when creating \"pod.yaml\"" context, printed before an API
/// error's message.
struct ContextError: Error, CustomStringConvertible {
    var underlying: any Error
    var context: String

    init(_ underlying: any Error, _ context: String) {
        self.underlying = underlying
        self.context = context
    }

    var description: String { "\(context): \(underlying)" }
}
