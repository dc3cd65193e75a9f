/// PodTemplates: pods made from a controller's template, and the template hash that names a
/// Deployment's ReplicaSets and marks a DaemonSet's or StatefulSet's revision.
///
/// Concurrency: pure functions. Must never: let a pod share the template's name or uid.
import Foundation
import SkiffWire

public enum PodTemplates {
    /// A pod from `template` in `namespace`, controlled by `owner`, named by the apiserver from
    /// `generateName` (or exactly `name`, for StatefulSets).
    public static func pod(from template: PodTemplateSpec?, namespace: String, owner: OwnerReference,
                           generateName: String? = nil, name: String? = nil,
                           extraLabels: [String: String] = [:]) -> Pod {
        var meta = ObjectMeta()
        meta.name = name
        meta.generateName = name == nil ? generateName : nil
        meta.namespace = namespace
        meta.labels = template?.metadata?.labels ?? [:]
        for (key, value) in extraLabels { meta.labels[key] = value }
        meta.annotations = template?.metadata?.annotations ?? [:]
        meta.finalizers = template?.metadata?.finalizers ?? []
        meta.ownerReferences = [owner]
        return Pod(metadata: meta, spec: template?.spec)
    }

    /// The prefix for pods' generateName: "NAME-", shortened as Kubernetes does so that the
    /// generated name fits 63 characters.
    public static func generateNamePrefix(_ ownerName: String) -> String {
        let prefix = ownerName + "-"
        return prefix.count > 58 ? String(prefix.prefix(58)) : prefix
    }

    /// A short, stable hash of a template (and a collision count), as Kubernetes'
    /// ComputeHash: FNV-1a 32 over the template's encoding, written in the alphabet of
    /// rand.SafeEncodeString (no vowels, so no words) so it can be a label value and a name part.
    public static func hash(_ template: PodTemplateSpec?, collisionCount: Int32? = nil) -> String {
        var fnv: UInt32 = 2_166_136_261
        func mix(_ bytes: [UInt8]) { for byte in bytes { fnv = (fnv ^ UInt32(byte)) &* 16_777_619 } }
        mix((try? (template ?? PodTemplateSpec()).canonicalBytes()) ?? [])
        if let collisionCount { mix(Array(String(collisionCount).utf8)) }
        return safeEncode(String(fnv))
    }

    private static let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    static func safeEncode(_ text: String) -> String {
        String(text.utf8.map { alphabet[Int($0) % alphabet.count] })
    }
}

extension PodTemplateSpec {
    /// The template in JSON with keys sorted, so that equal templates
    /// hash equally: maps (labels, annotations, nodeSelector) have no order of their own.
    func canonicalBytes() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(self))
    }
}
