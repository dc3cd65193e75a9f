/// SelectorHarnesses: label and field selector parsing, as every list and watch request's
/// query carries them. A selector prints in the syntax it parses from, and clients send the
/// printed form, so printing then parsing must give the same selector back.
///
/// Concurrency: pure. Must never: match against objects from outside the harness.
import SkiffAPI

enum SelectorHarnesses {
    /// Letters, digits and `._-/[]`: what `metadata.name` or `spec.containers[0].name` is made of.
    static func isFieldPath(_ field: String) -> Bool {
        field.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7a) || Array("._-/[]".utf8).contains(byte)
        }
    }

    static let labels: [[String: String]] = [[:], ["app": "web", "tier": "front"], ["app": "db", "replicas": "3"]]

    static let labelSelector = FuzzHarness("label-selector", "LabelQuery.parse; the printed query parses back to an equal one") { bytes in
        guard let query = try? LabelQuery.parse(String(decoding: bytes, as: UTF8.self)) else { return false }
        let printed = query.description
        let again: LabelQuery
        do { again = try LabelQuery.parse(printed) } catch {
            fatalError("label-selector: printed query \(printed.debugDescription) does not parse: \(error)")
        }
        FuzzInvariant.check(again == query, "label-selector", "\(printed.debugDescription) parses to another query")
        for set in labels { _ = query.matches(set) }
        return true
    }

    static let fieldSelector = FuzzHarness("field-selector", "FieldSelector.parse; the printed selector parses back to an equal one") { bytes in
        guard let selector = try? FieldSelector.parse(String(decoding: bytes, as: UTF8.self)) else { return false }
        // Fields are not escaped (nor in Kubernetes): a field ending in "!" prints as "a!=v",
        // which reads as `a != v`, and one ending in "\\" escapes the operator. No such field
        // exists, so validation refuses every reading; the round trip is promised for fields
        // written in field-path characters.
        guard selector.terms.allSatisfy({ isFieldPath($0.field) }) else { return true }
        let printed = selector.description
        let again: FieldSelector
        do { again = try FieldSelector.parse(printed) } catch {
            fatalError("field-selector: printed selector \(printed.debugDescription) does not parse: \(error)")
        }
        FuzzInvariant.check(again == selector, "field-selector", "\(printed.debugDescription) parses to another selector")
        return true
    }
}
