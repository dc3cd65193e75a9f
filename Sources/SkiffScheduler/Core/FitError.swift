/// FitError: why a pod fits on no node, and the message users read in its FailedScheduling event
/// and PodScheduled condition, worded exactly as Kubernetes' `FitError.Error()`:
///
///     0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu.
///
/// Each rejected node contributes the reasons of the filter that rejected it (one filter can give
/// several, e.g. "Insufficient cpu" and "Insufficient memory"); each distinct reason is printed
/// with the number of nodes that gave it, as "COUNT REASON", and the entries are sorted as
/// strings (Go's sort.Strings), then joined with ", ". With no nodes at all the message is
/// Kubernetes' ErrNoNodesAvailable, "no nodes available to schedule pods".
///
/// Concurrency: a plain value. Must never: change a word of the message; users and tools match it.
public struct FitError: Error, Sendable, Equatable, CustomStringConvertible {
    public static let noNodesAvailable = "no nodes available to schedule pods"

    /// How many nodes the snapshot held (every one was examined and rejected).
    public var numAllNodes: Int
    /// The reasons each rejected node gave, by node name.
    public var reasonsByNode: [String: [String]]

    public init(numAllNodes: Int, reasonsByNode: [String: [String]] = [:]) {
        self.numAllNodes = numAllNodes
        self.reasonsByNode = reasonsByNode
    }

    /// How many nodes gave each reason.
    public var histogram: [String: Int] {
        var counts: [String: Int] = [:]
        for reasons in reasonsByNode.values {
            for reason in reasons { counts[reason, default: 0] += 1 }
        }
        return counts
    }

    public var message: String {
        guard numAllNodes > 0 else { return Self.noNodesAvailable }
        var message = "0/\(numAllNodes) nodes are available:"
        let entries = histogram.map { "\($0.value) \($0.key)" }.sorted(by: Self.goStringOrder)
        if !entries.isEmpty { message += " " + entries.joined(separator: ", ") + "." }
        return message
    }

    public var description: String { message }

    /// Go compares strings bytewise; Swift's String `<` compares by Unicode scalars, which
    /// agrees for the ASCII these reasons use, but bytes make the rule explicit.
    static func goStringOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
}
