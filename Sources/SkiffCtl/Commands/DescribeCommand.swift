/// `describe`: a readable view of objects with the Events about them. Events are listed with
/// a field selector on involvedObject (name, namespace, uid), then checked again here so an
/// event for an earlier object of the same name never shows up.
///
/// Concurrency: one object at a time. Must never: fail the description because the events
/// could not be listed (that is a warning line).
import ArgumentParser
import Foundation
import SkiffAPI
import SkiffWire

public struct DescribeCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "describe", abstract: "Show details of objects, with their events.")

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "TYPE [NAME ...] or TYPE/NAME ...")
    public var arguments: [String] = []
    @Option(name: [.customShort("l"), .customLong("selector")], help: "Label selector, when no names are given.")
    public var selector: String?
    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "Across all namespaces, when no names are given.")
    public var allNamespaces = false

    public init() {}

    public func perform(in session: Session) async throws {
        let requests = try ResourceArguments.parse(arguments)
        var failed = false
        var first = true
        for request in requests {
            var objects: [any APIObject] = []
            if request.names.isEmpty {
                let namespace = allNamespaces ? nil : session.namespace(for: request.resource)
                objects = try await session.client.list(request.resource, namespace: namespace,
                                                        labelSelector: selector, fieldSelector: nil).items
            } else {
                let named = await session.fetch(request.names, of: request.resource)
                objects = named.objects
                if named.failed { failed = true }
            }
            for object in objects {
                if !first { session.output.write(lines: ["", ""]) }
                first = false
                let events = await self.events(about: object, resource: request.resource, session: session)
                session.output.write(lines: ObjectDescription.lines(for: object, resource: request.resource,
                                                                    events: events, now: session.now()))
            }
        }
        if failed { throw ExitCode.failure }
    }

    func events(about object: any APIObject, resource: ResourceInfo, session: Session) async -> [Event] {
        guard let events = ResourceCatalog.resolve("events") else { return [] }
        let meta = object.metadata ?? ObjectMeta()
        let name = meta.name ?? ""
        var fields = ["involvedObject.name=\(name)"]
        if resource.namespaced { fields.append("involvedObject.namespace=\(meta.namespace ?? "")") }
        if let uid = meta.uid, !uid.isEmpty { fields.append("involvedObject.uid=\(uid)") }
        do {
            let listing = try await session.client.list(events, namespace: resource.namespaced ? meta.namespace : nil,
                                                        labelSelector: nil, fieldSelector: fields.joined(separator: ","))
            return listing.items.compactMap { $0 as? Event }.filter { event in
                let involved = event.involvedObject ?? ObjectReference()
                let sameObject = (involved.uid ?? "").isEmpty || (meta.uid ?? "").isEmpty || involved.uid == meta.uid
                return involved.name == name && sameObject
            }
        } catch {
            session.errors.write(line: "warning: cannot list the events of \(resource.slashName(name)): \(errorLine(for: error))")
            return []
        }
    }
}
