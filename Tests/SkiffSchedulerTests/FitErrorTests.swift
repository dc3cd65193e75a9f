/// Table tests of the FitError message, against Kubernetes' exact wording and ordering.
import SkiffScheduler
import Testing

struct FitErrorCase: Sendable, CustomTestStringConvertible {
    var name: String
    var error: FitError
    var message: String
    var testDescription: String { name }
}

@Test(arguments: [
    FitErrorCase(name: "no nodes", error: FitError(numAllNodes: 0), message: "no nodes available to schedule pods"),
    FitErrorCase(name: "one reason", error: FitError(numAllNodes: 1, reasonsByNode: ["a": ["Insufficient cpu"]]),
                 message: "0/1 nodes are available: 1 Insufficient cpu."),
    FitErrorCase(name: "counted per node and sorted as strings", error: FitError(numAllNodes: 3, reasonsByNode: [
        "a": ["Insufficient cpu"], "b": ["Insufficient cpu"], "c": ["node(s) didn't match Pod's node affinity/selector"],
    ]), message: "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu."),
    FitErrorCase(name: "one node gives several reasons", error: FitError(numAllNodes: 2, reasonsByNode: [
        "a": ["Insufficient cpu", "Insufficient memory"], "b": ["Insufficient memory"],
    ]), message: "0/2 nodes are available: 1 Insufficient cpu, 2 Insufficient memory."),
    FitErrorCase(name: "taints, cordon and readiness", error: FitError(numAllNodes: 4, reasonsByNode: [
        "a": ["node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"],
        "b": ["node(s) were unschedulable"], "c": ["node(s) were not ready"], "d": ["node(s) were not ready"],
    ]), message: "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        + "1 node(s) were unschedulable, 2 node(s) were not ready."),
    FitErrorCase(name: "counts sort as text, as Go's sort.Strings", error: FitError(numAllNodes: 12, reasonsByNode:
        Dictionary(uniqueKeysWithValues: (0..<10).map { ("n\($0)", ["Insufficient cpu"]) }
            + [("x", ["Too many pods"]), ("y", ["Too many pods"])])),
                 message: "0/12 nodes are available: 10 Insufficient cpu, 2 Too many pods."),
])
func fitErrorMessage(_ c: FitErrorCase) {
    #expect(c.error.message == c.message)
}
