/// NamespaceDecision: what a deleted namespace's status says and whether it may go, from what
/// is left in it: pure, as Kubernetes' namespaced resources deleter words its conditions.
///
/// - Content remains (or a deletecollection failed): the conditions say what, and the
///   controller looks again later.
/// - Nothing remains and nothing failed: the "kubernetes" finalizer is removed through the
///   namespace's finalize step, and the namespace goes.
///
/// Concurrency: pure. Must never: finalize a namespace that still holds anything.
import SkiffWire

/// What the controller found in a namespace being deleted.
public struct NamespaceContent: Sendable, Equatable {
    /// Objects left, by resource ("pods", "replicasets.apps").
    public var remaining: [String: Int] = [:]
    /// Finalizers on the objects left, with how many objects carry each.
    public var finalizers: [String: Int] = [:]
    /// Resources whose deletecollection or list failed, with the error.
    public var failures: [String: String] = [:]

    public init(remaining: [String: Int] = [:], finalizers: [String: Int] = [:], failures: [String: String] = [:]) {
        self.remaining = remaining
        self.finalizers = finalizers
        self.failures = failures
    }

    public var isEmpty: Bool { remaining.values.allSatisfy { $0 == 0 } }
}

public struct NamespaceDecision: Sendable, Equatable {
    /// The status conditions to write (nil: unchanged).
    public var conditions: [NamespaceCondition]?
    /// Remove the "kubernetes" finalizer: the namespace is empty.
    public var finalize = false

    public static let finalizer = "kubernetes"

    public init(conditions: [NamespaceCondition]? = nil, finalize: Bool = false) {
        self.conditions = conditions
        self.finalize = finalize
    }

    public static func decide(_ namespace: Namespace, content: NamespaceContent, now: Time) -> NamespaceDecision {
        var decision = NamespaceDecision()
        guard namespace.metadata?.deletionTimestamp != nil,
              namespace.spec?.finalizers.contains(finalizer) == true else { return decision }
        decision.finalize = content.isEmpty && content.failures.isEmpty

        let left = content.remaining.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        let held = content.finalizers.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        let failed = content.failures.sorted { $0.key < $1.key }
        let wanted = [
            NamespaceCondition(type: "NamespaceDeletionDiscoveryFailure", status: "False",
                               reason: "ResourcesDiscovered", message: "All resources successfully discovered"),
            NamespaceCondition(type: "NamespaceDeletionGroupVersionParsingFailure", status: "False",
                               reason: "ParsedGroupVersions", message: "All legacy kube types successfully parsed"),
            failed.isEmpty
                ? NamespaceCondition(type: "NamespaceDeletionContentFailure", status: "False", reason: "ContentDeleted",
                                     message: "All content successfully deleted, may be waiting on finalization")
                : NamespaceCondition(type: "NamespaceDeletionContentFailure", status: "True", reason: "ContentDeletionFailed",
                                     message: "Failed to delete all resource types, \(failed.count) remaining: "
                                         + failed.map { "\($0.key): \($0.value)" }.joined(separator: ", ")),
            left.isEmpty
                ? NamespaceCondition(type: "NamespaceContentRemaining", status: "False", reason: "ContentRemoved",
                                     message: "All content successfully removed")
                : NamespaceCondition(type: "NamespaceContentRemaining", status: "True", reason: "SomeResourcesRemain",
                                     message: "Some resources are remaining: "
                                         + left.map { "\($0.key) has \($0.value) resource instances" }.joined(separator: ", ")),
            held.isEmpty
                ? NamespaceCondition(type: "NamespaceFinalizersRemaining", status: "False", reason: "ContentHasNoFinalizers",
                                     message: "All content-preserving finalizers finished")
                : NamespaceCondition(type: "NamespaceFinalizersRemaining", status: "True", reason: "SomeFinalizersRemain",
                                     message: "Some content in the namespace has finalizers remaining: "
                                         + held.map { "\($0.key) in \($0.value) resource instances" }.joined(separator: ", ")),
        ]
        let current = namespace.status?.conditions ?? []
        let merged = wanted.map { condition -> NamespaceCondition in
            var condition = condition
            let old = current.first { $0.type == condition.type }
            condition.lastTransitionTime = old?.status == condition.status ? (old?.lastTransitionTime ?? now) : now
            return condition
        }
        let others = current.filter { old in !wanted.contains { $0.type == old.type } }
        if merged + others != current { decision.conditions = merged + others }
        return decision
    }
}
