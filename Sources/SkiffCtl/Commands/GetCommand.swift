/// `get`: list or fetch objects and print them as a table (kubectl's columns), wide table,
/// YAML, JSON or names; `-w` keeps watching and prints each change as a new row.
///
/// Concurrency: fetches run one after another; a watch runs until the task is cancelled (the
/// user's ^C) or the server ends it with an error. Must never: print a row out of the order
/// the server reported the changes in.
import ArgumentParser
import Foundation
import SkiffAPI
import SkiffWire

public enum OutputFormat: String, Sendable, CaseIterable {
    case table = "", wide, yaml, json, name

    public static func parse(_ text: String?) throws -> OutputFormat {
        guard let text else { return .table }
        guard let format = OutputFormat(rawValue: text), format != .table else {
            throw CtlError("unable to match a printer suitable for the output format \"\(text)\", allowed formats are: json,name,wide,yaml")
        }
        return format
    }
}

public struct GetCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Display one or many objects.",
        discussion: "TYPE is a plural, singular or short name (po, deploy, svc, ...); several as TYPE1,TYPE2, or TYPE/NAME.")

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "TYPE [NAME ...], TYPE1,TYPE2, or TYPE/NAME ...")
    public var arguments: [String] = []
    @Option(name: [.short, .customLong("output")], help: "wide, yaml, json or name.")
    public var output: String?
    @Option(name: [.customShort("l"), .customLong("selector")], help: "Label selector, e.g. app=web,tier!=db.")
    public var selector: String?
    @Option(name: .customLong("field-selector"), help: "Field selector, e.g. status.phase=Running.")
    public var fieldSelector: String?
    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "List across all namespaces.")
    public var allNamespaces = false
    @Flag(name: [.short, .customLong("watch")], help: "After listing, watch for changes.")
    public var watch = false
    @Flag(name: .customLong("watch-only"), help: "Watch for changes without listing first.")
    public var watchOnly = false
    @Flag(name: .customLong("show-labels"), help: "Add a LABELS column.")
    public var showLabels = false
    @Flag(name: .customLong("no-headers"), help: "Print tables without their header.")
    public var noHeaders = false

    public init() {}

    struct Fetched {
        var resource: ResourceInfo
        var objects: [any APIObject]
        var resourceVersion: String
    }

    public func perform(in session: Session) async throws {
        let format = try OutputFormat.parse(output)
        let requests = try ResourceArguments.parse(arguments)
        if watch || watchOnly {
            guard requests.count == 1, requests[0].names.count <= 1 else {
                throw CtlError("you may only watch one resource type, and at most one object of it")
            }
            try await watch(requests[0], format: format, session: session)
            return
        }

        var failed = false
        var fetched: [Fetched] = []
        for request in requests {
            let namespace = allNamespaces ? nil : session.namespace(for: request.resource)
            if request.names.isEmpty {
                let listing = try await session.client.list(request.resource, namespace: namespace,
                                                            labelSelector: selector, fieldSelector: fieldSelector)
                fetched.append(Fetched(resource: request.resource, objects: listing.items,
                                       resourceVersion: listing.resourceVersion))
            } else {
                let named = await session.fetch(request.names, of: request.resource)
                if named.failed { failed = true }
                fetched.append(Fetched(resource: request.resource, objects: named.objects, resourceVersion: ""))
            }
        }

        let single = requests.count == 1 && requests[0].names.count == 1
        try write(fetched, format: format, single: single, session: session)
        let namedSome = requests.contains { !$0.names.isEmpty }
        if fetched.allSatisfy({ $0.objects.isEmpty }) && !namedSome && (format == .table || format == .wide) {
            session.errors.write(line: noResourcesLine(requests.map(\.resource), session: session))
        }
        if failed { throw ExitCode.failure }
    }

    func write(_ fetched: [Fetched], format: OutputFormat, single: Bool, session: Session) throws {
        let now = session.now()
        switch format {
        case .table, .wide:
            var first = true
            for group in fetched where !group.objects.isEmpty {
                if !first { session.output.write(line: "") }
                first = false
                var options = tableOptions(group.resource, format: format)
                options.kindInName = fetched.count > 1
                let table = ObjectTable.table(group.objects, resource: group.resource, now: now, options: options)
                session.output.write(lines: TableLayout.render(table, headers: !noHeaders))
            }
        case .name:
            for group in fetched {
                for object in group.objects { session.output.write(line: group.resource.slashName(object.metadata?.name ?? "")) }
            }
        case .yaml, .json:
            let objects = fetched.flatMap(\.objects)
            if objects.isEmpty && !single && fetched.allSatisfy({ $0.resourceVersion.isEmpty }) { return }
            let document = single && objects.count == 1 ? try JSONValue(encoding: objects[0]) : try ObjectDocuments.list(objects)
            let text = format == .yaml ? try ObjectDocuments.yaml(document) : ObjectDocuments.json(document)
            session.output.write(line: text)
        }
    }

    func tableOptions(_ resource: ResourceInfo, format: OutputFormat) -> TableOptions {
        TableOptions(wide: format == .wide, withNamespace: allNamespaces && resource.namespaced, showLabels: showLabels)
    }

    /// "No resources found in default namespace." or, across namespaces, "No resources found".
    func noResourcesLine(_ resources: [ResourceInfo], session: Session) -> String {
        if allNamespaces || !resources.contains(where: \.namespaced) { return "No resources found" }
        return "No resources found in \(session.namespace) namespace."
    }

    // MARK: watch

    func watch(_ request: ResourceRequest, format: OutputFormat, session: Session) async throws {
        let resource = request.resource
        let namespace = allNamespaces ? nil : session.namespace(for: resource)
        var fields = fieldSelector
        if let name = request.names.first {
            fields = ["metadata.name=\(name)", fieldSelector].compactMap { $0 }.joined(separator: ",")
        }
        let listing = try await session.client.list(resource, namespace: namespace, labelSelector: selector,
                                                    fieldSelector: fields)
        let options = tableOptions(resource, format: format)
        var layout = TableLayout()
        var headerPrinted = noHeaders
        func emit(_ objects: [any APIObject]) throws {
            switch format {
            case .table, .wide:
                var rows = objects.map { ObjectTable.row(for: $0, resource: resource, now: session.now(), options: options) }
                if !headerPrinted {
                    rows.insert(ObjectTable.header(for: resource, options: options), at: 0)
                    headerPrinted = true
                }
                session.output.write(lines: layout.lines(for: rows))
            case .name:
                for object in objects { session.output.write(line: resource.slashName(object.metadata?.name ?? "")) }
            case .yaml:
                for object in objects { session.output.write(line: "---\n" + (try ObjectDocuments.yaml(object))) }
            case .json:
                for object in objects { session.output.write(line: try ObjectDocuments.json(object)) }
            }
        }
        if !watchOnly {
            if listing.items.isEmpty {
                session.errors.write(line: noResourcesLine([resource], session: session))
            } else {
                try emit(listing.items)
            }
        }
        let changes = session.client.watch(resource, namespace: namespace, labelSelector: selector,
                                           fieldSelector: fields, after: listing.resourceVersion)
        for try await change in changes {
            try emit([change.object])
        }
    }
}
