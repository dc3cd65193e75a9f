/// `delete`: delete objects named by manifests (`-f`), by name, by label selector or `--all`;
/// print `pod "web" deleted` for each; with `--wait`, return only once every one is gone
/// (graceful deletion and finalizers can keep an object for a while after the call).
///
/// Concurrency: deletes run one after another; the wait watches each object in turn, bounded
/// by `--timeout` when given. Must never: report an object gone while it still exists, or
/// take a new object of the same name for the deleted one (uids are compared).
import ArgumentParser
import Foundation
import SkiffAPI
import SkiffWire

public struct DeleteCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete objects by manifest, by name, by label selector, or all of a type.")

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "TYPE NAME ..., TYPE/NAME ..., or TYPE with -l or --all")
    public var arguments: [String] = []
    @Option(name: [.short, .customLong("filename")], help: "Delete the objects in these manifests.")
    public var files: [String] = []
    @Option(name: [.customShort("l"), .customLong("selector")], help: "Delete the objects matching this label selector.")
    public var selector: String?
    @Flag(name: .customLong("all"), help: "Delete every object of the type in the namespace.")
    public var all = false
    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "With -l or --all: in every namespace.")
    public var allNamespaces = false
    @Flag(help: "Wait until the objects are gone.")
    public var wait = false
    @Option(name: .customLong("timeout"), help: "With --wait: give up after this long (e.g. 30s, 2m); 0 waits forever.")
    public var timeout: String = "0"
    @Option(name: .customLong("grace-period"), help: "Seconds the object has to terminate; -1 uses its own default.")
    public var gracePeriod: Int64 = -1
    @Flag(help: "Delete with a grace period of 1 second.")
    public var now = false
    @Flag(help: "Delete immediately (grace period 0).")
    public var force = false
    @Option(help: "background, foreground or orphan: what happens to the objects this one owns.")
    public var cascade: String = "background"
    @Flag(name: .customLong("ignore-not-found"), help: "An object that does not exist is not an error.")
    public var ignoreNotFound = false

    public init() {}

    struct Target {
        var resource: ResourceInfo
        var name: String
        var namespace: String?
    }

    public func perform(in session: Session) async throws {
        let waitLimit = try parseDuration(timeout)
        let options = try deleteOptions()
        var failed = false
        var targets: [Target] = []
        if !files.isEmpty {
            guard arguments.isEmpty else { throw CtlError("when -f is given, no resource types or names may be given") }
            targets = try ManifestTarget.load(files, in: session, requireNames: true).map {
                Target(resource: $0.resource, name: $0.name, namespace: $0.namespace)
            }
        } else {
            let requests = try ResourceArguments.parse(arguments)
            for request in requests {
                let resource = request.resource
                if !request.names.isEmpty {
                    guard selector == nil, !all else { throw CtlError("names cannot be given with --selector or --all") }
                    targets += request.names.map { Target(resource: resource, name: $0, namespace: session.namespace(for: resource)) }
                    continue
                }
                guard selector != nil || all else {
                    throw CtlError("resource(s) were provided, but no name was specified (use --all to delete every \(resource.singular))")
                }
                let namespace = allNamespaces ? nil : session.namespace(for: resource)
                let listing = try await session.client.list(resource, namespace: namespace, labelSelector: selector,
                                                            fieldSelector: nil)
                targets += listing.items.map {
                    Target(resource: resource, name: $0.metadata?.name ?? "",
                           namespace: resource.namespaced ? $0.metadata?.namespace : nil)
                }
                if listing.items.isEmpty {
                    session.errors.write(line: allNamespaces || !resource.namespaced
                                         ? "No resources found" : "No resources found in \(session.namespace) namespace.")
                }
            }
        }

        var deleted: [(Target, uid: String?)] = []
        for target in targets {
            do {
                let object = try await session.client.delete(target.resource, name: target.name, namespace: target.namespace,
                                                             options: options)
                session.output.write(line: "\(target.resource.quotedName(target.name)) deleted")
                deleted.append((target, object.metadata?.uid))
            } catch {
                if ignoreNotFound && isNotFound(error) { continue }
                session.report(error)
                failed = true
            }
        }

        if wait {
            for (target, uid) in deleted {
                do {
                    try await withDeadline(waitLimit, failure: "timed out waiting for the condition on \(target.resource.plural)/\(target.name)") {
                        try await Self.waitUntilGone(target.resource, name: target.name, namespace: target.namespace,
                                                     uid: uid, client: session.client)
                    }
                } catch {
                    session.report(error)
                    failed = true
                }
            }
        }
        if failed { throw ExitCode.failure }
    }

    func deleteOptions() throws -> DeleteOptions? {
        var options = DeleteOptions()
        switch cascade {
        case "background": options.propagationPolicy = "Background"
        case "foreground": options.propagationPolicy = "Foreground"
        case "orphan": options.propagationPolicy = "Orphan"
        default: throw CtlError("invalid cascade value (\(cascade)); must be one of: background, foreground, orphan")
        }
        if force {
            options.gracePeriodSeconds = 0
        } else if now {
            options.gracePeriodSeconds = 1
        } else if gracePeriod >= 0 {
            options.gracePeriodSeconds = gracePeriod
        }
        return options
    }

    /// Returns once the object named is gone: NotFound, a DELETED change for it, or an object
    /// of that name with another uid (it was deleted and created again).
    static func waitUntilGone(_ resource: ResourceInfo, name: String, namespace: String?, uid: String?,
                              client: any ResourceClient) async throws {
        while true {
            try Task.checkCancellation()
            let current: any APIObject
            do {
                current = try await client.get(resource, name: name, namespace: namespace)
            } catch {
                if isNotFound(error) { return }
                throw error
            }
            if let uid, !uid.isEmpty, let now = current.metadata?.uid, now != uid { return }
            let changes = client.watch(resource, namespace: namespace, labelSelector: nil,
                                       fieldSelector: "metadata.name=\(name)",
                                       after: current.metadata?.resourceVersion ?? "")
            do {
                for try await change in changes where change.object.metadata?.name == name {
                    if change.kind == .deleted { return }
                }
            } catch {
                // A watch too old to resume: look again from the current state.
                guard (error as? APIError)?.reason == .expired else { throw error }
            }
        }
    }
}

