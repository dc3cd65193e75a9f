/// StaticPods: pods the kubelet runs from manifest files in its manifest directory, without
/// the apiserver, as Kubernetes' staticPodPath. Each file's pod (YAML or JSON, one Pod per
/// file) is named NAME-NODE, bound to this node, and given a uid derived from its content, so
/// an edited file replaces the pod and an unchanged one keeps its containers across kubelet
/// restarts. The kubelet mirrors each into the API as a "mirror pod" (annotation
/// kubernetes.io/config.mirror = the hash) so users see it with `skiffctl get pods`; deleting
/// the mirror pod does not stop the static pod: the kubelet recreates the mirror.
///
/// Concurrency: pure functions of the files read. Must never: run a file that is not a Pod.
import Foundation
import SkiffValidation
import SkiffWire
import class Yams.YAMLDecoder
import func Yams.compose

enum StaticPods {
    static let mirrorAnnotation = "kubernetes.io/config.mirror"
    static let hashAnnotation = "kubernetes.io/config.hash"
    static let sourceAnnotation = "kubernetes.io/config.source"

    /// The static pods of `directory`; a file that is not a valid Pod is reported in `errors`
    /// and skipped.
    static func load(_ directory: String, nodeName: String) -> (pods: [Pod], errors: [String]) {
        var pods: [Pod] = []
        var errors: [String] = []
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { !$0.hasPrefix(".") && ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml") || $0.hasSuffix(".json")) }.sorted()
        for file in files {
            let path = "\(directory)/\(file)"
            do {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw StaticPodError("cannot read the file") }
                pods.append(try pod(from: text, nodeName: nodeName))
            } catch {
                errors.append("\(path): \(error)")
            }
        }
        return (pods, errors)
    }

    static func pod(from text: String, nodeName: String) throws -> Pod {
        // compose, not load: Yams' load traps on a mapping key that is not a string.
        guard let node = try? Yams.compose(yaml: text), node["kind"]?.string == "Pod" else {
            throw StaticPodError("a static pod manifest holds one object of kind Pod")
        }
        var pod = try YAMLDecoder().decode(Pod.self, from: text)
        Defaulting.apply(to: &pod)
        // Validated as the apiserver would (names become paths on the node).
        if pod.metadata?.namespace == nil { pod.metadata?.namespace = "default" }
        if let error = Validation.validateCreate(pod).first {
            throw StaticPodError("\(error)")
        }
        let hash = String(FNV1a.hash(Array(text.utf8)), radix: 16)
        var metadata = pod.metadata ?? ObjectMeta()
        guard let name = metadata.name, !name.isEmpty else { throw StaticPodError("metadata.name: Required value") }
        metadata.name = "\(name)-\(nodeName)"
        metadata.namespace = metadata.namespace ?? "default"
        metadata.uid = "static-\(hash)"
        metadata.annotations[hashAnnotation] = hash
        metadata.annotations[sourceAnnotation] = "file"
        metadata.annotations[mirrorAnnotation] = hash
        pod.metadata = metadata
        pod.spec?.nodeName = nodeName
        pod.status = nil
        return pod
    }

    /// The uid the runtime knows a pod by: a mirror pod stands for its static pod, whose uid
    /// comes from the manifest's hash.
    static func runtimeUID(of pod: Pod) -> String {
        if let hash = pod.metadata?.annotations[mirrorAnnotation] { return "static-\(hash)" }
        return pod.metadata?.uid ?? ""
    }

    /// The mirror pod to create for a static pod: the same object, owned by the node.
    static func mirror(of pod: Pod, node: SkiffWire.Node?) -> Pod {
        var mirror = pod
        mirror.metadata?.uid = nil
        mirror.metadata?.resourceVersion = nil
        if let node, let uid = node.metadata?.uid {
            mirror.metadata?.ownerReferences = [OwnerReference(apiVersion: "v1", kind: "Node", name: node.metadata?.name ?? "",
                                                               uid: uid, controller: true)]
        }
        return mirror
    }
}

struct StaticPodError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
