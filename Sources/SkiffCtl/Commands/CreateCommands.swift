/// `skiffctl create`: objects from manifests (`create -f FILE`), or one object from flags as
/// kubectl's generators make it: `create secret generic|tls`, `create configmap`, `create
/// namespace`; `--dry-run=client -o yaml` prints the object instead of sending it (kubectl's way
/// to start a manifest). The pure step, from the flags and the files they name to the object, is
/// `DataSources`; the commands only send it.
///
/// Concurrency: one command, one task. Must never: send an object when a source is malformed,
/// missing or repeats a key (nothing is created then), or print a secret's values.
import ArgumentParser
import Foundation
import SkiffAPI
import SkiffWire

public struct CreateCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create objects from manifests, or a secret, config map or namespace from flags.",
        usage: """
            skiffctl create -f FILE [-f FILE ...]    (an object that exists is an error)
            skiffctl create secret generic NAME [--type T] [--from-literal K=V] [--from-file [K=]PATH]
            skiffctl create secret tls NAME --cert PATH --key PATH
            skiffctl create configmap NAME [--from-literal K=V] [--from-file [K=]PATH]
            skiffctl create namespace NAME
              (each with [--dry-run=client] [-o yaml|json|name])
            """,
        subcommands: [CreateFromManifestsCommand.self, CreateSecretCommand.self, CreateConfigMapCommand.self,
                      CreateNamespaceCommand.self],
        defaultSubcommand: CreateFromManifestsCommand.self)
    public init() {}
}

public struct CreateSecretCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "secret", abstract: "Create a secret.", subcommands: [CreateGenericSecretCommand.self, CreateTLSSecretCommand.self])
    public init() {}
}

/// `skiffctl create secret generic NAME [--type T] [--from-literal K=V]... [--from-file [K=]PATH]...`
public struct CreateGenericSecretCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "generic", abstract: "Create a secret from literal values, files or directories.")

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "The secret's name.")
    public var name: String
    @OptionGroup public var sources: DataSourceOptions
    @Option(help: "The secret's type (default Opaque).")
    public var type: String?
    @OptionGroup public var output: CreateOutputOptions

    public init() {}

    public func perform(in session: Session) async throws {
        let entries = try sources.read()
        let secret = Secret(metadata: ObjectMeta(name: name), data: entries, type: type ?? "Opaque")
        try await output.create(secret, plural: "secrets", in: session)
    }
}

/// `skiffctl create secret tls NAME --cert PATH --key PATH`: a kubernetes.io/tls Secret holding
/// tls.crt and tls.key.
public struct CreateTLSSecretCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tls", abstract: "Create a TLS secret from a PEM certificate and its key.")

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "The secret's name.")
    public var name: String
    @Option(help: "The PEM certificate (chain) file.")
    public var cert: String
    @Option(help: "The PEM private key file.")
    public var key: String
    @OptionGroup public var output: CreateOutputOptions

    public init() {}

    public func perform(in session: Session) async throws {
        var data: [String: [UInt8]] = [:]
        for (entry, path, marker) in [("tls.crt", cert, "CERTIFICATE"), ("tls.key", key, "PRIVATE KEY")] {
            guard let bytes = FileManager.default.contents(atPath: path) else {
                throw CtlError("error reading \(path): no such file or directory")
            }
            // Kubernetes checks the pair parses; a PEM block of the right kind is the least of it.
            guard String(decoding: bytes, as: UTF8.self).contains("-----BEGIN "), String(decoding: bytes, as: UTF8.self).contains(marker) else {
                throw CtlError("failed to load key pair: \(path) holds no PEM \(marker.lowercased()) block")
            }
            data[entry] = [UInt8](bytes)
        }
        let secret = Secret(metadata: ObjectMeta(name: name), data: data, type: "kubernetes.io/tls")
        try await output.create(secret, plural: "secrets", in: session)
    }
}

/// `skiffctl create configmap NAME [--from-literal K=V]... [--from-file [K=]PATH]...`: text
/// values go in data, anything not UTF-8 in binaryData.
public struct CreateConfigMapCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "configmap", abstract: "Create a config map from literal values, files or directories.",
        aliases: ["cm"])

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "The config map's name.")
    public var name: String
    @OptionGroup public var sources: DataSourceOptions
    @OptionGroup public var output: CreateOutputOptions

    public init() {}

    public func perform(in session: Session) async throws {
        var configMap = ConfigMap(metadata: ObjectMeta(name: name))
        for (key, value) in try sources.read() {
            if let text = String(validating: value, as: UTF8.self) { configMap.data[key] = text } else { configMap.binaryData[key] = value }
        }
        try await output.create(configMap, plural: "configmaps", in: session)
    }
}

/// `skiffctl create namespace NAME`
public struct CreateNamespaceCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "namespace", abstract: "Create a namespace.", aliases: ["ns"])

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "The namespace's name.")
    public var name: String
    @OptionGroup public var output: CreateOutputOptions

    public init() {}

    public func perform(in session: Session) async throws {
        try await output.create(Namespace(metadata: ObjectMeta(name: name)), plural: "namespaces", in: session)
    }
}

