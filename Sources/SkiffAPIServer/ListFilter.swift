/// ListFilter: a request's label and field selectors, parsed once and applied to each object
/// of a list, a deletecollection or a watch backlog.
///
/// Concurrency: an immutable Sendable value. Must never: accept a selector it cannot parse
/// (that is a 400) or a field the resource does not support.
import SkiffAPI
import SkiffWire

struct ListFilter: Sendable {
    private let labels: LabelQuery?
    private let fields: FieldSelector?

    static let everything = ListFilter(labels: nil, fields: nil)

    private init(labels: LabelQuery?, fields: FieldSelector?) {
        self.labels = labels
        self.fields = fields
    }

    /// Parses `labelSelector` and `fieldSelector` of a request on `resource`; throws 400.
    init(labelSelector: String?, fieldSelector: String?, resource: ResourceInfo) throws(APIError) {
        do {
            let labelText = labelSelector ?? ""
            let fieldText = fieldSelector ?? ""
            labels = labelText.isEmpty ? nil : try LabelQuery.parse(labelText)
            if fieldText.isEmpty {
                fields = nil
            } else {
                let parsed = try FieldSelector.parse(fieldText)
                try parsed.validate(for: resource.groupResource)
                fields = parsed
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.badRequest("\(error)")
        }
    }

    var isEverything: Bool { labels == nil && fields == nil }

    /// The node a pod field selector pins `spec.nodeName` to, for per-node watch routing.
    var nodeName: String? { fields?.requiredValue(for: "spec.nodeName") }

    func matches(_ object: any APIObject) -> Bool {
        if let labels, !labels.matches(object.metadata?.labels ?? [:]) { return false }
        if let fields, !fields.matches(object) { return false }
        return true
    }
}
