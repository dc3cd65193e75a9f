/// The foundation's three side-by-side measurements, each against raw C in the same run:
/// 1. req/rep round trip: Swift bus carrying a Pod (encoded and decoded on both sides) vs
///    nanomsg from C echoing bytes of the same size;
///    and the same Swift round trip sealed with the bus key against it unsealed;
/// 2. pub/sub burst delivered without loss: Swift Publisher/Subscriber vs C PUB/SUB;
/// 3. Pod encode+decode: the generated Swift layer vs protobuf-c alone.
///
/// Runs in one process over ipc:// sockets in a temporary directory it removes afterwards.
/// (The control plane's benchmarks are in ControlPlaneBenchmarks.swift.)
import CBusBaseline
import Foundation
import SkiffBus
import SkiffWire

public struct BenchmarkOptions: Sendable {
    public var roundTrips = 20_000
    /// Fits the publishers' 16 MiB send buffer (25,000 frames of ~530 B), so that both sides
    /// can deliver it whole: the comparison is of lossless delivery.
    public var burst = 25_000
    public var codecIterations = 200_000
    public init() {}
}

/// The foundation's rows, and the raw C req/rep figures the control plane's GET is compared with.
public struct FoundationReport: Sendable {
    public var rows: [ComparisonRow]
    public var rawRoundTrip: LatencySummary
}

