/// CompletionIndexes: an Indexed Job's set of indexes and its compact text, "1,3-5,7", as
/// status.completedIndexes writes it; and the index a pod carries in its annotation.
///
/// Concurrency: values. Must never: accept an index outside [0, completions).
import SkiffWire

public struct CompletionIndexes: Sendable, Equatable, CustomStringConvertible {
    public private(set) var indexes: Set<Int> = []

    public init(_ indexes: some Sequence<Int> = []) { self.indexes = Set(indexes) }

    /// Parses "1,3-5"; entries that do not parse, or lie outside [0, completions), are dropped,
    /// as Kubernetes' parseIndexesFromString does.
    public init(parsing text: String?, completions: Int) {
        for part in (text ?? "").split(separator: ",") {
            let bounds = part.split(separator: "-", maxSplits: 1).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard let first = bounds.first, let low = first else { continue }
            let high = bounds.count == 2 ? bounds[1] : low
            guard let high, low <= high else { continue }
            for index in low...high where index >= 0 && index < completions { indexes.insert(index) }
        }
    }

    public var count: Int { indexes.count }
    public func contains(_ index: Int) -> Bool { indexes.contains(index) }
    public mutating func insert(_ index: Int) { indexes.insert(index) }

    /// Runs of consecutive indexes as "low-high", single ones alone, in order, as Kubernetes writes them.
    public var description: String {
        var parts: [String] = []
        var sorted = indexes.sorted()[...]
        while let low = sorted.popFirst() {
            var high = low
            while sorted.first == high + 1 { high = sorted.popFirst()! }
            parts.append(high == low ? "\(low)" : "\(low)-\(high)")
        }
        return parts.joined(separator: ",")
    }

    /// The annotation (and label) an Indexed Job's pod carries its index in.
    public static let annotation = "batch.kubernetes.io/job-completion-index"

    /// The pod's index, or nil when it has none that parses (a pod Skiff did not make).
    public static func of(_ pod: Pod) -> Int? {
        guard let text = pod.metadata?.annotations[annotation], let index = Int(text), index >= 0 else { return nil }
        return index
    }
}
