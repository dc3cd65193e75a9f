/// MessageSummary: the one-phrase description of a payload that `busctl tap` prints after the
/// envelope's columns:
/// - an API object: `Pod default/web-1 rv=42` (cluster-scoped: `Node node-1 rv=7`);
/// - a list: `PodList items=3 rv=42`;
/// - a WatchEvent: its type, then its object's summary: `ADDED Pod default/web-1 rv=42`;
/// - a Response: `code=200` then its object's summary or its items' count;
/// - anything else: its printable JSON, cut to `maxOtherLength` characters.
///
/// Concurrency: pure functions. Must never: print a secret value (it works from the redacted
/// JSON of `DecodedPayload`, and API object summaries show only metadata), or fail.
import SkiffAPI
import SkiffWire

public enum MessageSummary {
    /// Longest rendering of a message that is not an API object, in characters.
    public static let maxOtherLength = 120

    public static func summary(of payload: DecodedPayload) -> String {
        guard case .message(let message, let json) = payload.content else {
            return "<\(payload.problem ?? "no message")>"
        }
        return summary(of: message, json: json)
    }

    public static func summary(of message: any WireMessage, json: JSONValue) -> String {
        switch message {
        case let object as any APIObject:
            return objectSummary(object)
        case let list as any APIList:
            return "\(type(of: list).kind) items=\(list.items.count) rv=\(list.metadata?.resourceVersion ?? "<none>")"
        case let event as WatchEvent:
            return "\(event.type ?? "<no type>") \(watchedObjectSummary(event))"
        case let response as Response:
            return responseSummary(response, json: json)
        default:
            return truncated(json.compactText())
        }
    }

    /// `Kind namespace/name rv=RV`.
    public static func objectSummary(_ object: any APIObject) -> String {
        let metadata = object.metadata
        return identity(kind: type(of: object).kind, namespace: metadata?.namespace, name: metadata?.name,
                        resourceVersion: metadata?.resourceVersion)
    }

    static func identity(kind: String, namespace: String?, name: String?, resourceVersion: String?) -> String {
        var parts = [kind]
        if let name, !name.isEmpty {
            if let namespace, !namespace.isEmpty { parts.append("\(namespace)/\(name)") } else { parts.append(name) }
        }
        parts.append("rv=\(resourceVersion.flatMap { $0.isEmpty ? nil : $0 } ?? "<none>")")
        return parts.joined(separator: " ")
    }

    private static func watchedObjectSummary(_ event: WatchEvent) -> String {
        guard event.object != nil else {
            // No object: say what the routing fields say.
            return identity(kind: event.resource ?? event.objectType ?? "<no object>", namespace: event.namespace,
                            name: event.name, resourceVersion: event.resourceVersion)
        }
        return summary(of: DecodedPayload(typeName: event.objectType, bytes: event.object))
    }

    private static func responseSummary(_ response: Response, json: JSONValue) -> String {
        var parts = ["code=\(response.code.map(String.init) ?? "<none>")"]
        if response.object != nil {
            parts.append(summary(of: DecodedPayload(typeName: response.objectType, bytes: response.object)))
        } else if !response.items.isEmpty || response.itemType != nil {
            let kind = response.itemType.map(shortName) ?? "<no type>"
            parts.append("items=\(response.items.count) \(kind) rv=\(response.listMeta?.resourceVersion ?? "<none>")")
        } else if let status = json["status"] {
            parts.append(truncated(status.compactText()))
        }
        return parts.joined(separator: " ")
    }

    /// The last component of a proto name: "skiff.core.v1.Pod" -> "Pod". Message names are
    /// unique across packages, so the short name is unambiguous.
    public static func shortName(_ protoName: String) -> String {
        guard let dot = protoName.lastIndex(of: ".") else { return protoName }
        let name = protoName[protoName.index(after: dot)...]
        return name.isEmpty ? protoName : String(name)
    }

    static func truncated(_ text: String) -> String {
        guard text.count > maxOtherLength else { return text }
        return String(text.prefix(maxOtherLength)) + "…"
    }
}