public enum FoundationBenchmarks {
    public static func run(_ options: BenchmarkOptions, log: (String) -> Void) async throws -> FoundationReport {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("skiff-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var rows: [ComparisonRow] = []
        log("req/rep round trips (\(options.roundTrips) each)...")
        let (row, raw, sealed) = try await requestReplyWithSeal(options, directory: directory)
        rows.append(row)
        rows.append(sealed)
        log("pub/sub bursts (\(options.burst) messages each)...")
        rows.append(try await publishSubscribe(options, directory: directory))
        log("Pod encode+decode (\(options.codecIterations) each)...")
        rows.append(try codec(options))
        return FoundationReport(rows: rows, rawRoundTrip: raw)
    }

    // MARK: 1. req/rep

    /// The req/rep row against raw C, and the same Swift round trip with the bus key on both
    /// sides (every envelope sealed and opened, AES-256-GCM) against it without: the two Swift
    /// pairs run side by side, calls alternating, so both see the same machine.
    static func requestReplyWithSeal(_ options: BenchmarkOptions, directory: String) async throws
        -> (ComparisonRow, raw: LatencySummary, sealed: ComparisonRow) {
        let pod = SamplePod.make()
        let envelopeSize = try RawRequestReply.podEnvelopeSize()
        let c = try RawRequestReply.measure(roundTrips: options.roundTrips, directory: directory)

        let key = BusKey.generate()
        var pairs: [(RequestServer, RequestClient, Task<Void, Never>)] = []
        for (name, setting) in [("plain", BusKey.Setting.unkeyed), ("sealed", .key(key))] {
            let server = try RequestServer(component: "bench-server", options: RequestServer.Options(key: setting))
            server.handle(Pod.self) { request, _ in request }
            try server.bind(to: "ipc://\(directory)/swift-reqrep-\(name).sock")
            let serving = Task { await server.run() }
            let client = try RequestClient(connectingTo: "ipc://\(directory)/swift-reqrep-\(name).sock", component: "bench-client",
                                           options: RequestClient.Options(key: setting))
            for _ in 0..<1000 { _ = try await client.call(pod, replyType: Pod.self, timeout: .seconds(5)) }
            pairs.append((server, client, serving))
        }
        var latencies: [[Int64]] = [[], []]
        for index in latencies.indices { latencies[index].reserveCapacity(options.roundTrips) }
        for _ in 0..<options.roundTrips {
            for (index, pair) in pairs.enumerated() {
                let start = Int64(MonotonicTime.now())
                let reply = try await pair.1.call(pod, replyType: Pod.self, timeout: .seconds(5))
                latencies[index].append(Int64(MonotonicTime.now()) - start)
                precondition(reply.metadata?.name == pod.metadata?.name)
            }
        }
        for (server, client, serving) in pairs {
            await client.close()
            await server.close()
            serving.cancel()
        }

        let swift = LatencySummary(nanoseconds: latencies[0])
        let ratio = swift.medianMicros / c.medianMicros
        var row = ComparisonRow(name: "req/rep round trip, median (Pod, ipc)", unit: "µs", skiff: swift.medianMicros,
                                baseline: c.medianMicros, baselineName: "raw C nanomsg", ratio: ratio,
                                goal: "<= 1.5x", met: ratio <= 1.5)
        row.detail = String(format: "p99 %.1f µs vs %.1f µs (%.2fx); %d-byte envelope", swift.p99Micros, c.p99Micros,
                            swift.p99Micros / c.p99Micros, envelopeSize)
        let sealed = LatencySummary(nanoseconds: latencies[1])
        let sealedRatio = sealed.medianMicros / swift.medianMicros
        var sealedRow = ComparisonRow(name: "req/rep round trip sealed with the bus key, median (Pod, ipc)", unit: "µs",
                                      skiff: sealed.medianMicros, baseline: swift.medianMicros, baselineName: "the same unsealed",
                                      ratio: sealedRatio, goal: "<= 1.1x", met: sealedRatio <= 1.1)
        sealedRow.detail = String(format: "p99 %.1f µs vs %.1f µs (%.2fx); %d bytes added per envelope", sealed.p99Micros,
                                  swift.p99Micros, sealed.p99Micros / swift.p99Micros, BusKey.sealOverhead)
        return (row, c, sealedRow)
    }

    // MARK: 2. pub/sub

    static func publishSubscribe(_ options: BenchmarkOptions, directory: String) async throws -> ComparisonRow {
        let pod = SamplePod.make()
        let topic = "bench/pods"
        let frameSize = topic.utf8.count + 1 + (try Envelope(
            type: Pod.protoName, sequence: 1, sender: "bench-publisher-1", payload: pod.serializedBytes(), topic: topic,
            epoch: "0123456789abcdef", sentAtUnixNano: 1).serializedBytes().count)

        var cDelivered: Int32 = 0
        var cElapsed: Int64 = 0
        guard cbus_publish_burst("ipc://\(directory)/c-pubsub.sock", topic, frameSize, Int32(options.burst),
                                 Int32(BusDefaults.publisherSendBuffer), 1000, &cDelivered, &cElapsed) == 0 else {
            throw BenchmarkError("C pub/sub failed")
        }

        let url = "ipc://\(directory)/swift-pubsub.sock"
        let publisher = try Publisher(component: "bench-publisher")
        try publisher.bind(to: url)
        let subscriber = try Subscriber()
        try subscriber.connect(to: url)
        try subscriber.subscribe(prefix: "bench/")
        var events = subscriber.events.makeAsyncIterator()
        // Slow joiner: publish probes until one arrives, then measure.
        let probing = Task {
            while !Task.isCancelled {
                _ = try? publisher.publish(Ping(), topic: "bench/probe")
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        probeWait: while let event = await events.next() {
            if case .messages(let batch) = event, batch.contains(where: { $0.topic == "bench/probe" }) { break probeWait }
        }
        probing.cancel()
        _ = await probing.result

        let start = Int64(MonotonicTime.now())
        let publishing = Task.detached {
            for _ in 0..<options.burst { _ = try publisher.publish(pod, topic: topic) }
        }
        var delivered = 0
        var lost: UInt64 = 0
        var lastReceipt = start
        // A lost tail shows no gap (nothing follows it): if the burst stalls, closing the
        // subscriber ends the stream. A bound, not an expectation.
        let watchdog = Task {
            guard (try? await Task.sleep(for: .seconds(30))) != nil else { return }
            await subscriber.close()
        }
        receive: while delivered + Int(lost) < options.burst {
            guard let event = await events.next() else { break }
            switch event {
            case .messages(let batch):
                delivered += batch.count { $0.topic == topic }
                lastReceipt = Int64(MonotonicTime.now())
            case .gap(let gap):
                lost += gap.missed
                if gap.kind == .overflow { break receive }
            }
        }
        watchdog.cancel()
        try await publishing.value
        await subscriber.close()
        publisher.close()

        let cRate = Double(cDelivered) / (Double(cElapsed) / 1e9)
        let swiftRate = Double(delivered) / (Double(lastReceipt - start) / 1e9)
        var row = ComparisonRow(name: "pub/sub burst delivered, msgs/s (Pod, ipc)", unit: "k/s", skiff: swiftRate / 1000,
                                baseline: cRate / 1000, baselineName: "raw C nanomsg", ratio: swiftRate / cRate,
                                goal: "lossless", met: delivered == options.burst && cDelivered == options.burst)
        row.detail = "delivered \(delivered)/\(options.burst) (Swift), \(cDelivered)/\(options.burst) (C); \(frameSize)-byte frames"
        return row
    }

    // MARK: 3. codec

    static func codec(_ options: BenchmarkOptions) throws -> ComparisonRow {
        let pod = SamplePod.make()
        let bytes = try pod.serializedBytes()
        let cElapsed = bytes.withUnsafeBufferPointer {
            cbus_pod_codec_loop($0.baseAddress, $0.count, Int32(options.codecIterations))
        }
        guard cElapsed > 0 else { throw BenchmarkError("protobuf-c did not decode the sample Pod") }

        var check = 0
        let start = Int64(MonotonicTime.now())
        for _ in 0..<options.codecIterations {
            let decoded = try Pod(serializedBytes: bytes)
            check &+= try decoded.serializedBytes().count
        }
        let swiftElapsed = Int64(MonotonicTime.now()) - start
        precondition(check == bytes.count &* options.codecIterations)

        let cRate = Double(options.codecIterations) / (Double(cElapsed) / 1e9)
        let swiftRate = Double(options.codecIterations) / (Double(swiftElapsed) / 1e9)
        var row = ComparisonRow(name: "Pod decode+encode, per second", unit: "k/s", skiff: swiftRate / 1000,
                                baseline: cRate / 1000, baselineName: "protobuf-c alone", ratio: swiftRate / cRate,
                                goal: "report", met: true)
        row.detail = "\(bytes.count)-byte Pod"
        return row
    }
}

/// The raw C baseline of every round trip: one NN_REQ socket sending as many bytes as Skiff's
/// request envelope for the sample Pod to a C NN_REP thread that echoes them.
public enum RawRequestReply {
    static func podEnvelopeSize() throws -> Int {
        try Envelope(type: Pod.protoName, requestId: "c0ffee-000001", sender: "bench-client-1",
                     payload: SamplePod.make().serializedBytes(), timeoutMillis: 5000).serializedBytes().count
    }

    /// `roundTrips` measured after 1,000 unmeasured, over ipc:// in `directory` (a temporary
    /// one, removed afterwards, when nil).
    static func measure(roundTrips: Int, directory: String? = nil) throws -> LatencySummary {
        let owned = directory == nil
        let directory = directory ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("skiff-bench-raw-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { if owned { try? FileManager.default.removeItem(atPath: directory) } }
        let envelopeSize = try podEnvelopeSize()
        let url = "ipc://\(directory)/c-reqrep.sock"
        guard let echo = cbus_echo_server_start(url) else { throw BenchmarkError("C echo server did not start") }
        var warmUp = [Int64](repeating: 0, count: 1000)
        _ = cbus_request_round_trips(url, envelopeSize, Int32(warmUp.count), &warmUp)
        var latencies = [Int64](repeating: 0, count: roundTrips)
        let status = cbus_request_round_trips(url, envelopeSize, Int32(roundTrips), &latencies)
        cbus_echo_server_stop(echo)
        guard status == 0 else { throw BenchmarkError("C round trips failed") }
        return LatencySummary(nanoseconds: latencies)
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
