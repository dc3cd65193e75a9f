/// The control plane's two side-by-side measurements, each against its baseline in the same run:
/// 1. durable writes: ConfigMap creates through skiff-apiserver (APIClient; each acknowledged
///    write fsynced by skiff-store) vs puts of the same key and value size into etcd 3.4 (fsync
///    on, through its v3 JSON gateway), at each client concurrency, writes/s and p99;
/// 2. GET round trip: `APIClient.get(ConfigMap.self, ...)` on one warm client vs the raw C
///    nanomsg req/rep round trip of the foundation benchmark.
///
/// Starts skiff-store and skiff-apiserver (SkiffTestSupport's ControlPlane, ipc:// sockets in a
/// temporary directory) and etcd (127.0.0.1 only), and stops all three by pid and removes their
/// directories on every path, an error or an interrupt (StopFlag) included.
import Foundation
import SkiffBus
import SkiffClient
import SkiffTestSupport
import SkiffWire

public struct ControlPlaneBenchmarkOptions: Sendable {
    /// Concurrent clients per write level; each client has one write in flight.
    public var clientCounts = [1, 16, 64]
    /// Writes measured per level and side: max(minimumWrites, clients * writesPerClient).
    public var minimumWrites = 2_000
    public var writesPerClient = 200
    /// Unmeasured writes per client before each level (connections up, caches warm).
    public var warmUpWritesPerClient = 5
    public var gets = 10_000
    public var etcdExecutable = EtcdServer.defaultExecutable
    public init() {}

    func writes(clients: Int) -> Int { max(minimumWrites, clients * writesPerClient) }
}

public enum ControlPlaneBenchmarks {
    /// `rawRoundTrip`: the foundation's raw C req/rep figures from this run (measured here if nil).
    public static func run(_ options: ControlPlaneBenchmarkOptions, rawRoundTrip: LatencySummary?, stop: StopFlag,
                           log: (String) -> Void) async throws -> [ComparisonRow] {
        let raw = try rawRoundTrip ?? RawRequestReply.measure(roundTrips: 20_000)
        try stop.check()
        log("starting skiff-store and skiff-apiserver...")
        let plane = try ControlPlane()
        var etcd: EtcdServer?
        do {
            try await plane.start(bookmarkSeconds: 5)
            try stop.check()
            log("starting etcd (\(options.etcdExecutable))...")
            let server = try await EtcdServer(executable: options.etcdExecutable)
            etcd = server
            var rows: [ComparisonRow] = []
            let shape = try await WriteShape(plane: plane)
            log("writes: \(shape.storedSize)-byte stored ConfigMap vs \(shape.storedSize)-byte etcd value")
            for clients in options.clientCounts {
                try stop.check()
                let count = options.writes(clients: clients)
                log("durable writes, \(clients) client(s), \(count) per side...")
                let skiff = try await skiffWrites(plane: plane, shape: shape, clients: clients, count: count,
                                                  warmUp: options.warmUpWritesPerClient, stop: stop)
                try stop.check()
                let baseline = try await etcdPuts(etcd: server, shape: shape, clients: clients, count: count,
                                                  warmUp: options.warmUpWritesPerClient, stop: stop)
                rows += writeRows(clients: clients, skiff: skiff, etcd: baseline, shape: shape)
            }
            try stop.check()
            log("GET round trips (\(options.gets))...")
            rows.append(try await getRoundTrip(plane: plane, gets: options.gets, raw: raw, stop: stop))
            await server.stop()
            await plane.stop()
            return rows
        } catch {
            await etcd?.stop()
            await plane.stop()
            throw error
        }
    }

    // MARK: 1. durable writes

    /// What one write carries, the same on both sides: the ConfigMap the apiserver stores
    /// (metadata filled, resourceVersion cleared, as it goes to the store) and its key.
    struct WriteShape {
        var template: ConfigMap
        var storedSize: Int

        init(plane: ControlPlane) async throws {
            template = ConfigMap(metadata: ObjectMeta(name: "bench-probe", namespace: "default", labels: ["app": "bench"]),
                                 data: ["settings.conf": String(repeating: "log_level=info\n", count: 8)])
            guard let client = plane.client else { throw BenchmarkError("the control plane has no client") }
            var stored = try await client.create(template)
            stored.metadata?.resourceVersion = nil
            storedSize = try stored.serializedBytes().count
        }

        func key(_ name: String) -> String { "/registry/configmaps/default/" + name }
    }

    struct WriteRun {
        var latencies: LatencySummary
        var perSecond: Double
        var cpu: String
    }

    static func skiffWrites(plane: ControlPlane, shape: WriteShape, clients: Int, count: Int, warmUp: Int,
                            stop: StopFlag) async throws -> WriteRun {
        var writers: [APIClient] = []
        do {
            for index in 0..<clients { writers.append(try plane.newClient(component: "bench-writer-\(index)")) }
            _ = try await createConcurrently(writers, template: shape.template, count: clients * warmUp,
                                             prefix: "warm-\(clients)-", stop: stop)
            let processes: [(name: String, pid: Int32)] = [
                ("store", plane.store?.pid ?? 0), ("apiserver", plane.apiservers.first?.pid ?? 0), ("bench", getpid()),
            ]
            let cpu = CPUSample(processes)
            let start = MonotonicTime.now()
            let latencies = try await createConcurrently(writers, template: shape.template, count: count,
                                                         prefix: "bench-\(clients)-", stop: stop)
            let elapsed = Double(MonotonicTime.now() - start) / 1e9
            let run = WriteRun(latencies: LatencySummary(nanoseconds: latencies), perSecond: Double(count) / elapsed,
                               cpu: cpu.perOperation(count))
            for writer in writers { await writer.close() }
            return run
        } catch {
            for writer in writers { await writer.close() }
            throw error
        }
    }