/// Runs `body`, failing with `failure` when it has not finished after `limit` (nil: no limit).
func withDeadline(_ limit: Duration?, failure: String, _ body: @escaping @Sendable () async throws -> Void) async throws {
    guard let limit else {
        try await body()
        return
    }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw CtlError(failure)
        }
        defer { group.cancelAll() }
        try await group.next()
    }
}

/// "30s", "2m", "1h30m", "500ms" as a Duration; "0" (or any zero) is nil: no limit.
func parseDuration(_ text: String) throws -> Duration? {
    if text == "0" { return nil }
    var total = Duration.zero
    var number = ""
    var index = text.startIndex
    guard !text.isEmpty else { throw CtlError("invalid duration \"\(text)\"") }
    while index < text.endIndex {
        let character = text[index]
        if character.isNumber || character == "." {
            number.append(character)
            index = text.index(after: index)
            continue
        }
        var unit = String(character)
        index = text.index(after: index)
        if unit == "m", index < text.endIndex, text[index] == "s" {
            unit = "ms"
            index = text.index(after: index)
        }
        guard let value = Double(number) else { throw CtlError("invalid duration \"\(text)\"") }
        switch unit {
        case "ms": total += .milliseconds(value)
        case "s": total += .seconds(value)
        case "m": total += .seconds(value * 60)
        case "h": total += .seconds(value * 3600)
        default: throw CtlError("invalid duration \"\(text)\": unknown unit \"\(unit)\"")
        }
        number = ""
    }
    guard number.isEmpty else { throw CtlError("invalid duration \"\(text)\": missing unit") }
    return total == .zero ? nil : total
}
