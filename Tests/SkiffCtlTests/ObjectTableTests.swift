/// ObjectTable: kubectl's columns for each kind, with a fixed `now` five minutes after the
/// objects were created.
import Foundation
import SkiffAPI
import SkiffCtl
import SkiffWire
import Testing

@Suite struct ObjectTableTests {
    static let now = later(300)

    static func meta(_ name: String, namespace: String? = "default", labels: [String: String] = [:]) -> ObjectMeta {
        ObjectMeta(name: name, namespace: namespace, creationTimestamp: created, labels: labels)
    }

    static func template(_ pairs: [(String, String)]) -> PodTemplateSpec {
        PodTemplateSpec(spec: PodSpec(containers: pairs.map { Container(name: $0.0, image: $0.1) }))
    }

    static func lines(_ objects: [any APIObject], _ kind: String, wide: Bool = false, allNamespaces: Bool = false,
                      showLabels: Bool = false) throws -> [String] {
        let resource = try ResourceArguments.resolve(kind)
        return TableLayout.render(ObjectTable.table(objects, resource: resource, now: now,
                                                    options: TableOptions(wide: wide, withNamespace: allNamespaces,
                                                                          showLabels: showLabels)))
    }

    @Test func pods() throws {
        let pod = Pod(metadata: Self.meta("web-1"), spec: PodSpec(containers: [Container(name: "app")], nodeName: "node-1"),
                      status: PodStatus(phase: "Running", podIP: "10.1.0.5",
                                        containerStatuses: [PodSummaryTests.running("app")]))
        let pending = Pod(metadata: Self.meta("web-2"), spec: PodSpec(containers: [Container(name: "app")]),
                          status: PodStatus(phase: "Pending"))
        #expect(try Self.lines([pod, pending], "pods") == [
            "NAME    READY   STATUS    RESTARTS   AGE",
            "web-1   1/1     Running   0          5m",
            "web-2   0/1     Pending   0          5m",
        ])
        #expect(try Self.lines([pod, pending], "po", wide: true) == [
            "NAME    READY   STATUS    RESTARTS   AGE   IP         NODE     NOMINATED NODE   READINESS GATES",
            "web-1   1/1     Running   0          5m    10.1.0.5   node-1   <none>           <none>",
            "web-2   0/1     Pending   0          5m    <none>     <none>   <none>           <none>",
        ])
    }

    @Test func allNamespacesPutsNamespaceFirstAndShowLabelsLast() throws {
        let pod = Pod(metadata: Self.meta("web", namespace: "shop", labels: ["tier": "fe", "app": "web"]),
                      spec: PodSpec(containers: [Container(name: "app")]), status: PodStatus(phase: "Pending"))
        #expect(try Self.lines([pod], "pods", allNamespaces: true, showLabels: true) == [
            "NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE   LABELS",
            "shop        web    0/1     Pending   0          5m    app=web,tier=fe",
        ])
    }

    @Test func deployments() throws {
        let deployment = Deployment(
            metadata: Self.meta("web"),
            spec: DeploymentSpec(replicas: 3, selector: LabelSelector(matchLabels: ["app": "web"]),
                                 template: Self.template([("app", "nginx:1.27"), ("log", "busybox")])),
            status: DeploymentStatus(replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2))
        #expect(try Self.lines([deployment], "deploy") == [
            "NAME   READY   UP-TO-DATE   AVAILABLE   AGE",
            "web    2/3     3            2           5m",
        ])
        #expect(try Self.lines([deployment], "deploy", wide: true) == [
            "NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES               SELECTOR",
            "web    2/3     3            2           5m    app,log      nginx:1.27,busybox   app=web",
        ])
    }

    @Test func replicaSetsAndReplicationControllers() throws {
        let set = ReplicaSet(metadata: Self.meta("web-5d8f"), spec: ReplicaSetSpec(replicas: 2),
                             status: ReplicaSetStatus(replicas: 2, readyReplicas: 1))
        #expect(try Self.lines([set], "rs") == [
            "NAME       DESIRED   CURRENT   READY   AGE",
            "web-5d8f   2         2         1       5m",
        ])
        let controller = ReplicationController(metadata: Self.meta("old"), spec: ReplicationControllerSpec(replicas: 1),
                                               status: ReplicationControllerStatus(replicas: 1, readyReplicas: 1))
        #expect(try Self.lines([controller], "rc") == [
            "NAME   DESIRED   CURRENT   READY   AGE",
            "old    1         1         1       5m",
        ])
    }

    @Test func daemonSetsAndStatefulSets() throws {
        let daemons = DaemonSet(metadata: Self.meta("agent"),
                                spec: DaemonSetSpec(template: PodTemplateSpec(spec: PodSpec(nodeSelector: ["os": "linux"]))),
                                status: DaemonSetStatus(currentNumberScheduled: 2, desiredNumberScheduled: 2, numberReady: 2,
                                                        updatedNumberScheduled: 2, numberAvailable: 2))
        #expect(try Self.lines([daemons], "ds") == [
            "NAME    DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE",
            "agent   2         2         2       2            2           os=linux        5m",
        ])
        let stateful = StatefulSet(metadata: Self.meta("db"), spec: StatefulSetSpec(replicas: 3),
                                   status: StatefulSetStatus(readyReplicas: 1))
        #expect(try Self.lines([stateful], "sts") == ["NAME   READY   AGE", "db     1/3     5m"])
    }

    @Test func services() throws {
        let clusterIP = Service(metadata: Self.meta("web"), spec: ServiceSpec(
            ports: [ServicePort(port: 80), ServicePort(protocol: "UDP", port: 53)], selector: ["app": "web"],
            clusterIP: "10.96.0.10"))
        let nodePort = Service(metadata: Self.meta("edge"), spec: ServiceSpec(
            ports: [ServicePort(port: 80, nodePort: 30080)], clusterIP: "10.96.0.11", type: "NodePort"))
        let balancer = Service(metadata: Self.meta("lb"), spec: ServiceSpec(
            ports: [ServicePort(port: 443)], clusterIP: "10.96.0.12", type: "LoadBalancer"))
        let external = Service(metadata: Self.meta("db"), spec: ServiceSpec(type: "ExternalName", externalName: "db.example.com"))
        #expect(try Self.lines([clusterIP, nodePort, balancer, external], "svc") == [
            "NAME   TYPE           CLUSTER-IP   EXTERNAL-IP      PORT(S)         AGE",
            "web    ClusterIP      10.96.0.10   <none>           80/TCP,53/UDP   5m",
            "edge   NodePort       10.96.0.11   <none>           80:30080/TCP    5m",
            "lb     LoadBalancer   10.96.0.12   <pending>        443/TCP         5m",
            "db     ExternalName   <none>       db.example.com   <none>          5m",
        ])
        #expect(try Self.lines([clusterIP], "svc", wide: true).last?.hasSuffix("5m    app=web") == true)
    }

    @Test func nodes() throws {
        let ready = Node(metadata: Self.meta("node-1", namespace: nil, labels: ["node-role.kubernetes.io/control-plane": ""]),
                         status: NodeStatus(conditions: [NodeCondition(type: "Ready", status: "True")],
                                            addresses: [NodeAddress(type: "InternalIP", address: "192.168.1.10")],
                                            nodeInfo: NodeSystemInfo(kernelVersion: "6.8.0", osImage: "Debian 12",
                                                                     containerRuntimeVersion: "skiff://0.1",
                                                                     kubeletVersion: "v0.1.0")))
        let cordoned = Node(metadata: Self.meta("node-2", namespace: nil), spec: NodeSpec(unschedulable: true),
                            status: NodeStatus(conditions: [NodeCondition(type: "Ready", status: "False")]))
        #expect(try Self.lines([ready, cordoned], "nodes") == [
            "NAME     STATUS                        ROLES           AGE   VERSION",
            "node-1   Ready                         control-plane   5m    v0.1.0",
            "node-2   NotReady,SchedulingDisabled   <none>          5m",
        ])
        #expect(try Self.lines([ready], "no", wide: true).last
                == "node-1   Ready    control-plane   5m    v0.1.0    192.168.1.10   <none>        Debian 12   6.8.0            skiff://0.1")
    }

    @Test func namespaces() throws {
        let terminating = Namespace(metadata: Self.meta("old", namespace: nil), status: NamespaceStatus(phase: "Terminating"))
        #expect(try Self.lines([Namespace(metadata: Self.meta("shop", namespace: nil)), terminating], "ns") == [
            "NAME   STATUS        AGE",
            "shop   Active        5m",
            "old    Terminating   5m",
        ])
    }

    @Test func jobs() throws {
        let done = Job(metadata: Self.meta("backup"), spec: JobSpec(completions: 1),
                       status: JobStatus(conditions: [JobCondition(type: "Complete", status: "True")],
                                         startTime: Time(seconds: created.seconds + 10),
                                         completionTime: Time(seconds: created.seconds + 52), succeeded: 1))
        let running = Job(metadata: Self.meta("report"), spec: JobSpec(parallelism: 2),
                          status: JobStatus(startTime: Time(seconds: created.seconds + 100), active: 2))
        #expect(try Self.lines([done, running], "jobs") == [
            "NAME     STATUS     COMPLETIONS   DURATION   AGE",
            "backup   Complete   1/1           42s        5m",
            "report   Running    0/1 of 2      3m20s      5m",
        ])
    }

    @Test func configMapsAndSecrets() throws {
        let map = ConfigMap(metadata: Self.meta("settings"), data: ["a": "1", "b": "2"], binaryData: ["c": [1]])
        #expect(try Self.lines([map], "cm") == ["NAME       DATA   AGE", "settings   3      5m"])
        let secret = Secret(metadata: Self.meta("creds"), data: ["password": Array("hunter2".utf8)], type: "Opaque")
        let lines = try Self.lines([secret], "secret")
        #expect(lines == ["NAME    TYPE     DATA   AGE", "creds   Opaque   1      5m"])
        #expect(!lines.joined().contains("hunter2"))
    }

    @Test func events() throws {
        let event = Event(metadata: Self.meta("web.1"), involvedObject: ObjectReference(kind: "Pod", name: "web"),
                          reason: "Scheduled", message: "Successfully assigned default/web to node-1",
                          lastTimestamp: Time(seconds: created.seconds + 280), type: "Normal")
        #expect(try Self.lines([event], "ev") == [
            "LAST SEEN   TYPE     REASON      OBJECT    MESSAGE",
            "20s         Normal   Scheduled   pod/web   Successfully assigned default/web to node-1",
        ])
    }

    @Test func volumesAndClaims() throws {
        let volume = PersistentVolume(
            metadata: Self.meta("pv-1", namespace: nil),
            spec: PersistentVolumeSpec(capacity: ["storage": "10Gi"], accessModes: ["ReadWriteOnce"],
                                       claimRef: ObjectReference(namespace: "default", name: "data"),
                                       persistentVolumeReclaimPolicy: "Retain", storageClassName: "local"),
            status: PersistentVolumeStatus(phase: "Bound"))
        #expect(try Self.lines([volume], "pv") == [
            "NAME   CAPACITY   ACCESS MODES   RECLAIM POLICY   STATUS   CLAIM          STORAGECLASS   VOLUMEATTRIBUTESCLASS   REASON   AGE",
            "pv-1   10Gi       RWO            Retain           Bound    default/data   local          <unset>                          5m",
        ])
        let claim = PersistentVolumeClaim(
            metadata: Self.meta("data"), spec: PersistentVolumeClaimSpec(volumeName: "pv-1", storageClassName: "local"),
            status: PersistentVolumeClaimStatus(phase: "Bound", accessModes: ["ReadWriteOnce", "ReadOnlyMany"],
                                                capacity: ["storage": "10Gi"]))
        #expect(try Self.lines([claim], "pvc") == [
            "NAME   STATUS   VOLUME   CAPACITY   ACCESS MODES   STORAGECLASS   VOLUMEATTRIBUTESCLASS   AGE",
            "data   Bound    pv-1     10Gi       RWO,ROX        local          <unset>                 5m",
        ])
    }

    @Test func serviceAccountsEndpointsAndAutoscalers() throws {
        #expect(try Self.lines([ServiceAccount(metadata: Self.meta("default"))], "sa") == [
            "NAME      SECRETS   AGE", "default   0         5m",
        ])
        let addresses = (1...5).map { EndpointAddress(ip: "10.1.0.\($0)") }
        let endpoints = Endpoints(metadata: Self.meta("web"),
                                  subsets: [EndpointSubset(addresses: addresses, ports: [EndpointPort(port: 8080)])])
        #expect(try Self.lines([endpoints, Endpoints(metadata: Self.meta("none"))], "ep") == [
            "NAME   ENDPOINTS                                               AGE",
            "web    10.1.0.1:8080,10.1.0.2:8080,10.1.0.3:8080 + 2 more...   5m",
            "none   <none>                                                  5m",
        ])
        let autoscaler = HorizontalPodAutoscaler(
            metadata: Self.meta("web"),
            spec: HorizontalPodAutoscalerSpec(
                scaleTargetRef: CrossVersionObjectReference(kind: "Deployment", name: "web"), minReplicas: 1, maxReplicas: 5,
                metrics: [MetricSpec(type: "Resource", resource: ResourceMetricSource(
                    name: "cpu", target: MetricTarget(type: "Utilization", averageUtilization: 80)))]),
            status: HorizontalPodAutoscalerStatus(currentReplicas: 2, currentMetrics: [MetricStatus(
                type: "Resource", resource: ResourceMetricStatus(name: "cpu", current: MetricValueStatus(averageUtilization: 40)))]))
        #expect(try Self.lines([autoscaler], "hpa") == [
            "NAME   REFERENCE        TARGETS        MINPODS   MAXPODS   REPLICAS   AGE",
            "web    Deployment/web   cpu: 40%/80%   1         5         2          5m",
        ])
    }

    @Test func leasesRolesAndBindings() throws {
        let lease = Lease(metadata: Self.meta("scheduler", namespace: "kube-system"), spec: LeaseSpec(holderIdentity: "node-1_ab"))
        #expect(try Self.lines([lease], "leases") == ["NAME        HOLDER      AGE", "scheduler   node-1_ab   5m"])
        #expect(try Self.lines([Role(metadata: Self.meta("reader"))], "roles") == [
            "NAME     CREATED AT", "reader   2023-11-14T22:13:20Z",
        ])
        let binding = RoleBinding(metadata: Self.meta("read"), subjects: [Subject(kind: "User", name: "ann")],
                                  roleRef: RoleRef(kind: "Role", name: "reader"))
        #expect(try Self.lines([binding], "rolebindings", wide: true) == [
            "NAME   ROLE          AGE   USERS   GROUPS   SERVICEACCOUNTS",
            "read   Role/reader   5m    ann",
        ])
    }

    @Test func kindsWithoutTheirOwnColumnsShowNameAndAge() throws {
        #expect(try Self.lines([PodTemplate(metadata: Self.meta("t"))], "podtemplates") == ["NAME   AGE", "t      5m"])
    }

    @Test func selectorText() {
        let selector = LabelSelector(matchLabels: ["app": "web"], matchExpressions: [
            LabelSelectorRequirement(key: "tier", operator: "In", values: ["fe", "be"]),
            LabelSelectorRequirement(key: "legacy", operator: "DoesNotExist"),
            LabelSelectorRequirement(key: "canary", operator: "Exists"),
        ])
        #expect(ObjectTable.selectorText(selector) == "app=web,tier in (be,fe),!legacy,canary")
        #expect(ObjectTable.selectorText(nil) == "<none>")
    }
}
