/// `skiffctl auth can-i VERB RESOURCE[/SUBRESOURCE] [NAME] [-n NS] [--as USER]`: asks the
/// apiserver's authorizers whether the caller (a SelfSubjectAccessReview) or another user (a
/// SubjectAccessReview, which needs permission to create those) may do something, and prints
/// "yes" (exit 0) or "no" (exit 1), as kubectl does.
///
/// Concurrency: one command on the main task. Must never: answer "yes" without the server's
/// allowed: true.
import ArgumentParser
import SkiffAPI
import SkiffWire

public struct AuthCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "auth", abstract: "Inspect authorization.", subcommands: [CanICommand.self])
    public init() {}
}

public struct CanICommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "can-i", abstract: "Check whether an action is allowed.",
        discussion: "skiffctl auth can-i create deployments -n shop; skiffctl auth can-i get secrets --as alice; skiffctl auth can-i get pods/log; skiffctl auth can-i delete pod web")

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "get, list, watch, create, update, patch, delete, deletecollection or *.") public var verb: String
    @Argument(help: "RESOURCE, RESOURCE.GROUP, RESOURCE/SUBRESOURCE or TYPE/NAME.") public var resource: String
    @Argument(help: "The object's name.") public var name: String?
    @Option(help: "Ask for this user instead of yourself.") public var `as`: String?
    @Option(name: .customLong("as-group"), help: "A group of the --as user (repeatable).") public var asGroups: [String] = []
    @Flag(name: [.short, .customLong("all-namespaces")], help: "Ask about every namespace.") public var allNamespaces = false
    @Flag(name: [.short, .customLong("quiet")], help: "Print nothing; only the exit status answers.") public var quiet = false

    public init() {}
    enum CodingKeys: CodingKey { case global, verb, resource, name, `as`, asGroups, allNamespaces, quiet }

    public func perform(in session: Session) async throws {
        var attributes = try Self.attributes(verb: verb, resource: resource, name: name)
        if !allNamespaces, attributes.namespaced { attributes.review.namespace = session.namespace }
        if !attributes.known {
            session.errors.write(line: "Warning: the server doesn't have a resource type '\(attributes.review.resource ?? "")'")
        }
        let status = try await session.client.reviewAccess(attributes.review, user: `as`, groups: asGroups)
        if !quiet { session.output.write(line: status.allowed == true ? "yes" : "no") }
        guard status.allowed == true else { throw ExitCode.failure }
    }

    /// The review's resource attributes from kubectl's argument forms, and whether the
    /// resource is one Skiff serves (and is namespaced).
    static func attributes(verb: String, resource: String,
                           name: String?) throws -> (review: ResourceAttributes, known: Bool, namespaced: Bool) {
        var review = ResourceAttributes(verb: verb, name: name)
        var type = resource
        // TYPE/NAME names an object unless the part after the slash is a subresource.
        if let slash = resource.firstIndex(of: "/") {
            type = String(resource[..<slash])
            let rest = String(resource[resource.index(after: slash)...])
            if let info = ResourceCatalog.resolve(type), info.subresources.contains(rest) || ["log", "exec"].contains(rest) {
                review.subresource = rest
            } else {
                guard name == nil else { throw CtlError("there is no need to specify a resource name as a separate argument when passing arguments in resource/name form") }
                review.name = rest
            }
        }
        guard type != "*" else {
            review.resource = "*"
            review.group = "*"
            return (review, true, true)
        }
        if let info = ResourceCatalog.resolve(type) {
            review.resource = info.plural
            review.group = info.group
            return (review, true, info.namespaced)
        }
        let parts = type.split(separator: ".", maxSplits: 1).map(String.init)
        review.resource = parts[0]
        review.group = parts.count > 1 ? parts[1] : ""
        return (review, false, true)
    }
}
