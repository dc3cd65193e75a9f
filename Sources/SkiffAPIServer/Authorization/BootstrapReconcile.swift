/// Whether a stored default ClusterRole or ClusterRoleBinding still says what the bootstrap
/// policy says (rules, aggregation, subjects, role, labels): the apiserver rewrites one that
/// drifted at start, unless an administrator turned its autoupdate annotation off.
///
/// Concurrency: pure. Must never: call two objects of different kinds equal.
import SkiffWire

extension BootstrapPolicy {
    static func matches(_ stored: any APIObject, _ wanted: any APIObject) -> Bool {
        guard stored.metadata?.labels == wanted.metadata?.labels,
              stored.metadata?.annotations == wanted.metadata?.annotations else { return false }
        switch (stored, wanted) {
        case let (stored as ClusterRole, wanted as ClusterRole):
            return stored.rules == wanted.rules && stored.aggregationRule == wanted.aggregationRule
        case let (stored as ClusterRoleBinding, wanted as ClusterRoleBinding):
            return stored.subjects == wanted.subjects && stored.roleRef == wanted.roleRef
        default:
            return false
        }
    }
}
