/// ObjectDocuments: `-o yaml`, `-o json` and `-o name` output. Objects print as Kubernetes
/// prints them, apiVersion and kind included (the generated Codable writes both), keys in
/// alphabetical order as kubectl's YAML has them; several objects print as one `kind: List`.
/// JSON is indented by four spaces with `"key": value`, as kubectl writes it.
///
/// Concurrency: pure functions. Must never: lose an integer's exact value on the way through.
import Foundation
import SkiffAPI
import SkiffWire
import Yams

public enum ObjectDocuments {
    /// The `kind: List` wrapper kubectl prints around several objects.
    public static func list(_ objects: [any APIObject]) throws -> JSONValue {
        .object(["apiVersion": .string("v1"), "kind": .string("List"),
                 "items": .array(try objects.map { try JSONValue(encoding: $0) }),
                 "metadata": .object(["resourceVersion": .string("")])])
    }

    /// One object's YAML, ending without a newline.
    public static func yaml(_ object: any APIObject) throws -> String {
        try yaml(JSONValue(encoding: object))
    }

    public static func yaml(_ document: JSONValue) throws -> String {
        let encoder = YAMLEncoder()
        encoder.options.sortKeys = true
        encoder.options.width = -1
        var text = try encoder.encode(document)
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    public static func json(_ object: any APIObject) throws -> String {
        json(try JSONValue(encoding: object))
    }

    /// Pretty JSON, four spaces deep, keys sorted.
    public static func json(_ document: JSONValue) -> String {
        var text = ""
        write(document, indent: 0, into: &text)
        return text
    }

    private static func write(_ value: JSONValue, indent: Int, into text: inout String) {
        let inner = String(repeating: " ", count: indent + 4)
        let outer = String(repeating: " ", count: indent)
        switch value {
        case .null: text += "null"
        case .bool(let flag): text += flag ? "true" : "false"
        case .int(let number): text += String(number)
        case .uint(let number): text += String(number)
        case .double(let number):
            text += number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .string(let string): text += quoted(string)
        case .array(let items):
            if items.isEmpty { text += "[]"; return }
            text += "[\n"
            for (index, item) in items.enumerated() {
                text += inner
                write(item, indent: indent + 4, into: &text)
                text += index == items.count - 1 ? "\n" : ",\n"
            }
            text += outer + "]"
        case .object(let members):
            if members.isEmpty { text += "{}"; return }
            text += "{\n"
            let sorted = members.sorted { $0.key < $1.key }
            for (index, member) in sorted.enumerated() {
                text += inner + quoted(member.key) + ": "
                write(member.value, indent: indent + 4, into: &text)
                text += index == sorted.count - 1 ? "\n" : ",\n"
            }
            text += outer + "}"
        }
    }

    /// A JSON string literal.
    static func quoted(_ string: String) -> String {
        var text = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "<": text += "\\u003c"
            case ">": text += "\\u003e"
            case "&": text += "\\u0026"
            default:
                if scalar.value < 0x20 {
                    text += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                        + String(scalar.value, radix: 16)
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        return text + "\""
    }
}
