/// Service accounts on a real cluster: every namespace gets "default", every account a token
/// Secret, and a pod finds its account's token where Kubernetes clients look.
import Foundation
import SkiffAPI
import SkiffClient
import SkiffControllers
import SkiffTestSupport
import SkiffWire
import Testing

@Suite(.serialized, .enabled(if: clusterTestsUnavailable == nil))
struct ServiceAccountEndToEndTests {
    @Test func aNewNamespaceGetsItsDefaultAccountAndAPodReadsTheToken() async throws {
        try await withCluster { cluster in
            try await cluster.addNode()
            try cluster.startController("serviceaccount")
            try cluster.startController("serviceaccount-token")
            try await cluster.apply("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n")
            try await cluster.waitFor("the default account in team", {
                try await cluster.client.get(ServiceAccount.self, name: "default", namespace: "team")
            }, until: { $0.secrets.contains { $0.name == "default-token" } })
            let secret = try await cluster.waitFor("the token secret", {
                try await cluster.client.get(Secret.self, name: "default-token", namespace: "team")
            }, until: { ($0.data["token"]?.count ?? 0) > 20 })
            #expect(secret.type == "kubernetes.io/service-account-token")

            try await cluster.apply("""
            apiVersion: v1
            kind: Pod
            metadata:
              name: reader
              namespace: team
            spec:
              restartPolicy: Never
              containers:
              - name: main
                image: busybox
                command: ["sh", "-c", "cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo; cat /var/run/secrets/kubernetes.io/serviceaccount/token"]
            """)
            try await cluster.waitFor("reader to finish", {
                try await cluster.client.get(Pod.self, name: "reader", namespace: "team")
            }, until: { $0.status?.phase == "Succeeded" })
            let logs = try await cluster.skiffctl(["logs", "reader", "-n", "team"])
            let lines = logs.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first == "team")
            #expect(lines.dropFirst().first == String(decoding: secret.data["token"] ?? [], as: UTF8.self))

            // The token authenticates as the account; deleting its Secret revokes it (it is bound
            // to the Secret), and the controller makes a new Secret with a new token.
            func answers(_ token: [UInt8]?) async throws -> Int32 {
                let client = try APIClient(ClientConfig(runDirectory: cluster.plane.runDirectory,
                                                        token: String(decoding: token ?? [], as: UTF8.self), component: "probe"))
                defer { Task { await client.close() } }
                do {
                    _ = try await client.reviewAccess(ResourceAttributes(namespace: "team", verb: "get", resource: "pods"))
                    return 201
                } catch let error as APIError {
                    return error.code
                }
            }
            #expect(try await answers(secret.data["token"]) == 201)
            _ = try await cluster.client.delete(Secret.self, name: "default-token", namespace: "team")
            #expect(try await answers(secret.data["token"]) == 401)
            let renewed = try await cluster.waitFor("a new token Secret", {
                try await cluster.client.get(Secret.self, name: "default-token", namespace: "team")
            }, until: { ($0.data["token"]?.count ?? 0) > 20 && $0.data["token"] != secret.data["token"] })
            #expect(try await answers(renewed.data["token"]) == 201)

            // Deleting the account revokes its token: the Secret goes; the account comes back
            // (it is the namespace's default) with a new token.
            _ = try await cluster.client.delete(ServiceAccount.self, name: "default", namespace: "team")
            try await cluster.waitFor("a new token for the recreated account", {
                try await cluster.client.get(Secret.self, name: "default-token", namespace: "team")
            }, until: { ($0.data["token"]?.count ?? 0) > 20 && $0.data["token"] != renewed.data["token"] })
            #expect(try await answers(renewed.data["token"]) == 401)
        }
    }
}
