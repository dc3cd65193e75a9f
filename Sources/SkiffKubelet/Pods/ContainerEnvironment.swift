/// ContainerEnvironment: a container's command line and environment as Kubernetes computes
/// them, from the pod, the image and the ConfigMaps and Secrets the pod refers to:
/// - argv: command + args; args alone replace the image's CMD after its ENTRYPOINT; neither
///   keeps the image's;
/// - env: the image's, then envFrom sources in order (with their prefix), then env entries
///   (value with $(VAR) expansion, fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef);
///   later names win.
/// A reference to a missing object or key that is not optional is a CreateContainerConfigError
/// with Kubernetes' message.
///
/// Concurrency: pure functions. Must never: read the API (the caller passes what it fetched).
import Foundation
import SkiffImages
import SkiffWire

/// The ConfigMaps and Secrets of the pod's namespace, as far as the pod refers to them; nil
/// values are objects that do not exist.
struct ReferencedObjects: Sendable {
    var configMaps: [String: ConfigMap?] = [:]
    var secrets: [String: Secret?] = [:]
}

struct ContainerConfigError: Error, Equatable, CustomStringConvertible {
    var message: String
    var description: String { message }
}

enum ContainerEnvironment {
    static func argv(_ container: Container, image: ImageConfig) -> [String] {
        if !container.command.isEmpty { return container.command + container.args }
        if !container.args.isEmpty { return image.entrypoint + container.args }
        return image.entrypoint + image.cmd
    }

    static func environment(pod: Pod, container: Container, image: ImageConfig, objects: ReferencedObjects,
                            hostIP: String?, podIP: String?) throws(ContainerConfigError) -> [String] {
        var names: [String] = []
        var values: [String: String] = [:]
        func set(_ name: String, _ value: String) {
            if values[name] == nil { names.append(name) }
            values[name] = value
        }
        for entry in image.env {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            set(String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
        set("HOSTNAME", hostname(pod))
        let namespace = pod.metadata?.namespace ?? "default"
        for source in container.envFrom {
            let prefix = source.prefix ?? ""
            if let ref = source.configMapRef {
                let name = ref.name ?? ""
                guard let found = objects.configMaps[name], let configMap = found else {
                    if ref.optional == true { continue }
                    throw ContainerConfigError(message: "configmap \"\(name)\" not found")
                }
                for (key, value) in configMap.data.sorted(by: { $0.key < $1.key }) { set(prefix + key, value) }
            }
            if let ref = source.secretRef {
                let name = ref.name ?? ""
                guard let found = objects.secrets[name], let secret = found else {
                    if ref.optional == true { continue }
                    throw ContainerConfigError(message: "secret \"\(name)\" not found")
                }
                for (key, value) in secret.data.sorted(by: { $0.key < $1.key }) { set(prefix + key, String(decoding: value, as: UTF8.self)) }
            }
        }
        for variable in container.env {
            guard let name = variable.name else { continue }
            if let from = variable.valueFrom {
                if let field = from.fieldRef {
                    set(name, try fieldValue(field.fieldPath ?? "", pod: pod, hostIP: hostIP, podIP: podIP))
                } else if let resource = from.resourceFieldRef {
                    set(name, resourceValue(resource, pod: pod, container: container))
                } else if let ref = from.configMapKeyRef {
                    let objectName = ref.name ?? "", key = ref.key ?? ""
                    guard let found = objects.configMaps[objectName], let configMap = found else {
                        if ref.optional == true { continue }
                        throw ContainerConfigError(message: "configmap \"\(objectName)\" not found")
                    }
                    guard let value = configMap.data[key] else {
                        if ref.optional == true { continue }
                        throw ContainerConfigError(message: "couldn't find key \(key) in ConfigMap \(namespace)/\(objectName)")
                    }
                    set(name, value)
                } else if let ref = from.secretKeyRef {
                    let objectName = ref.name ?? "", key = ref.key ?? ""
                    guard let found = objects.secrets[objectName], let secret = found else {
                        if ref.optional == true { continue }
                        throw ContainerConfigError(message: "secret \"\(objectName)\" not found")
                    }
                    guard let value = secret.data[key] else {
                        if ref.optional == true { continue }
                        throw ContainerConfigError(message: "couldn't find key \(key) in Secret \(namespace)/\(objectName)")
                    }
                    set(name, String(decoding: value, as: UTF8.self))
                }
            } else {
                set(name, expand(variable.value ?? "", values))
            }
        }
        return names.map { "\($0)=\(values[$0]!)" }
    }

    /// Kubernetes' $(VAR) expansion: a defined variable is replaced, $$ escapes, anything
    /// else is kept as written.
    static func expand(_ text: String, _ values: [String: String]) -> String {
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            let char = text[index]
            let next = text.index(after: index)
            if char == "$", next < text.endIndex {
                if text[next] == "$" { result.append("$"); index = text.index(after: next); continue }
                if text[next] == "(", let close = text[next...].firstIndex(of: ")") {
                    let name = String(text[text.index(after: next)..<close])
                    if let value = values[name] {
                        result += value
                        index = text.index(after: close)
                        continue
                    }
                }
            }
            result.append(char)
            index = next
        }
        return result
    }

    static func hostname(_ pod: Pod) -> String {
        let name = pod.spec?.hostname ?? pod.metadata?.name ?? "pod"
        return String(name.prefix(63))
    }

    static func fieldValue(_ path: String, pod: Pod, hostIP: String?, podIP: String?) throws(ContainerConfigError) -> String {
        switch path {
        case "metadata.name": return pod.metadata?.name ?? ""
        case "metadata.namespace": return pod.metadata?.namespace ?? ""
        case "metadata.uid": return pod.metadata?.uid ?? ""
        case "spec.nodeName": return pod.spec?.nodeName ?? ""
        case "spec.serviceAccountName": return pod.spec?.serviceAccountName ?? ""
        case "status.hostIP", "status.hostIPs": return hostIP ?? ""
        case "status.podIP", "status.podIPs": return podIP ?? ""
        default:
            for (prefix, map) in [("metadata.labels", pod.metadata?.labels ?? [:]),
                                  ("metadata.annotations", pod.metadata?.annotations ?? [:])] {
                if path == prefix {
                    return map.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: "\n")
                }
                if path.hasPrefix(prefix + "['"), path.hasSuffix("']") {
                    return map[String(path.dropFirst(prefix.count + 2).dropLast(2))] ?? ""
                }
            }
            throw ContainerConfigError(message: "unsupported fieldPath: \(path)")
        }
    }

    /// limits.cpu, limits.memory, requests.cpu, requests.memory (and ephemeral-storage) divided
    /// by the divisor and rounded up, as Kubernetes does; an unset limit is the node's
    /// allocatable, which the caller does not know, so it reads as 0 here.
    static func resourceValue(_ selector: ResourceFieldSelector, pod: Pod, container: Container) -> String {
        let target = selector.containerName.flatMap { name in pod.spec?.containers.first { $0.name == name } } ?? container
        let parts = (selector.resource ?? "").split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return "0" }
        let map = parts[0] == "limits" ? target.resources?.limits ?? [:] : target.resources?.requests ?? [:]
        let quantity = map[parts[1]] ?? Quantity()
        let divisor: Quantity = selector.divisor ?? "1"
        let divisorMilli = max(1, divisor.milliValue)
        // Rounded up, without overflowing on a saturated (huge) quantity.
        let milli = max(0, quantity.milliValue)
        let value = milli / divisorMilli + (milli % divisorMilli == 0 ? 0 : 1)
        return String(value)
    }
}
