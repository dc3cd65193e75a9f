/// What the lifecycle end-to-end tests share: a ReplicaSet manifest and a user's checks.
import SkiffAPI
import SkiffClient
import SkiffTestSupport
import SkiffWire

enum LifecycleManifests {
    /// A ReplicaSet of `replicas` busybox pods labelled app=NAME; `podFinalizer` holds its pods
    /// after deletion until a test removes it.
    static func replicaSet(_ name: String, replicas: Int = 2, namespace: String = "default",
                           podFinalizer: String? = nil) -> String {
        """
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata:
          name: \(name)
          namespace: \(namespace)
        spec:
          replicas: \(replicas)
          selector:
            matchLabels:
              app: \(name)
          template:
            metadata:
              labels:
                app: \(name)
        \(podFinalizer.map { "      finalizers: [\"\($0)\"]" } ?? "")
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: main
                image: busybox
                command: ["sleep", "3600"]
        """
    }
}

extension TestCluster {
    /// Waits until `count` pods of app=NAME exist, not being deleted; returns them.
    @discardableResult
    func waitForPods(_ app: String, count: Int, namespace: String = "default",
                     where extra: @escaping @Sendable (Pod) -> Bool = { _ in true }) async throws -> [Pod] {
        try await waitFor("\(count) live pods of \(app)", {
            try await self.pods("app=\(app)", namespace: namespace).filter { $0.metadata?.deletionTimestamp == nil }
        }, until: { $0.count == count && $0.allSatisfy(extra) })
    }

    /// Whether the object is gone (404).
    func isGone<O: APIObject>(_ type: O.Type, _ name: String, namespace: String? = "default") async throws -> Bool {
        do {
            _ = try await client.get(O.self, name: name, namespace: namespace)
            return false
        } catch let error as APIError where error.reason == .notFound {
            return true
        }
    }

    func skiffctlSucceeds(_ arguments: [String]) async throws {
        let result = try await skiffctl(arguments)
        guard result.status == 0 else { throw HarnessError("skiffctl \(arguments.joined(separator: " ")): \(result.stderr)") }
    }
}
