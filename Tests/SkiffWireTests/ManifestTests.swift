import Foundation
import SkiffWire
import Testing
import Yams

/// Kubernetes manifests decode straight into the generated types and encode back without loss.
@Suite struct ManifestTests {
    static let manifest = try! String(
        contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Manifests/deployment.yaml"), encoding: .utf8)

    @Test func documentationDeploymentDecodes() throws {
        let deployment = try YAMLDecoder().decode(Deployment.self, from: Self.manifest)
        #expect(deployment.metadata?.name == "nginx-deployment")
        #expect(deployment.spec?.replicas == 3)
        #expect(deployment.spec?.strategy?.rollingUpdate?.maxSurge == .string("25%"))
        #expect(deployment.spec?.strategy?.rollingUpdate?.maxUnavailable == .int(1))
        #expect(deployment.spec?.selector?.matchExpressions.first?.values == ["frontend", "edge"])
        let container = try #require(deployment.spec?.template?.spec?.containers.first)
        #expect(container.image == "nginx:1.25")
        #expect(container.args == ["-g", "daemon off;"])
        #expect(container.resources?.limits["cpu"]?.milliValue == 500)
        #expect(container.resources?.requests["memory"]?.value == Int64(64 * 1024 * 1024))
        #expect(container.livenessProbe?.httpGet?.port == .string("http"))
        #expect(container.readinessProbe?.tcpSocket?.port == .int(80))
        #expect(container.startupProbe?.exec?.command == ["cat", "/tmp/healthy"])
        #expect(container.env.first?.valueFrom?.fieldRef?.fieldPath == "metadata.name")
        let volumes = try #require(deployment.spec?.template?.spec?.volumes)
        #expect(volumes.map(\.name) == ["cache-volume", "config", "data"])
        #expect(volumes[0].emptyDir?.sizeLimit == Quantity("500Mi"))
        #expect(volumes[2].persistentVolumeClaim?.claimName == "nginx-data")
    }

    @Test func documentationDeploymentEncodesBackWithoutLoss() throws {
        let deployment = try YAMLDecoder().decode(Deployment.self, from: Self.manifest)
        let yaml = try YAMLEncoder().encode(deployment)
        // Same tree as the original document, key for key and value for value.
        let original = try #require(try Yams.load(yaml: Self.manifest))
        let reencoded = try #require(try Yams.load(yaml: yaml))
        #expect(Self.canonical(original) == Self.canonical(reencoded), "\(yaml)")
        // And through protobuf bytes too.
        #expect(try Deployment(serializedBytes: deployment.serializedBytes()) == deployment)
    }

    @Test func anUnknownFieldIsRefusedWithItsPath() throws {
        let typo = Self.manifest.replacingOccurrences(of: "  replicas: 3", with: "  replicase: 3")
        #expect(Self.decodeError(typo) == "spec.replicase: unknown field \"replicase\"")
        let deep = Self.manifest.replacingOccurrences(of: "mountPath: /cache", with: "mountpath: /cache")
        #expect(Self.decodeError(deep) == "spec.template.spec.containers[0].volumeMounts[0].mountpath: unknown field \"mountpath\"")
    }

    @Test func aWrongTypeOrKindIsRefusedWithItsPath() throws {
        let wrongType = Self.manifest.replacingOccurrences(of: "replicas: 3", with: "replicas: three")
        #expect(Self.decodeError(wrongType)?.hasPrefix("spec.replicas: expected an integer") == true)
        let badQuantity = Self.manifest.replacingOccurrences(of: "cpu: 500m", with: "cpu: lots")
        #expect(Self.decodeError(badQuantity)?.hasPrefix("spec.template.spec.containers[0].resources.limits.cpu: \"lots\": quantities must match") == true)
        let wrongKind = Self.manifest.replacingOccurrences(of: "kind: Deployment", with: "kind: StatefulSet")
        #expect(Self.decodeError(wrongKind) == "kind: expected kind Deployment, found StatefulSet")
    }

    @Test func registryFindsKindsByTypeMeta() {
        #expect(WireRegistry.objectType(apiVersion: "apps/v1", kind: "Deployment") == Deployment.self)
        #expect(WireRegistry.objectType(apiVersion: "v1", kind: "Pod") == Pod.self)
        #expect(WireRegistry.objectType(apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole") == ClusterRole.self)
        #expect(WireRegistry.objectType(apiVersion: "v1", kind: "Deployment") == nil)
        #expect(WireRegistry.listType(apiVersion: "v1", kind: "PodList") == PodList.self)
        #expect(WireRegistry.messageType(named: "skiff.wire.v1.Envelope") == Envelope.self)
    }

    static func decodeError(_ yaml: String) -> String? {
        do {
            _ = try YAMLDecoder().decode(Deployment.self, from: yaml)
            return nil
        } catch let error as DecodingError {
            return error.fieldDescription
        } catch {
            return "\(error)"
        }
    }

    /// A YAML tree as comparable text: maps with sorted keys, scalars as strings.
    static func canonical(_ node: Any) -> String {
        switch node {
        case let map as [String: Any]:
            return "{" + map.keys.sorted().map { "\($0):\(canonical(map[$0]!))" }.joined(separator: ",") + "}"
        case let array as [Any]:
            return "[" + array.map(canonical).joined(separator: ",") + "]"
        default:
            return "\(node)"
        }
    }
}
