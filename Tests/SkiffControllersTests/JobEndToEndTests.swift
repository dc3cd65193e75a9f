/// End to end: the job controller as its own process, the scheduler and a real runc node;
/// busybox pods that fail, succeed and read their completion index, as a user's Job would.
import Foundation
import SkiffAPI
import SkiffClient
import SkiffTestSupport
import SkiffWire
import Testing

let jobNodeTestsUnavailable: String? = {
    let reason = TestNode.missingCapability
    if let reason { print("skipping job end-to-end tests: \(reason)") }
    return reason
}()

@Suite("Jobs on a real node", .serialized, .enabled(if: jobNodeTestsUnavailable == nil))
struct JobEndToEndTests {
    /// A cluster with one runc node and the job controller (pod failure backoff shortened to 1s).
    func withJobCluster(_ body: (TestCluster) async throws -> Void) async throws {
        try await withCluster { cluster in
            try await cluster.addNode()
            try cluster.startController("job", arguments: ["--option", "pod-failure-backoff=1"])
            try await body(cluster)
        }
    }

    func job(_ cluster: TestCluster, _ name: String) async throws -> Job {
        try await cluster.client.get(Job.self, name: name, namespace: "default")
    }

    func waitForCondition(_ cluster: TestCluster, _ name: String, _ type: String, timeout: Duration = .seconds(120)) async throws -> Job {
        try await cluster.waitFor("job \(name) \(type)", timeout: timeout, { try await self.job(cluster, name) }) { job in
            job.status?.conditions.contains { $0.type == type && $0.status == "True" } == true
        }
    }

    @Test("a command that fails twice then succeeds completes within backoffLimit: failed 2, succeeded 1")
    func retriesThenCompletes() async throws {
        try await withJobCluster { cluster in
            let data = "\(cluster.directory)/attempts"
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            try await cluster.apply("""
                apiVersion: batch/v1
                kind: Job
                metadata: {name: flaky}
                spec:
                  backoffLimit: 4
                  template:
                    spec:
                      restartPolicy: Never
                      volumes:
                      - name: data
                        hostPath: {path: \(data)}
                      containers:
                      - name: main
                        image: busybox
                        command: ["sh", "-c", "n=$(cat /data/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > /data/count; test $n -ge 3"]
                        volumeMounts: [{name: data, mountPath: /data}]
                """)
            let done = try await waitForCondition(cluster, "flaky", "Complete")
            #expect(done.status?.succeeded == 1)
            #expect(done.status?.failed == 2)
            #expect(done.status?.active ?? 0 == 0)
            #expect(done.status?.completionTime != nil)
            #expect(done.status?.startTime != nil)
            #expect(done.status?.uncountedTerminatedPods?.succeeded.isEmpty ?? true)
            let count = try String(contentsOfFile: "\(data)/count", encoding: .utf8)
            #expect(count.trimmingCharacters(in: .whitespacesAndNewlines) == "3")
            let pods = try await cluster.pods("batch.kubernetes.io/job-name=flaky")
            #expect(pods.filter { $0.status?.phase == "Failed" }.count == 2)
            #expect(pods.filter { $0.status?.phase == "Succeeded" }.count == 1)
            // Counted pods no longer hold the tracking finalizer, and carry both label spellings.
            #expect(pods.allSatisfy { !($0.metadata?.finalizers.contains("batch.kubernetes.io/job-tracking") ?? false) })
            #expect(pods.allSatisfy { $0.metadata?.labels["job-name"] == "flaky" && $0.metadata?.labels["controller-uid"] != nil })
        }
    }

    @Test("a job that keeps failing stops at backoffLimit with BackoffLimitExceeded")
    func backoffLimitExceeded() async throws {
        try await withJobCluster { cluster in
            try await cluster.apply("""
                apiVersion: batch/v1
                kind: Job
                metadata: {name: doomed}
                spec:
                  backoffLimit: 1
                  template:
                    spec:
                      restartPolicy: Never
                      containers:
                      - {name: main, image: busybox, command: ["sh", "-c", "exit 3"]}
                """)
            let failed = try await waitForCondition(cluster, "doomed", "Failed")
            let condition = failed.status?.conditions.first { $0.type == "Failed" }
            #expect(condition?.reason == "BackoffLimitExceeded")
            #expect(failed.status?.failed == 2)
            #expect(failed.status?.succeeded ?? 0 == 0)
            #expect(failed.status?.completionTime == nil)
            #expect(!(failed.status?.conditions.contains { $0.type == "Complete" } ?? false))
        }
    }

    @Test("an Indexed job runs each index once, with its index in the environment and its hostname")
    func indexed() async throws {
        try await withJobCluster { cluster in
            let data = "\(cluster.directory)/indexes"
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            try await cluster.apply("""
                apiVersion: batch/v1
                kind: Job
                metadata: {name: shards}
                spec:
                  completions: 3
                  parallelism: 2
                  completionMode: Indexed
                  template:
                    spec:
                      restartPolicy: Never
                      volumes:
                      - name: data
                        hostPath: {path: \(data)}
                      containers:
                      - name: main
                        image: busybox
                        command: ["sh", "-c", "echo $(hostname) > /data/$JOB_COMPLETION_INDEX"]
                        volumeMounts: [{name: data, mountPath: /data}]
                """)
            let done = try await waitForCondition(cluster, "shards", "Complete")
            #expect(done.status?.succeeded == 3)
            #expect(done.status?.completedIndexes == "0-2")
            for index in 0..<3 {
                let hostname = try String(contentsOfFile: "\(data)/\(index)", encoding: .utf8)
                #expect(hostname.trimmingCharacters(in: .whitespacesAndNewlines) == "shards-\(index)")
            }
            let pods = try await cluster.pods("batch.kubernetes.io/job-name=shards")
            // One succeeded pod per index; a pod that failed (a busy machine can fail a start)
            // is replaced for its index, and counted as failed.
            let succeeded = pods.filter { $0.status?.phase == "Succeeded" }
            let indexes = succeeded.compactMap { $0.metadata?.annotations["batch.kubernetes.io/job-completion-index"] }.sorted()
            #expect(indexes == ["0", "1", "2"])
            #expect(pods.count - succeeded.count == Int(done.status?.failed ?? 0), "\(pods.map { ($0.metadata?.name ?? "", $0.status?.phase ?? "") })")
            #expect(pods.allSatisfy { ($0.metadata?.name ?? "").hasPrefix("shards-\($0.metadata?.labels["batch.kubernetes.io/job-completion-index"] ?? "?")-") })
        }
    }

    @Test("ttlSecondsAfterFinished deletes the finished job, and its pods lose the tracking finalizer")
    func ttlDeletes() async throws {
        try await withJobCluster { cluster in
            try await cluster.apply("""
                apiVersion: batch/v1
                kind: Job
                metadata: {name: brief}
                spec:
                  ttlSecondsAfterFinished: 2
                  template:
                    spec:
                      restartPolicy: Never
                      containers:
                      - {name: main, image: busybox, command: ["true"]}
                """)
            _ = try await waitForCondition(cluster, "brief", "Complete")
            let client = cluster.client
            try await cluster.waitFor("job brief deleted", timeout: .seconds(30), {
                do {
                    _ = try await client.get(Job.self, name: "brief", namespace: "default")
                    return false
                } catch let error as APIError where error.reason == .notFound {
                    return true
                }
            }) { $0 }
            let pods = try await cluster.pods("batch.kubernetes.io/job-name=brief")
            #expect(pods.allSatisfy { !($0.metadata?.finalizers.contains("batch.kubernetes.io/job-tracking") ?? false) })
        }
    }
}
