/// Table tests of a pod's effective requests: Kubernetes' max(sum of containers, each init
/// container) + overhead, sidecars included, and the non-zero figures scoring uses.
import SkiffScheduler
import SkiffWire
import Testing

struct RequestsCase: Sendable, CustomTestStringConvertible {
    var name: String
    var pod: Pod
    var milliCPU: Int64
    var memory: Int64
    var nonZeroMilliCPU: Int64
    var nonZeroMemory: Int64
    var testDescription: String { name }
}

private let mi: Int64 = 1024 * 1024

@Test(arguments: [
    RequestsCase(name: "no requests: zero for fit, defaults for scoring", pod: pod("p"),
                 milliCPU: 0, memory: 0, nonZeroMilliCPU: 100, nonZeroMemory: 200 * mi),
    RequestsCase(name: "containers add up", pod: pod("p", containers: [container("a", cpu: "250m", memory: "64Mi"),
                                                                         container("b", cpu: "750m", memory: "64Mi")]),
                 milliCPU: 1000, memory: 128 * mi, nonZeroMilliCPU: 1000, nonZeroMemory: 128 * mi),
    RequestsCase(name: "the default applies per container", pod: pod("p", containers: [container("a", cpu: "1"),
                                                                                        container("b", memory: "1Mi")]),
                 milliCPU: 1000, memory: mi, nonZeroMilliCPU: 1100, nonZeroMemory: 201 * mi),
    RequestsCase(name: "an explicit zero is not defaulted", pod: pod("p", cpu: "0", memory: "0"),
                 milliCPU: 0, memory: 0, nonZeroMilliCPU: 0, nonZeroMemory: 0),
    RequestsCase(name: "a larger init container wins", pod: pod("p", cpu: "500m", memory: "10Mi",
                                                                 initContainers: [container("init", cpu: "2")]),
                 milliCPU: 2000, memory: 10 * mi, nonZeroMilliCPU: 2000, nonZeroMemory: 200 * mi),
    RequestsCase(name: "sidecars add to the containers and to later init containers", pod: pod("p", cpu: "1",
        initContainers: [container("side", cpu: "500m", restartPolicy: "Always"), container("init", cpu: "1")]),
                 milliCPU: 1500, memory: 0, nonZeroMilliCPU: 1500, nonZeroMemory: 400 * mi),
    RequestsCase(name: "overhead is added", pod: pod("p", cpu: "1", memory: "1Mi", overhead: ["cpu": "250m", "memory": "1Mi"]),
                 milliCPU: 1250, memory: 2 * mi, nonZeroMilliCPU: 1250, nonZeroMemory: 2 * mi),
])
func podRequests(_ c: RequestsCase) {
    let requests = PodRequests(c.pod.spec)
    #expect(requests.requests.milliCPU == c.milliCPU)
    #expect(requests.requests.memory == c.memory)
    #expect(requests.nonZeroMilliCPU == c.nonZeroMilliCPU)
    #expect(requests.nonZeroMemory == c.nonZeroMemory)
}

@Test(arguments: [
    ("example.com/gpu", true), ("hugepages-2Mi", true), ("attachable-volumes-csi-x", true), ("cpu", false),
    ("kubernetes.io/something", false), ("pods", false),
])
func scalarResourceNames(_ name: String, _ scalar: Bool) {
    #expect(ResourceList.isScalar(name) == scalar)
}
