/// ManifestLoader: `-f FILE|DIR|-` into typed objects. YAML (several documents split by
/// `---`) or JSON; `kind: List` (and typed lists such as `PodList`) contribute their items; a
/// directory contributes its .json/.yaml/.yml files in name order; `-` is standard input.
/// Each object is found in the catalog by apiVersion and kind and decoded strictly by the
/// generated Codable, so a typo or a wrong type is an error naming the file, the object and
/// the field: `deploy.yaml: Deployment "web": spec.replicas: expected Int32, got "three"`.
///
/// Concurrency: pure apart from reading the files named. Must never: return a partial result:
/// one bad document fails the whole load, so a command sends nothing for a bad file.
import Foundation
import SkiffAPI
import SkiffWire
import Yams

/// One object from a manifest, with where it came from.
public struct ManifestObject: Sendable {
    /// The file as the user named it ("deploy.yaml", "manifests/web.yaml", "STDIN").
    public var source: String
    public var resource: ResourceInfo
    public var object: any APIObject

    public var name: String { object.metadata?.name ?? "" }
    /// metadata.namespace as the manifest sets it, nil when unset.
    public var namespace: String? {
        guard let namespace = object.metadata?.namespace, !namespace.isEmpty else { return nil }
        return namespace
    }
}

public enum ManifestLoader {
    static let extensions: Set<String> = ["json", "yaml", "yml"]

    /// Every object in `paths`, in order. `standardInput` supplies the text of `-`.
    public static func load(_ paths: [String],
                            standardInput: () throws -> String = readStandardInput) throws -> [ManifestObject] {
        var objects: [ManifestObject] = []
        for path in paths {
            if path == "-" {
                objects += try parse(try standardInput(), source: "STDIN")
                continue
            }
            for file in try files(at: path) {
                guard let data = FileManager.default.contents(atPath: file),
                      let text = String(data: data, encoding: .utf8) else {
                    throw CtlError("\(file): cannot be read as UTF-8 text")
                }
                objects += try parse(text, source: file)
            }
        }
        return objects
    }

