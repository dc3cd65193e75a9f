/// WatchTopic: the pub/sub topics the apiserver publishes watch events on. A subscriber filters
/// by prefix, so the topics nest: every event of a resource, then of one namespace; and pods
/// bound to a node go out once more under the node, so a kubelet receives only its own pods.
///
///     w/<resource>/<namespace>/   every change of a namespaced object ("w/deployments.apps/default/")
///     w/<resource>//              every change of a cluster-scoped object ("w/nodes//")
///     n/<node>/pods/              every change of a pod bound to <node>
///     b/<resource>/               BOOKMARK events: the resource's current resourceVersion
///
/// Must never change: topics are the contract between the apiserver and every subscriber.
public enum WatchTopic {
    /// The topic an object's events are published on.
    public static func object(_ resource: GroupResource, namespace: String) -> String {
        "w/\(resource)/\(namespace)/"
    }

    /// The prefix a watcher subscribes to: one namespace, or every namespace when nil.
    public static func prefix(_ resource: GroupResource, namespace: String?) -> String {
        guard let namespace, !namespace.isEmpty else { return "w/\(resource)/" }
        return "w/\(resource)/\(namespace)/"
    }

    /// The topic of the pods bound to `node`.
    public static func pods(onNode node: String) -> String { "n/\(node)/pods/" }

    /// The topics only holders of the bus's confidential key may read: Secrets and ConfigMaps,
    /// which the node authorizer gives a kubelet one by one (the events carry the data).
    public static let confidentialPrefixes = [
        prefix(GroupResource(group: "", resource: "secrets"), namespace: nil),
        prefix(GroupResource(group: "", resource: "configmaps"), namespace: nil),
    ]

    /// The topic of a resource's bookmarks.
    public static func bookmarks(_ resource: GroupResource) -> String { "b/\(resource)/" }
}
