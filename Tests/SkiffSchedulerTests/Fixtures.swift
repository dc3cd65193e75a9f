/// Builders for the scheduler's tests: nodes and pods in a line each, with only what a case
/// cares about spelled out.
import SkiffClient
import SkiffScheduler
import SkiffWire

func node(_ name: String, cpu: String = "4", memory: String = "32Gi", pods: String = "110",
          extra: [String: Quantity] = [:], labels: [String: String] = [:], taints: [Taint] = [],
          unschedulable: Bool = false, ready: String? = "True") -> Node {
    var allocatable: [String: Quantity] = ["cpu": Quantity(cpu)!, "memory": Quantity(memory)!, "pods": Quantity(pods)!]
    for (key, value) in extra { allocatable[key] = value }
    let conditions = ready.map { [NodeCondition(type: "Ready", status: $0)] } ?? []
    return Node(metadata: ObjectMeta(name: name, labels: labels),
                spec: NodeSpec(unschedulable: unschedulable, taints: taints),
                status: NodeStatus(capacity: allocatable, allocatable: allocatable, conditions: conditions))
}

func container(_ name: String = "app", cpu: String? = nil, memory: String? = nil, extra: [String: Quantity] = [:],
               hostPorts: [Int32] = [], restartPolicy: String? = nil) -> Container {
    var requests = extra
    if let cpu { requests["cpu"] = Quantity(cpu)! }
    if let memory { requests["memory"] = Quantity(memory)! }
    return Container(name: name, image: "busybox",
                     ports: hostPorts.map { ContainerPort(hostPort: $0, containerPort: $0) },
                     resources: ResourceRequirements(requests: requests), restartPolicy: restartPolicy)
}

func pod(_ name: String, namespace: String = "default", cpu: String? = nil, memory: String? = nil,
         containers: [Container]? = nil, initContainers: [Container] = [], overhead: [String: Quantity] = [:],
         nodeName: String? = nil, nodeSelector: [String: String] = [:], affinity: NodeAffinity? = nil,
         tolerations: [Toleration] = [], owner: String? = nil, priority: Int32? = nil,
         schedulerName: String? = "default-scheduler") -> Pod {
    let owners = owner.map { [OwnerReference(apiVersion: "apps/v1", kind: "ReplicaSet", name: $0, uid: "uid-\($0)",
                                             controller: true)] } ?? []
    let spec = PodSpec(initContainers: initContainers,
                       containers: containers ?? [container(cpu: cpu, memory: memory)],
                       nodeSelector: nodeSelector, nodeName: nodeName,
                       affinity: affinity.map { SkiffWire.Affinity(nodeAffinity: $0) },
                       schedulerName: schedulerName, tolerations: tolerations, priority: priority, overhead: overhead)
    return Pod(metadata: ObjectMeta(name: name, namespace: namespace, uid: "uid-\(name)", resourceVersion: "1",
                                    ownerReferences: owners),
               spec: spec, status: PodStatus(phase: "Pending"))
}

func requirement(_ key: String, _ op: String, _ values: [String] = []) -> NodeSelectorRequirement {
    NodeSelectorRequirement(key: key, operator: op, values: values)
}

func required(_ terms: NodeSelectorTerm...) -> NodeAffinity {
    NodeAffinity(requiredDuringSchedulingIgnoredDuringExecution: NodeSelector(nodeSelectorTerms: terms))
}

func nodeInfo(_ node: Node, pods: [Pod] = []) -> NodeInfo {
    var info = NodeInfo(node)
    for pod in pods { info.add(PodInfo(pod)) }
    return info
}