    /// The manifest files a path names: itself, or a directory's manifests in name order.
    public static func files(at path: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CtlError("the path \"\(path)\" does not exist")
        }
        guard isDirectory.boolValue else { return [path] }
        let names = try FileManager.default.contentsOfDirectory(atPath: path)
            .filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted()
        if names.isEmpty {
            throw CtlError("no manifests in \"\(path)\" (recognized file extensions are .json, .yaml, .yml)")
        }
        let directory = path.hasSuffix("/") ? String(path.dropLast()) : path
        return names.map { "\(directory)/\($0)" }
    }

    /// The objects in one file's text. `source` prefixes every error.
    public static func parse(_ text: String, source: String) throws -> [ManifestObject] {
        var documents: [Yams.Node] = []
        do {
            var sequence = try Yams.compose_all(yaml: text)
            while let document = sequence.next() { documents.append(document) }
            // The sequence stops at a syntax error and keeps it rather than throwing.
            if let error = sequence.error { throw error }
        } catch let error as YamlError {
            throw CtlError("\(source): \(describe(error))")
        }
        var objects: [ManifestObject] = []
        var index = 0
        for document in documents {
            index += 1
            if case .scalar(let scalar) = document, document.tag.rawValue == Tag.Name.null.rawValue || scalar.string.isEmpty { continue }
            objects += try objectsIn(document, source: source, subject: "document \(index)")
        }
        return objects
    }

    // MARK: documents

    private static func objectsIn(_ node: Yams.Node, source: String, subject: String) throws -> [ManifestObject] {
        guard case .mapping = node else {
            throw CtlError("\(source): \(subject): expected an object with apiVersion and kind, got \(describe(node))")
        }
        let kind = node["kind"]?.string ?? ""
        let apiVersion = node["apiVersion"]?.string ?? ""
        let named = self.subject(of: node, kind: kind, fallback: subject)
        guard !kind.isEmpty else { throw CtlError("\(source): \(subject): kind not set") }
        guard !apiVersion.isEmpty else { throw CtlError("\(source): \(named): apiVersion not set") }

        if kind == "List" || (kind.hasSuffix("List")
                              && ResourceCatalog.resource(apiVersion: apiVersion, kind: String(kind.dropLast(4))) != nil) {
            for key in node.mapping?.keys.compactMap(\.string) ?? [] where !["apiVersion", "kind", "metadata", "items"].contains(key) {
                throw CtlError("\(source): \(named): \(key): unknown field \"\(key)\"")
            }
            guard let items = node["items"] else { return [] }
            guard case .sequence(let sequence) = items else {
                throw CtlError("\(source): \(named): items: expected a list, got \(describe(items))")
            }
            var objects: [ManifestObject] = []
            for (offset, item) in sequence.enumerated() {
                objects += try objectsIn(item, source: source, subject: "\(named) item \(offset)")
            }
            return objects
        }

        guard let resource = ResourceCatalog.resource(apiVersion: apiVersion, kind: kind) else {
            throw CtlError("\(source): \(named): no matches for kind \"\(kind)\" in version \"\(apiVersion)\"")
        }
        // Through JSON, so types are as strict as Kubernetes': `name: 3` is a number, not a string.
        let json: JSONValue
        do {
            json = try JSONValue(yaml: node)
        } catch let error as CtlError {
            throw CtlError("\(source): \(named): \(error.message)")
        }
        do {
            let object = try decodeObject(resource, from: json)
            return [ManifestObject(source: source, resource: resource, object: object)]
        } catch let error as DecodingError {
            throw CtlError("\(source): \(named): \(describe(error, in: json))")
        }
    }

    /// `Deployment "web"` when the object is named, else the document's place.
    private static func subject(of node: Yams.Node, kind: String, fallback: String) -> String {
        if let name = node["metadata"]?["name"]?.string, !name.isEmpty {
            return "\(kind.isEmpty ? "object" : kind) \"\(name)\""
        }
        return kind.isEmpty ? fallback : "\(fallback) (\(kind))"
    }

    // MARK: error wording

    /// "spec.replicas: expected Int32, got \"three\"", with the value found in the document.
    static func describe(_ error: DecodingError, in document: JSONValue) -> String {
        switch error {
        case .typeMismatch(let type, let context):
            let found = value(at: context.codingPath, in: document).map(describe) ?? "nothing"
            return "\(path(context.codingPath)): expected \(typeName(type)), got \(found)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type)), got null"
        default:
            return error.fieldDescription
        }
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return "invalid YAML: line \(mark.line), column \(mark.column): \(problem)"
        case .duplicatedKeysInMapping(let duplicates, let context):
            return "invalid YAML: line \(context.mark.line): duplicate keys \(duplicates.joined(separator: ", "))"
        default:
            return "invalid YAML: " + "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
        }
    }

    /// How a document's value reads in a message: `"three"` for a string, `3.5`, `a map`, `a list`.
    static func describe(_ node: Yams.Node) -> String {
        switch node {
        case .scalar(let scalar):
            switch node.tag.rawValue {
            case Tag.Name.str.rawValue: return "\"\(scalar.string)\""
            case Tag.Name.null.rawValue: return "null"
            default: return scalar.string
            }
        case .mapping: return "a map"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// How a value reads in a message.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): "\"\(text)\""
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .int(let number): String(number)
        case .uint(let number): String(number)
        case .double(let number): String(number)
        case .object: "a map"
        case .array: "a list"
        }
    }

    private static func value(at path: [any CodingKey], in document: JSONValue) -> JSONValue? {
        var current = document
        for key in path {
            if let index = key.intValue {
                guard case .array(let items) = current, index < items.count else { return nil }
                current = items[index]
            } else {
                guard let next = current[key.stringValue] else { return nil }
                current = next
            }
        }
        return current
    }

    static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
        }
        return text.isEmpty ? "(root)" : text
    }

    private static func typeName(_ type: Any.Type) -> String {
        let name = "\(type)"
        if name.hasPrefix("Dictionary<") { return "a map" }
        if name.hasPrefix("Array<") { return "a list" }
        return name
    }
}

/// All of standard input as text.
public func readStandardInput() throws -> String {
    let data = FileHandle.standardInput.readDataToEndOfFile()
    guard let text = String(data: data, encoding: .utf8) else { throw CtlError("STDIN: not UTF-8 text") }
    return text
}
