/// FuzzSeeds: valid inputs built from real values, one small set per binary decoder, so the
/// fuzzer starts from messages the cluster actually exchanges rather than from nothing.
/// `skiff-fuzz seed DIR` writes them; the result is checked in under
/// Tests/SkiffFuzzTests/Corpus/ (text decoders' seeds are written there by hand).
///
/// Concurrency: pure. Must never: hold random or time-dependent values (seeds are checked in;
/// regenerating them must give the same bytes).
import Foundation
import SkiffDNS
import SkiffWire

enum FuzzSeeds {
    static func encode(_ message: any WireMessage) -> [UInt8] { try! message.serializedBytes() }

    /// API objects of several kinds, as a user writes them.
    static let objects: [any APIObject] = [
        #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-0","namespace":"default","labels":{"app":"web"},"uid":"6f1c","resourceVersion":"17","creationTimestamp":"2026-12-06T10:00:00Z"},"spec":{"containers":[{"name":"web","image":"nginx:1.27","ports":[{"containerPort":80,"name":"http"}],"resources":{"requests":{"cpu":"250m","memory":"64Mi"},"limits":{"memory":"128Mi"}},"env":[{"name":"MODE","value":"prod"}],"readinessProbe":{"httpGet":{"path":"/","port":"http"}}}],"nodeName":"node-1","restartPolicy":"Always"},"status":{"phase":"Running","podIP":"10.244.1.5","conditions":[{"type":"Ready","status":"True"}]}}"#,
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["front"]}]},"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":1}},"template":{"metadata":{"labels":{"app":"web","tier":"front"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}}}"#,
        #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default"},"spec":{"selector":{"app":"web"},"ports":[{"name":"http","port":80,"targetPort":"http","protocol":"TCP"}],"clusterIP":"10.96.0.20","type":"ClusterIP"}}"#,
        #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings","namespace":"default"},"data":{"mode":"prod","level":"3"},"binaryData":{"blob":"AAEC"}}"#,
        #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db-password","namespace":"default"},"type":"Opaque","data":{"password":"aHVudGVyMg=="}}"#,
        #"{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"migrate","namespace":"default"},"spec":{"completions":3,"parallelism":2,"completionMode":"Indexed","backoffLimit":4,"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"m","image":"busybox","command":["sh","-c","true"]}]}}}}"#,
        #"{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-1","labels":{"kubernetes.io/hostname":"node-1"}},"spec":{"podCIDR":"10.244.1.0/24","taints":[{"key":"dedicated","value":"db","effect":"NoSchedule"}]},"status":{"capacity":{"cpu":"2","memory":"4Gi","pods":"110"},"allocatable":{"cpu":"1900m","memory":"3.5Gi"}}}"#,
    ].map { text in
        let json = try! JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        let type = WireRegistry.objectType(apiVersion: json["apiVersion"] as! String, kind: json["kind"] as! String)!
        return try! JSONDecoder().decode(type, from: Data(text.utf8))
    }

    static var pod: any APIObject { objects[0] }
    static var deployment: any APIObject { objects[1] }

    static var requests: [Request] {
        [
            Request(verb: "create", version: "v1", resource: "pods", namespace: "default",
                    body: encode(pod), bodyType: type(of: pod).protoName, fieldManager: "skiffctl"),
            Request(verb: "list", group: "apps", version: "v1", resource: "deployments", namespace: "default",
                    labelSelector: "app=web,tier in (front,back)", fieldSelector: "metadata.name!=old", limit: 500,
                    continue: "eyJydiI6MTd9"),
            Request(verb: "watch", version: "v1", resource: "pods", resourceVersion: "17", allowWatchBookmarks: true,
                    timeoutSeconds: 300),
            Request(verb: "patch", group: "apps", version: "v1", resource: "deployments", namespace: "default", name: "web",
                    patchType: "application/merge-patch+json", patch: Array(#"{"spec":{"replicas":5}}"#.utf8)),
            Request(verb: "delete", version: "v1", resource: "pods", namespace: "default", name: "web-0",
                    deleteOptions: DeleteOptions(gracePeriodSeconds: 0, propagationPolicy: "Foreground"), dryRun: ["All"]),
        ]
    }

    static var responses: [Response] {
        [
            Response(code: 200, object: encode(deployment), objectType: type(of: deployment).protoName),
            Response(code: 200, items: [encode(pod), encode(pod)], itemType: type(of: pod).protoName,
                     listMeta: ListMeta(resourceVersion: "18", continue: "eyJydiI6MTh9")),
            Response(code: 404, status: Status(status: "Failure", message: "pods \"x\" not found", reason: "NotFound", code: 404)),
        ]
    }

    static var watchEvents: [WatchEvent] {
        [
            WatchEvent(type: "ADDED", objectType: type(of: pod).protoName, object: encode(pod), resourceVersion: "17",
                       resource: "pods", namespace: "default", name: "web-0"),
            WatchEvent(type: "BOOKMARK", resourceVersion: "40", resource: "pods"),
        ]
    }

    static var storeMessages: [any WireMessage] {
        let kv = KeyValue(key: "/registry/pods/default/web-0", value: encode(pod), createRevision: 3, modRevision: 17, version: 2)
        return [
            RangeRequest(key: "/registry/pods/", rangeEnd: "/registry/pods0", limit: 100, revision: 17),
            RangeResponse(revision: 17, kvs: [kv], more: false, count: 1),
            TxnRequest(compare: [Compare(key: kv.key, modRevision: 17)],
                       success: [Operation(key: kv.key, value: kv.value), Operation(key: "/registry/pods/default/old", delete: true)]),
            TxnResponse(revision: 18, succeeded: true, current: [kv]),
            EventBatch(events: [StoreEvent(type: "PUT", kv: kv), StoreEvent(type: "DELETE", kv: KeyValue(key: "/registry/pods/default/old"))],
                       revision: 18),
            HistoryRequest(afterRevision: 10, key: "/registry/"),
            CompactRequest(revision: 10),
            StoreStatusRequest(),
        ]
    }

    static var envelopes: [Envelope] {
        [
            Envelope(type: Request.protoName, requestId: "skiffctl-42-1", sender: "skiffctl-42", traceId: "t1",
                     payload: encode(requests[0]), token: "eyJhbGciOiJIUzI1NiJ9.e30.c2ln", sentAtUnixNano: 1_796_556_000_000_000_000,
                     timeoutMillis: 5000),
            Envelope(type: WatchEvent.protoName, sequence: 7, sender: "skiff-apiserver-9", payload: encode(watchEvents[0]),
                     topic: "pods", epoch: "e-1"),
            Envelope(type: Ping.protoName, requestId: "busctl-1", payload: encode(Ping(from: "busctl"))),
        ]
    }

    static var anyMessages: [any WireMessage] {
        objects + requests + responses + watchEvents + storeMessages + envelopes
    }

    static var dnsQueries: [[UInt8]] {
        let names: [(String, RecordType, UInt16?)] = [
            ("web.default.svc.cluster.local", .a, nil), ("db-0.db.default.svc.cluster.local", .a, 1232),
            ("_pg._tcp.db.default.svc.cluster.local", .srv, nil), ("ext.default.svc.cluster.local", .a, 4096),
            ("20.0.96.10.in-addr.arpa", .ptr, nil), ("10-244-1-5.default.pod.cluster.local", .aaaa, nil),
            ("nothing.default.svc.cluster.local", .a, 1232), ("www.example.com", .a, nil),
        ]
        return names.enumerated().map { index, query in
            DNSMessage.query(id: UInt16(index + 1), name: try! DNSName(query.0), type: query.1, ednsUDPSize: query.2).encoded()
        }
    }

    /// The server's own answers, which are what an upstream server sends back too.
    static var dnsMessages: [[UInt8]] {
        dnsQueries.map { QueryAnswerer.answer($0, table: DNSHarnesses.table, options: AnswerOptions(forwarding: true)).bytes }
            .filter { !$0.isEmpty }
    }
}
