/// `patch`, `label`, `annotate` and `scale`: the commands that change part of a live object.
/// patch sends the user's JSON merge patch; label and annotate build one from `k=v`/`k-`
/// after checking the object's current values (no silent overwrite without --overwrite);
/// scale writes the scale subresource.
///
/// Concurrency: one object at a time. Must never: send a patch the user did not write or agree to.
import ArgumentParser
import Foundation
import SkiffAPI
import SkiffWire
import Yams

/// TYPE NAME..., or TYPE/NAME...: the objects an edit command works on (names required).
func namedObjects(_ arguments: [String]) throws -> [(ResourceInfo, String)] {
    let requests = try ResourceArguments.parse(arguments)
    let pairs = requests.flatMap { request in request.names.map { (request.resource, $0) } }
    guard !pairs.isEmpty else { throw CtlError("resource name may not be empty") }
    return pairs
}

public struct PatchCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "patch", abstract: "Change fields of an object with a JSON merge patch.",
        discussion: "The patch may be written as JSON or YAML, e.g. -p '{\"spec\":{\"replicas\":3}}'.")

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "TYPE NAME or TYPE/NAME")
    public var arguments: [String] = []
    @Option(name: [.short, .customLong("patch")], help: "The merge patch.")
    public var patch: String
    @Option(help: "The patch type; only merge is served.")
    public var type: String = "merge"
    @Option(name: [.short, .customLong("output")], help: "name: print only kind/name.")
    public var output: String?

    public init() {}

    public func perform(in session: Session) async throws {
        guard type == "merge" else {
            throw CtlError("--type \(type) is not supported: the apiserver serves JSON merge patches (--type merge)")
        }
        let nameOnly = try isNameOutput(output)
        let document = try Self.parsePatch(patch)
        let targets = try namedObjects(arguments)
        var failed = false
        for (resource, name) in targets {
            do {
                let namespace = session.namespace(for: resource)
                let before = try await session.client.get(resource, name: name, namespace: namespace)
                let after = try await session.client.patch(resource, name: name, namespace: namespace,
                                                           mergePatch: try document.jsonBytes())
                let unchanged = after.metadata?.resourceVersion == before.metadata?.resourceVersion
                session.output.write(line: resultLine(resource, name, unchanged ? "patched (no change)" : "patched",
                                                      nameOnly: nameOnly))
            } catch {
                session.report(error)
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }

    /// The patch text (JSON is YAML) as a JSON object.
    static func parsePatch(_ text: String) throws -> JSONValue {
        let node: Yams.Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw CtlError("unable to parse \"\(text)\": \(ManifestLoader.describe(error))")
        }
        guard let node, case .mapping = node else {
            throw CtlError("unable to parse \"\(text)\": a merge patch must be a JSON object")
        }
        return try JSONValue(yaml: node)
    }
}

/// `label` and `annotate`: one implementation, two targets.
struct MetadataEditor {
    var target: MetadataEdits.Target
    var arguments: [String]
    var overwrite: Bool
    var selector: String?
    var all: Bool

    func perform(in session: Session) async throws {
        let resourceArguments = arguments.filter { !MetadataEdits.isEdit($0) }
        let edits = try MetadataEdits.parse(arguments.filter(MetadataEdits.isEdit), for: target)
        var objects: [(ResourceInfo, String)] = []
        let requests = try ResourceArguments.parse(resourceArguments)
        for request in requests {
            if !request.names.isEmpty {
                objects += request.names.map { (request.resource, $0) }
            } else if selector != nil || all {
                let listing = try await session.client.list(request.resource, namespace: session.namespace(for: request.resource),
                                                            labelSelector: selector, fieldSelector: nil)
                objects += listing.items.map { (request.resource, $0.metadata?.name ?? "") }
            }
        }
        guard !objects.isEmpty || selector != nil || all else { throw CtlError("resource name may not be empty") }
        var failed = false
        for (resource, name) in objects {
            do {
                let namespace = session.namespace(for: resource)
                let current = try await session.client.get(resource, name: name, namespace: namespace)
                let meta = current.metadata ?? ObjectMeta()
                let members = try edits.patchMembers(current: target == .labels ? meta.labels : meta.annotations,
                                                     overwrite: overwrite)
                if members.isEmpty {
                    session.output.write(line: "\(resource.slashName(name)) not \(target.verb)")
                    continue
                }
                let patch = MetadataEdits.patch(members, target: target)
                _ = try await session.client.patch(resource, name: name, namespace: namespace, mergePatch: try patch.jsonBytes())
                session.output.write(line: "\(resource.slashName(name)) \(target.verb)")
            } catch {
                session.report(error)
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }
}

public struct LabelCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "label", abstract: "Set or remove labels: TYPE NAME key=value key2- ...")

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "TYPE NAME ... (or TYPE/NAME ...) then key=value to set and key- to remove.")
    public var arguments: [String] = []
    @Flag(help: "Allow changing a label that already has a different value.")
    public var overwrite = false
    @Option(name: [.customShort("l"), .customLong("selector")], help: "Label the objects matching this selector.")
    public var selector: String?
    @Flag(help: "Label every object of the type in the namespace.")
    public var all = false

    public init() {}

    public func perform(in session: Session) async throws {
        try await MetadataEditor(target: .labels, arguments: arguments, overwrite: overwrite, selector: selector, all: all)
            .perform(in: session)
    }
}

public struct AnnotateCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "annotate", abstract: "Set or remove annotations: TYPE NAME key=value key2- ...")

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "TYPE NAME ... (or TYPE/NAME ...) then key=value to set and key- to remove.")
    public var arguments: [String] = []
    @Flag(help: "Allow changing an annotation that already has a different value.")
    public var overwrite = false
    @Option(name: [.customShort("l"), .customLong("selector")], help: "Annotate the objects matching this selector.")
    public var selector: String?
    @Flag(help: "Annotate every object of the type in the namespace.")
    public var all = false

    public init() {}

    public func perform(in session: Session) async throws {
        try await MetadataEditor(target: .annotations, arguments: arguments, overwrite: overwrite, selector: selector,
                                 all: all).perform(in: session)
    }
}

public struct ScaleCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "scale", abstract: "Set the replica count of a deployment, replica set, replication controller or stateful set.")

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "TYPE NAME ... or TYPE/NAME ...")
    public var arguments: [String] = []
    @Option(help: "The new replica count.")
    public var replicas: Int32
    @Option(name: .customLong("current-replicas"), help: "Only scale when the current count is this.")
    public var currentReplicas: Int32?

    public init() {}

    public func perform(in session: Session) async throws {
        guard replicas >= 0 else { throw CtlError("the --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0") }
        let targets = try namedObjects(arguments)
        var failed = false
        for (resource, name) in targets {
            do {
                guard resource.subresources.contains("scale") else {
                    throw CtlError("\(resource.groupResource) cannot be scaled")
                }
                let namespace = session.namespace
                if let currentReplicas {
                    let scale = try await session.client.getScale(resource, name: name, namespace: namespace)
                    let current = scale.spec?.replicas ?? 0
                    guard current == currentReplicas else {
                        throw CtlError("Expected replicas to be \(currentReplicas), was \(current)")
                    }
                }
                _ = try await session.client.updateScale(resource, name: name, namespace: namespace, replicas: replicas)
                session.output.write(line: "\(resource.slashName(name)) scaled")
            } catch {
                session.report(error)
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }
}