/// `--dry-run` and `-o` of the create-from-flags commands.
public struct CreateOutputOptions: ParsableArguments {
    @Option(name: .customLong("dry-run"), help: "none (send it) or client (print it, send nothing).")
    public var dryRun: String = "none"
    @Option(name: [.customShort("o"), .customLong("output")], help: "yaml, json or name (default: KIND/NAME created).")
    public var format: String?

    public init() {}

    /// Creates `object` in the session's namespace (when namespaced), or only prints it with
    /// --dry-run=client, in the format asked for.
    func create(_ object: any APIObject, plural: String, in session: Session) async throws {
        guard ["none", "client"].contains(dryRun) else {
            throw CtlError("Invalid dry-run value (\(dryRun)): only none and client are supported")
        }
        guard format == nil || ["yaml", "json", "name"].contains(format ?? "") else {
            throw CtlError("unable to match a printer suitable for the output format \"\(format ?? "")\", allowed formats are: json,name,yaml")
        }
        guard let resource = ResourceCatalog.resource(group: "", plural: plural) else { throw CtlError("no resource \(plural)") }
        var result = object
        if dryRun == "none" {
            result = try await session.client.create(resource, object, namespace: resource.namespaced ? session.namespace : nil)
        } else if resource.namespaced, session.namespaceGiven, var metadata = result.metadata {
            metadata.namespace = session.namespace
            result.metadata = metadata
        }
        let name = resource.slashName(result.metadata?.name ?? "")
        switch format {
        case "yaml": session.output.write(line: try ObjectDocuments.yaml(result))
        case "json": session.output.write(line: try ObjectDocuments.json(result))
        case "name": session.output.write(line: name)
        default: session.output.write(line: dryRun == "client" ? "\(name) created (dry run)" : "\(name) created")
        }
    }
}

/// The `--from-literal` and `--from-file` flags of `create secret generic` and `create configmap`.
public struct DataSourceOptions: ParsableArguments {
    @Option(name: .customLong("from-literal"), help: "KEY=VALUE, one entry (repeatable).")
    public var literals: [String] = []
    @Option(name: .customLong("from-file"),
            help: "[KEY=]PATH: a file's bytes under its base name (or KEY); a directory: each regular file in it (repeatable).")
    public var files: [String] = []

    public init() {}

    /// Every entry, keyed; throws naming the first bad source, so nothing is sent.
    func read() throws -> [String: [UInt8]] {
        try DataSources(literals: literals, files: files).entries()
    }
}

/// The entries that literals and files make, as kubectl reads them: a key appears once and
/// is a valid config key (letters, digits, '-', '_', '.'; not "." or ".."); a file's key is
/// its base name unless one is given; a directory gives its regular files (not recursing).
struct DataSources {
    var literals: [String]
    var files: [String]
    var contents: (String) -> Data? = { FileManager.default.contents(atPath: $0) }
    var directoryListing: (String) -> [String]? = { path in
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        return (try? FileManager.default.contentsOfDirectory(atPath: path))?.sorted()
    }

    func entries() throws -> [String: [UInt8]] {
        var entries: [String: [UInt8]] = [:]
        func add(_ key: String, _ value: [UInt8]) throws {
            try Self.validate(key)
            guard entries[key] == nil else { throw CtlError("cannot add key \(key), another key by that name already exists") }
            entries[key] = value
        }
        for literal in literals {
            guard let equals = literal.firstIndex(of: "="), equals != literal.startIndex else {
                throw CtlError("invalid literal source \(literal), expected key=value")
            }
            try add(String(literal[..<equals]), Array(literal[literal.index(after: equals)...].utf8))
        }
        for source in files {
            var key: String?
            var path = source
            if let equals = source.firstIndex(of: "=") {
                key = String(source[..<equals])
                path = String(source[source.index(after: equals)...])
                guard key?.isEmpty == false, !path.isEmpty else {
                    throw CtlError("key names or file paths cannot contain '=': \(source)")
                }
            }
            if let names = directoryListing(path) {
                guard key == nil else { throw CtlError("cannot give a key name for a directory path: \(source)") }
                for name in names {
                    let file = (path as NSString).appendingPathComponent(name)
                    guard directoryListing(file) == nil, let data = contents(file) else { continue }
                    try add(name, [UInt8](data))
                }
                continue
            }
            guard let data = contents(path) else { throw CtlError("error reading \(path): no such file or directory") }
            try add(key ?? (path as NSString).lastPathComponent, [UInt8](data))
        }
        return entries
    }

    /// Kubernetes' IsConfigMapKey.
    static func validate(_ key: String) throws {
        let allowed = key.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        guard !key.isEmpty, key.utf8.count <= 253, allowed, key != ".", key != ".." else {
            throw CtlError("\"\(key)\" is not a valid key name: a valid config key must consist of alphanumeric characters, '-', '_' or '.'")
        }
    }
}