    /// Creates ConfigMaps `prefix0`..`prefix<count-1>`, writer i taking i, i+n, i+2n...; each
    /// create's latency in nanoseconds.
    static func createConcurrently(_ writers: [APIClient], template: ConfigMap, count: Int, prefix: String,
                                   stop: StopFlag) async throws -> [Int64] {
        try await withThrowingTaskGroup(of: [Int64].self) { group in
            for (index, writer) in writers.enumerated() {
                group.addTask {
                    var latencies: [Int64] = []
                    var operation = index
                    while operation < count {
                        try stop.check()
                        var object = template
                        object.metadata?.name = prefix + String(operation)
                        let start = MonotonicTime.now()
                        _ = try await writer.create(object)
                        latencies.append(Int64(MonotonicTime.now() - start))
                        operation += writers.count
                    }
                    return latencies
                }
            }
            var all: [Int64] = []
            all.reserveCapacity(count)
            for try await part in group { all += part }
            return all
        }
    }

    static func etcdPuts(etcd: EtcdServer, shape: WriteShape, clients: Int, count: Int, warmUp: Int,
                         stop: StopFlag) async throws -> WriteRun {
        let port = etcd.clientPort
        let pid = etcd.pid
        return try await onOwnThread {
            let load = try EtcdPutLoad(port: port, connections: clients, valueSize: shape.storedSize)
            defer { load.close() }
            _ = try load.run(count: clients * warmUp, keyPrefix: shape.key("warm-\(clients)-"), stop: stop)
            let cpu = CPUSample([("etcd", pid), ("bench", getpid())])
            let start = MonotonicTime.now()
            let latencies = try load.run(count: count, keyPrefix: shape.key("bench-\(clients)-"), stop: stop)
            let elapsed = Double(MonotonicTime.now() - start) / 1e9
            return WriteRun(latencies: LatencySummary(nanoseconds: latencies), perSecond: Double(count) / elapsed,
                            cpu: cpu.perOperation(count))
        }
    }

    static func writeRows(clients: Int, skiff: WriteRun, etcd: WriteRun, shape: WriteShape) -> [ComparisonRow] {
        let who = clients == 1 ? "1 client" : "\(clients) clients"
        let baselineName = "etcd 3.4, HTTP/1.1 JSON gateway"
        let ratio = skiff.perSecond / etcd.perSecond
        let goal = clients == 64 ? ">= 1x" : "report"
        var rate = ComparisonRow(name: "durable writes/s, \(who)", unit: "/s", skiff: skiff.perSecond,
                                 baseline: etcd.perSecond, baselineName: baselineName, ratio: ratio, goal: goal,
                                 met: clients == 64 ? ratio >= 1 : true)
        rate.detail = "\(skiff.latencies.count) writes per side, \(shape.storedSize)-byte value; "
            + "Skiff: \(skiff.cpu); etcd side: \(etcd.cpu)"
        var p99 = ComparisonRow(name: "write latency p99, \(who)", unit: "ms", skiff: skiff.latencies.p99Micros / 1000,
                                baseline: etcd.latencies.p99Micros / 1000, baselineName: baselineName,
                                ratio: skiff.latencies.p99Micros / etcd.latencies.p99Micros, goal: "report", met: true)
        p99.detail = String(format: "median %.2f ms vs %.2f ms (%.2fx)", skiff.latencies.medianMicros / 1000,
                            etcd.latencies.medianMicros / 1000, skiff.latencies.medianMicros / etcd.latencies.medianMicros)
        return [rate, p99]
    }

    // MARK: 2. GET round trip

    static func getRoundTrip(plane: ControlPlane, gets: Int, raw: LatencySummary, stop: StopFlag) async throws -> ComparisonRow {
        let reader = try plane.newClient(component: "bench-reader")
        do {
            let object = ConfigMap(metadata: ObjectMeta(name: "bench-get", namespace: "default", labels: ["app": "bench"]),
                                   data: ["settings.conf": String(repeating: "log_level=info\n", count: 8)])
            _ = try await reader.create(object)
            for _ in 0..<1000 { _ = try await reader.get(ConfigMap.self, name: "bench-get", namespace: "default") }
            var latencies: [Int64] = []
            latencies.reserveCapacity(gets)
            for _ in 0..<gets {
                try stop.check()
                let start = MonotonicTime.now()
                let got = try await reader.get(ConfigMap.self, name: "bench-get", namespace: "default")
                latencies.append(Int64(MonotonicTime.now() - start))
                precondition(got.metadata?.name == "bench-get")
            }
            await reader.close()
            let summary = LatencySummary(nanoseconds: latencies)
            let ratio = summary.medianMicros / raw.medianMicros
            var row = ComparisonRow(name: "GET ConfigMap via apiserver, median", unit: "µs", skiff: summary.medianMicros,
                                    baseline: raw.medianMicros, baselineName: "raw C nanomsg req/rep (foundation row)",
                                    ratio: ratio, goal: "<= 2x", met: ratio <= 2)
            row.detail = String(format: "p99 %.1f µs vs %.1f µs (%.2fx); %d GETs on one warm client", summary.p99Micros,
                                raw.p99Micros, summary.p99Micros / raw.p99Micros, gets)
            return row
        } catch {
            await reader.close()
            throw error
        }
    }

    /// Runs blocking work on a thread of its own, off the cooperative pool (2 threads here).
    static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
