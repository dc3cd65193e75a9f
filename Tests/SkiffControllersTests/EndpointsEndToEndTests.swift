/// The endpoints controller on a real node: a Service's Endpoints follow its pods' readiness,
/// their labels, and the Service itself.
import Foundation
import SkiffAPI
import SkiffClient
import SkiffControllers
import SkiffTestSupport
import SkiffWire
import Testing

@Suite(.serialized, .enabled(if: clusterTestsUnavailable == nil))
struct EndpointsEndToEndTests {
    /// A pod that is ready while /tmp/ready exists (an exec readiness probe), serving port "web".
    static func pod(_ name: String) -> String {
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: \(name), labels: {app: web}}
        spec:
          containers:
          - name: main
            image: busybox
            command: ["sh", "-c", "touch /tmp/ready; exec sleep 600"]
            ports: [{name: web, containerPort: 8080}]
            readinessProbe:
              exec: {command: ["test", "-e", "/tmp/ready"]}
              periodSeconds: 1
        """
    }

    static func addresses(_ endpoints: Endpoints) -> (ready: Set<String>, notReady: Set<String>) {
        (Set(endpoints.subsets.flatMap(\.addresses).compactMap(\.targetRef?.name)),
         Set(endpoints.subsets.flatMap(\.notReadyAddresses).compactMap(\.targetRef?.name)))
    }

    @Test func endpointsFollowReadinessLabelsAndTheService() async throws {
        try await withCluster { cluster in
            try await cluster.addNode()
            try cluster.startController("endpoints")
            try await cluster.apply(Self.pod("one"))
            try await cluster.apply(Self.pod("two"))
            try await cluster.apply("""
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              selector: {app: web}
              ports: [{name: http, port: 80, targetPort: web}]
            """)
            let endpoints = try await cluster.waitFor("both pods ready in the Endpoints", {
                try await cluster.client.get(Endpoints.self, name: "web", namespace: "default")
            }, until: { Self.addresses($0).ready == ["one", "two"] })
            #expect(endpoints.subsets.first?.ports == [EndpointPort(name: "http", port: 8080, protocol: "TCP")])
            let pods = try await cluster.pods("app=web")
            #expect(Set(endpoints.subsets.flatMap(\.addresses).compactMap(\.ip)) == Set(pods.compactMap(\.status?.podIP)))

            // A pod that turns not ready moves to notReadyAddresses, and back.
            _ = try await cluster.skiffctl(["exec", "one", "--", "rm", "/tmp/ready"])
            try await cluster.waitFor("one not ready", {
                try await cluster.client.get(Endpoints.self, name: "web", namespace: "default")
            }, until: { Self.addresses($0) == (["two"], ["one"]) })
            _ = try await cluster.skiffctl(["exec", "one", "--", "touch", "/tmp/ready"])
            try await cluster.waitFor("one ready again", {
                try await cluster.client.get(Endpoints.self, name: "web", namespace: "default")
            }, until: { Self.addresses($0).ready == ["one", "two"] })

            // A pod relabelled out of the selector leaves; a deleted one too.
            _ = try await cluster.skiffctl(["label", "pod", "two", "app=other", "--overwrite"])
            try await cluster.waitFor("two gone after relabelling", {
                try await cluster.client.get(Endpoints.self, name: "web", namespace: "default")
            }, until: { Self.addresses($0) == (["one"], []) })
            _ = try await cluster.client.delete(Pod.self, name: "one", namespace: "default")
            try await cluster.waitFor("no addresses once one is deleted", {
                try await cluster.client.get(Endpoints.self, name: "web", namespace: "default")
            }, until: { $0.subsets.isEmpty })

            // Endpoints a user wrote for a Service without a selector are left alone; those of a
            // deleted Service go with it.
            try await cluster.apply("""
            apiVersion: v1
            kind: Service
            metadata: {name: manual}
            spec:
              ports: [{port: 80}]
            ---
            apiVersion: v1
            kind: Endpoints
            metadata: {name: manual}
            subsets: [{addresses: [{ip: 10.244.9.9}], ports: [{port: 80}]}]
            """)
            _ = try await cluster.client.delete(Service.self, name: "web", namespace: "default")
            try await cluster.waitFor("the Endpoints of the deleted Service removed", {
                (try? await cluster.client.get(Endpoints.self, name: "web", namespace: "default")) == nil
            }, until: { $0 })
            let manual = try await cluster.client.get(Endpoints.self, name: "manual", namespace: "default")
            #expect(manual.subsets.first?.addresses.first?.ip == "10.244.9.9")
        }
    }
}
