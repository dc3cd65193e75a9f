/// The Pod every benchmark carries: the size and shape of a Pod as a kubelet sees it (metadata
/// with labels and an owner, one container with resources, a probe and env, a running status).
import SkiffWire

public enum SamplePod {
    public static func make(index: Int = 0) -> Pod {
        var container = Container()
        container.name = "web"
        container.image = "nginx:1.25"
        container.command = ["nginx"]
        container.args = ["-g", "daemon off;"]
        var port = ContainerPort()
        port.name = "http"
        port.containerPort = 80
        port.protocol = "TCP"
        container.ports = [port]
        var logLevel = EnvVar()
        logLevel.name = "LOG_LEVEL"
        logLevel.value = "info"
        container.env = [logLevel]
        var resources = ResourceRequirements()
        resources.limits = ["cpu": "500m", "memory": "128Mi"]
        resources.requests = ["cpu": "250m", "memory": "64Mi"]
        container.resources = resources
        var probe = Probe()
        var httpGet = HTTPGetAction()
        httpGet.path = "/healthz"
        httpGet.port = .string("http")
        probe.httpGet = httpGet
        probe.periodSeconds = 10
        container.readinessProbe = probe

        var owner = OwnerReference()
        owner.apiVersion = "apps/v1"
        owner.kind = "ReplicaSet"
        owner.name = "web-7d4b9c8f6"
        owner.uid = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
        owner.controller = true
        var metadata = ObjectMeta()
        metadata.name = "web-7d4b9c8f6-\(index)"
        metadata.namespace = "default"
        metadata.uid = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
        metadata.resourceVersion = String(1000 + index)
        metadata.creationTimestamp = Time(seconds: 1_795_593_600)
        metadata.labels = ["app": "web", "pod-template-hash": "7d4b9c8f6"]
        metadata.ownerReferences = [owner]

        var spec = PodSpec()
        spec.containers = [container]
        spec.restartPolicy = "Always"
        spec.terminationGracePeriodSeconds = 30
        spec.nodeName = "node-1"
        var status = PodStatus()
        status.phase = "Running"
        status.hostIP = "10.244.0.1"
        status.podIP = "10.244.0.17"
        status.startTime = Time(seconds: 1_795_593_601)

        var pod = Pod()
        pod.metadata = metadata
        pod.spec = spec
        pod.status = status
        return pod
    }
}
