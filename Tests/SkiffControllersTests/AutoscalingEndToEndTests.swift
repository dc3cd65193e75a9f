/// The autoscaler on a real cluster: a Deployment whose pods burn cpu is scaled up, and back down
/// once the load stops; usage comes from the kubelets as `skiffctl top` shows it.
import Foundation
import SkiffClient
import SkiffControllers
import SkiffTestSupport
import SkiffWire
import Testing

@Suite(.serialized, .enabled(if: clusterTestsUnavailable == nil))
struct AutoscalingEndToEndTests {
    @Test func aCpuBurningDeploymentIsScaledUpAndBackDown() async throws {
        try await withCluster { cluster in
            try await cluster.addNode(arguments: ["--metrics-seconds", "1"])
            try cluster.startController("deployment")
            try cluster.startController("replicaset")
            try cluster.startController("horizontal-pod-autoscaler", arguments: ["--option", "sync-seconds=2"])
            // The pods burn cpu while the switch file exists (a hostPath shared with the test).
            let switchDirectory = cluster.directory + "/load"
            try FileManager.default.createDirectory(atPath: switchDirectory, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: switchDirectory + "/on", contents: Data())
            try await cluster.apply("""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: burner
            spec:
              replicas: 1
              selector:
                matchLabels:
                  app: burner
              template:
                metadata:
                  labels:
                    app: burner
                spec:
                  containers:
                  - name: main
                    image: busybox
                    command: ["sh", "-c", "while true; do if [ -e /load/on ]; then i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; else sleep 1; fi; done"]
                    resources:
                      requests:
                        cpu: 100m
                      limits:
                        cpu: 200m
                    volumeMounts:
                    - name: load
                      mountPath: /load
                  volumes:
                  - name: load
                    hostPath:
                      path: \(switchDirectory)
            ---
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata:
              name: burner
            spec:
              scaleTargetRef:
                apiVersion: apps/v1
                kind: Deployment
                name: burner
              minReplicas: 1
              maxReplicas: 3
              metrics:
              - type: Resource
                resource:
                  name: cpu
                  target:
                    type: Utilization
                    averageUtilization: 50
              behavior:
                scaleDown:
                  stabilizationWindowSeconds: 5
            """)
            let up = try await cluster.waitFor("the HPA to scale the burner up", timeout: .seconds(90), {
                try await cluster.client.get(HorizontalPodAutoscaler.self, name: "burner", namespace: "default")
            }, until: { ($0.status?.desiredReplicas ?? 0) > 1 })
            #expect(up.status?.currentMetrics.first?.resource?.current?.averageUtilization ?? 0 > 50)
            #expect(up.status?.conditions.contains { $0.type == "ScalingActive" && $0.status == "True" } == true)
            try await cluster.waitFor("more than one burner pod", timeout: .seconds(60), {
                try await cluster.client.get(Deployment.self, name: "burner", namespace: "default").spec?.replicas ?? 0
            }, until: { $0 > 1 })

            try FileManager.default.removeItem(atPath: switchDirectory + "/on")
            try await cluster.waitFor("the burner back at one replica", timeout: .seconds(120), {
                try await cluster.client.get(Deployment.self, name: "burner", namespace: "default").spec?.replicas ?? 0
            }, until: { $0 == 1 })
            let events = try await cluster.client.list(Event.self, namespace: "default").items
            #expect(events.contains { $0.reason == "SuccessfulRescale" && $0.involvedObject?.name == "burner" })
        }
    }
}
