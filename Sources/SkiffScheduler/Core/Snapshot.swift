/// Snapshot: the cluster as one scheduling cycle sees it: every known node's NodeInfo, in a
/// stable order the algorithm walks round-robin, and a name index. Pods assigned to a node the
/// scheduler has not seen yet wait aside and join it when it appears.
///
/// A cycle reads a Snapshot without copying it: the SchedulerCache lends its own under its
/// lock, and applies the next informer change only after the cycle returns. Value semantics
/// keep a test's snapshot immutable for free.
///
/// Concurrency: a plain value. Must never: hold two NodeInfos for one name, or lose a pod when
/// its node leaves (it waits aside again).
import SkiffClient
import SkiffWire

public struct Snapshot: Sendable {
    public private(set) var nodes: [NodeInfo] = []
    private var indexByName: [String: Int] = [:]
    /// Pods assigned to nodes that are not (or no longer) known, by node name.
    private var waitingForNode: [String: [ObjectKey: PodInfo]] = [:]

    public init() {}

    /// A snapshot of these nodes with these pods assigned (tests, benchmarks).
    public init(nodes: [Node], pods: [Pod] = []) {
        for node in nodes { upsert(node) }
        for pod in pods {
            let info = PodInfo(pod)
            if !info.nodeName.isEmpty { add(info, to: info.nodeName) }
        }
    }

    public var count: Int { nodes.count }

    public subscript(name: String) -> NodeInfo? {
        indexByName[name].map { nodes[$0] }
    }

    // MARK: changes (the SchedulerCache's)

    public mutating func upsert(_ node: Node) {
        let name = node.metadata?.name ?? ""
        if let index = indexByName[name] {
            nodes[index].update(node)
            return
        }
        var info = NodeInfo(node)
        for pod in (waitingForNode.removeValue(forKey: name) ?? [:]).values { info.add(pod) }
        indexByName[name] = nodes.count
        nodes.append(info)
    }

    public mutating func removeNode(named name: String) {
        guard let index = indexByName.removeValue(forKey: name) else { return }
        let gone = nodes[index]
        // Swap-remove keeps removal O(1); the walk order changes, which only shifts round-robin.
        let last = nodes.count - 1
        if index != last {
            nodes.swapAt(index, last)
            indexByName[nodes[index].name] = index
        }
        nodes.removeLast()
        if !gone.pods.isEmpty { waitingForNode[name] = gone.pods }
    }

    public mutating func add(_ pod: PodInfo, to nodeName: String) {
        if let index = indexByName[nodeName] {
            nodes[index].add(pod)
        } else {
            waitingForNode[nodeName, default: [:]][pod.key] = pod
        }
    }

    public mutating func remove(_ key: ObjectKey, from nodeName: String) {
        if let index = indexByName[nodeName] {
            nodes[index].remove(key)
        } else {
            waitingForNode[nodeName]?[key] = nil
            if waitingForNode[nodeName]?.isEmpty == true { waitingForNode[nodeName] = nil }
        }
    }
}
