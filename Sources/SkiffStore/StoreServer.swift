/// StoreServer: the store as a bus component. A `RequestServer` (component "store") answers
/// the five store requests from a `StoreEngine`, and a `Publisher` sends each group commit's
/// events as `EventBatch` messages on topic "store/events", in commit order (the engine calls
/// back on its single writer thread, and `publish` never blocks). A commit whose events exceed
/// `maxEventMessageBytes` goes out as several consecutive batches, split between events.
///
/// With `Options.clientToken` the store answers only requests carrying that token (which only
/// apiservers hold) and refuses every other with `Unauthenticated` (Ping excepted); without
/// it, anyone who can reach the socket may use the store.
///
/// Subscribers must treat the stream as lossy (nanomsg pub/sub drops under pressure): they
/// track the publisher's sequence numbers and, on a gap, refill from `HistoryRequest`.
///
/// Concurrency: `run()` from one task; `close()` from any task (not from a handler). Must
/// never: publish a commit's events after a later commit's, or answer before the engine has
/// made a write durable.
import Logging
import SkiffBus
import SkiffWire
import Synchronization

public final class StoreServer: Sendable {
    /// The component name on the bus and in the endpoint directory.
    public static let component = "store"
    /// The topic every `EventBatch` is published on.
    public static let eventsTopic = "store/events"

    public struct Options: Sendable {
        public var dataDirectory: String
        /// Where the request server binds.
        public var listen: BusEndpoint
        /// Where the event publisher binds.
        public var events: BusEndpoint
        /// Registers both endpoints in RUN/endpoints (`EndpointDirectory`) when given.
        public var runDirectory: String?
        /// Sender name of the server and publisher; default "store-<pid>".
        public var sender: String?
        public var engine: StoreEngine.Options
        /// Largest encoded event payload per `EventBatch` message before splitting. A single
        /// event larger than this still goes out alone (values are capped well below the bus
        /// limit).
        public var maxEventMessageBytes: Int
        /// The credential every request must carry (`Envelope.token`); nil: none required.
        public var clientToken: SharedToken?

        public init(dataDirectory: String, listen: BusEndpoint, events: BusEndpoint, runDirectory: String? = nil,
                    sender: String? = nil, engine: StoreEngine.Options = StoreEngine.Options(),
                    maxEventMessageBytes: Int = 4 << 20, clientToken: SharedToken? = nil) {
            self.clientToken = clientToken
            self.dataDirectory = dataDirectory
            self.listen = listen
            self.events = events
            self.runDirectory = runDirectory
            self.sender = sender
            self.engine = engine
            self.maxEventMessageBytes = maxEventMessageBytes
        }
    }

    public let engine: StoreEngine
    public let options: Options
    private let server: RequestServer
    private let publisher: Publisher
    private let closing = Mutex<Task<Void, Never>?>(nil)

    /// Opens the engine, binds the publisher and then the request server (so no write can be
    /// accepted before its events can go out) and registers them in the run directory.
    public init(options: Options, logger: Logger = BusLogging.disabled) async throws(BusError) {
        self.options = options
        let directory = options.runDirectory.map { EndpointDirectory(runDirectory: $0) }
        let publisher = try Publisher(component: Self.component,
                                      options: Publisher.Options(sender: options.sender, directory: directory), logger: logger)
        let maxBytes = options.maxEventMessageBytes
        let engine: StoreEngine
        do throws(BusError) {
            try publisher.bind(to: options.events)
            engine = try StoreEngine(directory: options.dataDirectory, options: options.engine, logger: logger) { events, revision in
                Self.publish(events, revision: revision, maxBytes: maxBytes, on: publisher, logger: logger)
            }
        } catch {
            publisher.close()
            throw error
        }
        let server: RequestServer
        do throws(BusError) {
            server = try RequestServer(component: Self.component,
                                       options: RequestServer.Options(sender: options.sender, directory: directory,
                                                                      requiredToken: options.clientToken), logger: logger)
        } catch {
            publisher.close()
            await engine.close()
            throw error
        }
        server.handle(RangeRequest.self) { request, _ in try await engine.range(request) }
        server.handle(TxnRequest.self) { request, _ in try await engine.txn(request) }
        server.handle(HistoryRequest.self) { request, _ in try await engine.history(request) }
        server.handle(CompactRequest.self) { request, _ in try await engine.compact(request) }
        server.handle(StoreStatusRequest.self) { _, _ in try await engine.status() }
        self.engine = engine
        self.publisher = publisher
        self.server = server
        do {
            try server.bind(to: options.listen)
        } catch {
            await close()
            throw error
        }
    }

    /// The latest committed revision.
    public var revision: Int64 { engine.revision }
    /// The publisher's incarnation id, as subscribers see it in each envelope.
    public var eventsEpoch: String { publisher.epoch }

    /// Serves until `close()` is called or the calling task is cancelled; then everything is
    /// closed.
    public func run() async {
        await server.run()
        await close()
    }

    /// Stops taking requests (waiting for those running), finishes and closes the engine
    /// (publishing its last events), then closes the publisher. Idempotent; every caller
    /// returns only once all of it is done.
    public func close() async {
        let task = closing.withLock { task -> Task<Void, Never> in
            if let task { return task }
            let server = server, engine = engine, publisher = publisher
            let closer = Task {
                await server.close()
                await engine.close()
                publisher.close()
            }
            task = closer
            return closer
        }
        await task.value
    }

    // MARK: events

    private static func publish(_ events: [StoreEvent], revision: Int64, maxBytes: Int, on publisher: Publisher, logger: Logger) {
        for part in EventSplitting.split(events, maxBytes: maxBytes) {
            do {
                try publisher.publish(EventBatch(events: part, revision: revision), topic: eventsTopic)
            } catch {
                // Subscribers see the missing sequence number as a gap and refill from history.
                logger.warning("event batch not published", metadata: ["revision": "\(revision)", "error": "\(error)"])
            }
        }
    }
}

/// Splits a commit's events into consecutive parts whose estimated encoded size stays under a
/// byte budget. Pure, table-tested.
enum EventSplitting {
    /// Protobuf framing per event: tags, lengths and three varint revisions, rounded up.
    static let overheadPerEvent = 64

    static func estimatedSize(_ event: StoreEvent) -> Int {
        overheadPerEvent + (event.kv?.key?.utf8.count ?? 0) + (event.kv?.value?.count ?? 0)
    }

    /// Parts in order, none empty, each under `maxBytes` unless it is a single event.
    static func split(_ events: [StoreEvent], maxBytes: Int) -> [[StoreEvent]] {
        var parts: [[StoreEvent]] = []
        var part: [StoreEvent] = []
        var size = 0
        for event in events {
            let eventSize = estimatedSize(event)
            if !part.isEmpty && size + eventSize > maxBytes {
                parts.append(part)
                part = []
                size = 0
            }
            part.append(event)
            size += eventSize
        }
        if !part.isEmpty { parts.append(part) }
        return parts
    }
}
