/// Table tests of every filter plugin: a pod, a node (with the pods already on it), and the
/// reasons Kubernetes gives, word for word.
import SkiffScheduler
import SkiffWire
import Testing

struct FilterCase: Sendable, CustomTestStringConvertible {
    var name: String
    var pod: Pod
    var node: Node
    var assigned: [Pod] = []
    var reasons: [String]
    var testDescription: String { name }
}

private let noScheduleTaint = Taint(key: "dedicated", value: "gpu", effect: "NoSchedule")

@Test(arguments: [
    FilterCase(name: "schedulable node", pod: pod("p"), node: node("n"), reasons: []),
    FilterCase(name: "cordoned node", pod: pod("p"), node: node("n", unschedulable: true),
               reasons: ["node(s) were unschedulable"]),
    FilterCase(name: "cordoned node, tolerated", pod: pod("p", tolerations: [
        Toleration(key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule")]),
               node: node("n", unschedulable: true), reasons: []),
    FilterCase(name: "cordoned node, tolerated by Exists on every key",
               pod: pod("p", tolerations: [Toleration(operator: "Exists")]), node: node("n", unschedulable: true),
               reasons: []),
])
func nodeUnschedulable(_ c: FilterCase) {
    #expect(NodeUnschedulable().filter(PodInfo(c.pod), nodeInfo(c.node)) == c.reasons)
}

@Test(arguments: [
    FilterCase(name: "Ready True", pod: pod("p"), node: node("n", ready: "True"), reasons: []),
    FilterCase(name: "Ready False", pod: pod("p"), node: node("n", ready: "False"), reasons: ["node(s) were not ready"]),
    FilterCase(name: "Ready Unknown", pod: pod("p"), node: node("n", ready: "Unknown"), reasons: ["node(s) were not ready"]),
    FilterCase(name: "no Ready condition", pod: pod("p"), node: node("n", ready: nil), reasons: ["node(s) were not ready"]),
    FilterCase(name: "not ready, tolerated", pod: pod("p", tolerations: [
        Toleration(key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoSchedule")]),
               node: node("n", ready: "False"), reasons: []),
    FilterCase(name: "unknown, not-ready toleration is not enough", pod: pod("p", tolerations: [
        Toleration(key: "node.kubernetes.io/not-ready", operator: "Exists")]),
               node: node("n", ready: "Unknown"), reasons: ["node(s) were not ready"]),
    FilterCase(name: "unknown, unreachable tolerated", pod: pod("p", tolerations: [
        Toleration(key: "node.kubernetes.io/unreachable", operator: "Exists")]),
               node: node("n", ready: "Unknown"), reasons: []),
])
func nodeReady(_ c: FilterCase) {
    #expect(NodeReady().filter(PodInfo(c.pod), nodeInfo(c.node)) == c.reasons)
}

@Test(arguments: [
    FilterCase(name: "no nodeName", pod: pod("p"), node: node("a"), reasons: []),
    FilterCase(name: "same nodeName", pod: pod("p", nodeName: "a"), node: node("a"), reasons: []),
    FilterCase(name: "other nodeName", pod: pod("p", nodeName: "b"), node: node("a"),
               reasons: ["node(s) didn't match the requested node name"]),
])
func nodeName(_ c: FilterCase) {
    #expect(NodeName().filter(PodInfo(c.pod), nodeInfo(c.node)) == c.reasons)
}

@Test(arguments: [
    FilterCase(name: "untainted", pod: pod("p"), node: node("n"), reasons: []),
    FilterCase(name: "NoSchedule untolerated", pod: pod("p"), node: node("n", taints: [noScheduleTaint]),
               reasons: ["node(s) had untolerated taint {dedicated: gpu}"]),
    FilterCase(name: "NoExecute untolerated, no value", pod: pod("p"),
               node: node("n", taints: [Taint(key: "node-role.kubernetes.io/control-plane", effect: "NoExecute")]),
               reasons: ["node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"]),
    FilterCase(name: "PreferNoSchedule never filters", pod: pod("p"),
               node: node("n", taints: [Taint(key: "soft", value: "x", effect: "PreferNoSchedule")]), reasons: []),
    FilterCase(name: "Equal toleration", pod: pod("p", tolerations: [
        Toleration(key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule")]),
               node: node("n", taints: [noScheduleTaint]), reasons: []),
    FilterCase(name: "Equal toleration is the default operator", pod: pod("p", tolerations: [
        Toleration(key: "dedicated", value: "gpu")]), node: node("n", taints: [noScheduleTaint]), reasons: []),
    FilterCase(name: "wrong value", pod: pod("p", tolerations: [Toleration(key: "dedicated", value: "cpu")]),
               node: node("n", taints: [noScheduleTaint]), reasons: ["node(s) had untolerated taint {dedicated: gpu}"]),
    FilterCase(name: "wrong effect", pod: pod("p", tolerations: [
        Toleration(key: "dedicated", operator: "Exists", effect: "NoExecute")]),
               node: node("n", taints: [noScheduleTaint]), reasons: ["node(s) had untolerated taint {dedicated: gpu}"]),
    FilterCase(name: "first untolerated taint is named", pod: pod("p", tolerations: [Toleration(key: "a", operator: "Exists")]),
               node: node("n", taints: [Taint(key: "a", value: "1", effect: "NoSchedule"),
                                        Taint(key: "b", value: "2", effect: "NoSchedule")]),
               reasons: ["node(s) had untolerated taint {b: 2}"]),
])
func taintTolerationFilter(_ c: FilterCase) {
    #expect(TaintToleration().filter(PodInfo(c.pod), nodeInfo(c.node)) == c.reasons)
}

private let affinityMiss = ["node(s) didn't match Pod's node affinity/selector"]
private let zoned = node("n", labels: ["zone": "a", "gen": "5"])

@Test(arguments: [
    FilterCase(name: "nothing required", pod: pod("p"), node: zoned, reasons: []),
    FilterCase(name: "nodeSelector matches", pod: pod("p", nodeSelector: ["zone": "a"]), node: zoned, reasons: []),
    FilterCase(name: "nodeSelector differs", pod: pod("p", nodeSelector: ["zone": "b"]), node: zoned, reasons: affinityMiss),
    FilterCase(name: "nodeSelector label missing", pod: pod("p", nodeSelector: ["disk": "ssd"]), node: zoned,
               reasons: affinityMiss),
    FilterCase(name: "In", pod: pod("p", affinity: required(NodeSelectorTerm(matchExpressions: [
        requirement("zone", "In", ["a", "b"])]))), node: zoned, reasons: []),
    FilterCase(name: "In, no value matches", pod: pod("p", affinity: required(NodeSelectorTerm(matchExpressions: [
        requirement("zone", "In", ["c"])]))), node: zoned, reasons: affinityMiss),
    FilterCase(name: "NotIn", pod: pod("p", affinity: required(NodeSelectorTerm(matchExpressions: [
        requirement("zone", "NotIn", ["a"])]))), node: zoned, reasons: affinityMiss),
    FilterCase(name: "NotIn on an absent label", pod: pod("p", affinity: required(NodeSelectorTerm(matchExpressions: [
        requirement("disk", "NotIn", ["hdd"])]))), node: zoned, reasons: []),
    FilterCase(name: "Exists", pod: pod("p", affinity: required(NodeSelectorTerm(matchExpressions: [
        requirement("gen", "Exists")]))), node: zoned, reasons: []),
    FilterCase(name: "DoesNotExist", pod: pod("p", affinity: required(NodeSelectorTerm(matchExpressions: [
        requirement("gen", "DoesNotExist")]))), node: zoned, reasons: affinityMiss),
    FilterCase(name: "Gt", pod: pod("p", affinity: required(NodeSelectorTerm(matchExpressions: [
        requirement("gen", "Gt", ["4"])]))), node: zoned, reasons: []),
    FilterCase(name: "Gt, equal is not greater", pod: pod("p", affinity: required(NodeSelectorTerm(matchExpressions: [
        requirement("gen", "Gt", ["5"])]))), node: zoned, reasons: affinityMiss),
    FilterCase(name: "Lt", pod: pod("p", affinity: required(NodeSelectorTerm(matchExpressions: [
        requirement("gen", "Lt", ["6"])]))), node: zoned, reasons: []),
    FilterCase(name: "Lt on a non-integer label", pod: pod("p", affinity: required(NodeSelectorTerm(matchExpressions: [
        requirement("zone", "Lt", ["6"])]))), node: zoned, reasons: affinityMiss),
    FilterCase(name: "matchFields metadata.name In", pod: pod("p", affinity: required(NodeSelectorTerm(matchFields: [
        requirement("metadata.name", "In", ["n"])]))), node: zoned, reasons: []),
    FilterCase(name: "matchFields metadata.name NotIn", pod: pod("p", affinity: required(NodeSelectorTerm(matchFields: [
        requirement("metadata.name", "NotIn", ["n"])]))), node: zoned, reasons: affinityMiss),
    FilterCase(name: "terms are ORed", pod: pod("p", affinity: required(
        NodeSelectorTerm(matchExpressions: [requirement("zone", "In", ["x"])]),
        NodeSelectorTerm(matchExpressions: [requirement("zone", "In", ["a"])]))), node: zoned, reasons: []),
    FilterCase(name: "expressions are ANDed", pod: pod("p", affinity: required(NodeSelectorTerm(matchExpressions: [
        requirement("zone", "In", ["a"]), requirement("gen", "In", ["4"])]))), node: zoned, reasons: affinityMiss),
    FilterCase(name: "an empty term matches nothing", pod: pod("p", affinity: required(NodeSelectorTerm())),
               node: zoned, reasons: affinityMiss),
    FilterCase(name: "selector and affinity must both match", pod: pod("p", nodeSelector: ["zone": "b"],
        affinity: required(NodeSelectorTerm(matchExpressions: [requirement("zone", "In", ["a"])]))),
               node: zoned, reasons: affinityMiss),
])
func nodeAffinityFilter(_ c: FilterCase) {
    #expect(NodeAffinityPlugin().filter(PodInfo(c.pod), nodeInfo(c.node)) == c.reasons)
}

private let portsMiss = ["node(s) didn't have free ports for the requested pod ports"]

@Test(arguments: [
    FilterCase(name: "no host ports", pod: pod("p"), node: node("n"),
               assigned: [pod("q", containers: [container(hostPorts: [80])], nodeName: "n")], reasons: []),
    FilterCase(name: "free port", pod: pod("p", containers: [container(hostPorts: [8080])]), node: node("n"),
               assigned: [pod("q", containers: [container(hostPorts: [80])], nodeName: "n")], reasons: []),
    FilterCase(name: "taken port", pod: pod("p", containers: [container(hostPorts: [80])]), node: node("n"),
               assigned: [pod("q", containers: [container(hostPorts: [80])], nodeName: "n")], reasons: portsMiss),
    FilterCase(name: "taken by a sidecar", pod: pod("p", containers: [container(hostPorts: [80])]), node: node("n"),
               assigned: [pod("q", initContainers: [container("side", hostPorts: [80], restartPolicy: "Always")],
                              nodeName: "n")], reasons: portsMiss),
    FilterCase(name: "a regular init container holds no port", pod: pod("p", containers: [container(hostPorts: [80])]),
               node: node("n"), assigned: [pod("q", initContainers: [container("init", hostPorts: [80])], nodeName: "n")],
               reasons: []),
])
func nodePorts(_ c: FilterCase) {
    #expect(NodePorts().filter(PodInfo(c.pod), nodeInfo(c.node, pods: c.assigned)) == c.reasons)
}

@Test(arguments: [
    (HostPort(port: 80), HostPort(port: 80), true),
    (HostPort(port: 80), HostPort(port: 81), false),
    (HostPort(protocol: "UDP", port: 53), HostPort(protocol: "TCP", port: 53), false),
    (HostPort(ip: "10.0.0.1", port: 80), HostPort(ip: "10.0.0.2", port: 80), false),
    (HostPort(ip: "10.0.0.1", port: 80), HostPort(ip: "10.0.0.1", port: 80), true),
    (HostPort(ip: "10.0.0.1", port: 80), HostPort(port: 80), true),
])
func hostPortConflicts(_ a: HostPort, _ b: HostPort, _ conflict: Bool) {
    #expect(a.conflicts(with: b) == conflict)
    #expect(b.conflicts(with: a) == conflict)
}

@Test(arguments: [
    FilterCase(name: "fits", pod: pod("p", cpu: "1", memory: "1Gi"), node: node("n", cpu: "2", memory: "2Gi"), reasons: []),
    FilterCase(name: "exactly fits", pod: pod("p", cpu: "1", memory: "1Gi"), node: node("n", cpu: "2", memory: "2Gi"),
               assigned: [pod("q", cpu: "1", memory: "1Gi", nodeName: "n")], reasons: []),
    FilterCase(name: "cpu short", pod: pod("p", cpu: "1500m"), node: node("n", cpu: "2"),
               assigned: [pod("q", cpu: "1", nodeName: "n")], reasons: ["Insufficient cpu"]),
    FilterCase(name: "memory short", pod: pod("p", memory: "2Gi"), node: node("n", memory: "3Gi"),
               assigned: [pod("q", memory: "1500Mi", nodeName: "n")], reasons: ["Insufficient memory"]),
    FilterCase(name: "both short: two reasons from one node", pod: pod("p", cpu: "3", memory: "3Gi"),
               node: node("n", cpu: "2", memory: "2Gi"), reasons: ["Insufficient cpu", "Insufficient memory"]),
    FilterCase(name: "ephemeral storage", pod: pod("p", containers: [container(extra: ["ephemeral-storage": "2Gi"])]),
               node: node("n", extra: ["ephemeral-storage": "1Gi"]), reasons: ["Insufficient ephemeral-storage"]),
    FilterCase(name: "extended resource absent", pod: pod("p", containers: [container(extra: ["example.com/gpu": "1"])]),
               node: node("n"), reasons: ["Insufficient example.com/gpu"]),
    FilterCase(name: "extended resource offered", pod: pod("p", containers: [container(extra: ["example.com/gpu": "1"])]),
               node: node("n", extra: ["example.com/gpu": "2"]), reasons: []),
    FilterCase(name: "too many pods", pod: pod("p"), node: node("n", pods: "1"),
               assigned: [pod("q", nodeName: "n")], reasons: ["Too many pods"]),
    FilterCase(name: "too many pods first, then resources", pod: pod("p", cpu: "5"), node: node("n", cpu: "4", pods: "1"),
               assigned: [pod("q", nodeName: "n")], reasons: ["Too many pods", "Insufficient cpu"]),
    FilterCase(name: "a node that states no pod count takes no pod", pod: pod("p"), node: Node(
        metadata: ObjectMeta(name: "n"), status: NodeStatus(allocatable: ["cpu": "4"])), reasons: ["Too many pods"]),
    FilterCase(name: "best-effort pod fits a full node", pod: pod("p"), node: node("n", cpu: "1"),
               assigned: [pod("q", cpu: "1", nodeName: "n")], reasons: []),
    FilterCase(name: "init container raises the request", pod: pod("p", cpu: "500m",
        initContainers: [container("init", cpu: "3")]), node: node("n", cpu: "2"), reasons: ["Insufficient cpu"]),
    FilterCase(name: "overhead counts", pod: pod("p", cpu: "1", overhead: ["cpu": "1500m"]), node: node("n", cpu: "2"),
               reasons: ["Insufficient cpu"]),
])
func nodeResourcesFitFilter(_ c: FilterCase) {
    #expect(NodeResourcesFit().filter(PodInfo(c.pod), nodeInfo(c.node, pods: c.assigned)) == c.reasons)
}
