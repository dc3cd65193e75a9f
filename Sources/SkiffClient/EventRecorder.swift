/// EventRecorder: writes a component's core/v1 Events about the objects it acts on (the
/// scheduler's "Scheduled", a ReplicaSet's "SuccessfulCreate"), as Kubernetes' event broadcaster
/// and correlator do:
/// - best effort: `record` never waits; events queue (at most `queueLimit`) and are written by a
///   few writer tasks (eight by default: two dropped most events under load, see
///   docs/benchmarks.md); when the queue is full the event is dropped and counted, as Kubernetes'
///   broadcaster drops under load rather than slow the component;
/// - aggregated: an event identical to one recorded before (same object, type, reason, message and
///   source) bumps that event's `count` and `lastTimestamp` with a merge patch instead of creating
///   another object; a repeated FailedScheduling is one event "x12", not twelve. An object's events
///   always go to the same writer, so its patches never race.
///
/// Concurrency: Sendable; `record` from any task; `run()` once. Must never: block the caller,
/// or retry an event write more than once.
import Foundation
import Logging
import SkiffAPI
import SkiffWire
import Synchronization

/// Where events are written: `APIClient`, or a test's fake.
public protocol EventWriter: Sendable {
    func createEvent(_ event: Event) async throws -> Event
    func patchEvent(name: String, namespace: String, mergePatch: [UInt8]) async throws -> Event
}

extension APIClient: EventWriter {
    public func createEvent(_ event: Event) async throws -> Event { try await create(event) }

    public func patchEvent(name: String, namespace: String, mergePatch: [UInt8]) async throws -> Event {
        try await patch(Event.self, name: name, namespace: namespace, mergePatch: mergePatch)
    }
}

public final class EventRecorder: Sendable {
    public struct Source: Sendable {
        /// source.component and reportingComponent: "default-scheduler", "replicaset-controller".
        public var component: String
        /// reportingInstance: "<component>-<host>".
        public var instance: String
        public init(component: String, instance: String) {
            self.component = component
            self.instance = instance
        }
    }

    private struct Pending: Sendable {
        var event: Event
        var key: AggregationKey
    }

    private struct AggregationKey: Hashable, Sendable {
        var namespace: String
        var name: String
        var uid: String
        var type: String
        var reason: String
        var message: String
    }

    /// What the recorder remembers of an event it wrote, to bump it next time.
    private struct Written {
        var name: String
        var count: Int32
    }

    private struct Lane {
        var queue: [Pending] = []
        var waiter: CheckedContinuation<Pending?, Never>?
    }

    private struct State {
        var lanes: [Lane]
        var queued = 0
        var closed = false
        var written: [AggregationKey: Written] = [:]
        /// Insertion order of `written`, to forget the oldest beyond the cache size.
        var writtenOrder: [AggregationKey] = []
    }

    private let api: any EventWriter
    private let source: Source
    private let wallClock: any WallClock
    private let queueLimit: Int
    private let logger: Logger
    private let state: Mutex<State>
    private let dropped = Atomic<Int>(0)
    /// Kubernetes' correlator keeps 4096 entries.
    private static let aggregationCacheSize = 4096

    public init(api: any EventWriter, source: Source, wallClock: any WallClock = SystemWallClock(),
                writers: Int = 8, queueLimit: Int = 1000, logger: Logger = Logger(label: "skiff.events")) {
        self.api = api
        self.source = source
        self.wallClock = wallClock
        self.queueLimit = queueLimit
        self.logger = logger
        state = Mutex(State(lanes: Array(repeating: Lane(), count: max(1, writers))))
    }

    /// Events dropped because the queue was full.
    public var droppedCount: Int { dropped.load(ordering: .relaxed) }

    /// Queues an event about `object` (in its namespace, or "default" for a cluster-scoped one,
    /// as Kubernetes files a Node's events); returns at once.
    public func record<O: APIObject>(_ object: O, type: String, reason: String, action: String, message: String) {
        let now = wallClock.now()
        let objectNamespace = object.metadata?.namespace ?? ""
        let namespace = objectNamespace.isEmpty ? "default" : objectNamespace
        let name = object.metadata?.name ?? ""
        let key = AggregationKey(namespace: namespace, name: name, uid: object.metadata?.uid ?? "", type: type,
                                 reason: reason, message: message)
        let event = Event(
            metadata: ObjectMeta(name: Self.eventName(for: name, at: now), namespace: namespace),
            involvedObject: ObjectReference(kind: O.kind, namespace: objectNamespace.isEmpty ? nil : objectNamespace,
                                            name: name, uid: object.metadata?.uid, apiVersion: O.apiVersion,
                                            resourceVersion: object.metadata?.resourceVersion),
            reason: reason, message: message, source: EventSource(component: source.component),
            firstTimestamp: now, lastTimestamp: now, count: 1, type: type, eventTime: wallClock.nowMicro(),
            action: action, reportingComponent: source.component, reportingInstance: source.instance)
        let waiter = state.withLock { state -> (CheckedContinuation<Pending?, Never>, Pending)? in
            guard !state.closed else { return nil }
            guard state.queued < queueLimit else {
                dropped.add(1, ordering: .relaxed)
                return nil
            }
            let lane = Int(UInt(bitPattern: key.name.hashValue &+ key.namespace.hashValue) % UInt(state.lanes.count))
            let pending = Pending(event: event, key: key)
            if let waiter = state.lanes[lane].waiter {
                state.lanes[lane].waiter = nil
                return (waiter, pending)
            }
            state.lanes[lane].queue.append(pending)
            state.queued += 1
            return nil
        }
        if let (continuation, pending) = waiter { continuation.resume(returning: pending) }
    }

    /// Kubernetes names an event "<object name>.<unix nanoseconds in hex>".
    static func eventName(for name: String, at time: Time) -> String {
        let nanos = time.seconds * 1_000_000_000 + Int64(time.nanos)
        return "\(name).\(String(nanos, radix: 16))"
    }

    /// Writes queued events until `close()` (after which it writes what is queued) or cancellation.
    public func run() async {
        let lanes = state.withLock { $0.lanes.count }
        await withTaskGroup(of: Void.self) { group in
            for lane in 0..<lanes {
                group.addTask {
                    while let pending = await self.next(lane: lane) { await self.write(pending) }
                }
            }
        }
    }

    /// Stops accepting events; writers finish the queue and `run()` returns.
    public func close() {
        let waiters = state.withLock { state in
            state.closed = true
            return state.lanes.indices.compactMap { index -> CheckedContinuation<Pending?, Never>? in
                defer { state.lanes[index].waiter = nil }
                return state.lanes[index].waiter
            }
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    private func next(lane: Int) async -> Pending? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Pending?, Never>) in
                state.withLock { state in
                    if Task.isCancelled {
                        continuation.resume(returning: nil)
                    } else if !state.lanes[lane].queue.isEmpty {
                        state.queued -= 1
                        continuation.resume(returning: state.lanes[lane].queue.removeFirst())
                    } else if state.closed {
                        continuation.resume(returning: nil)
                    } else {
                        state.lanes[lane].waiter = continuation
                    }
                }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.lanes[lane].waiter = nil }
                return state.lanes[lane].waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    private func write(_ pending: Pending) async {
        let previous = state.withLock { $0.written[pending.key] }
        if let previous {
            struct Bump: Encodable {
                var count: Int32
                var lastTimestamp: Time?
            }
            let count = previous.count + 1
            do {
                let patch = try JSONEncoder().encode(Bump(count: count, lastTimestamp: pending.event.lastTimestamp))
                _ = try await api.patchEvent(name: previous.name, namespace: pending.key.namespace, mergePatch: Array(patch))
                remember(pending.key, Written(name: previous.name, count: count))
                return
            } catch let error as APIError where error.reason == .notFound {
                // Expired or deleted: start a new event.
            } catch {
                logger.debug("cannot update event", metadata: ["event": "\(previous.name)", "error": "\(error)"])
                return
            }
        }
        do {
            let created = try await api.createEvent(pending.event)
            remember(pending.key, Written(name: created.metadata?.name ?? pending.event.metadata?.name ?? "", count: 1))
        } catch {
            logger.debug("cannot write event", metadata: [
                "reason": "\(pending.key.reason)", "object": "\(pending.key.namespace)/\(pending.key.name)", "error": "\(error)",
            ])
        }
    }

    private func remember(_ key: AggregationKey, _ written: Written) {
        state.withLock { state in
            if state.written.updateValue(written, forKey: key) == nil {
                state.writtenOrder.append(key)
                // Trimmed in batches, so the order array is not shifted on every write.
                if state.writtenOrder.count > 2 * Self.aggregationCacheSize {
                    let oldest = state.writtenOrder.count - Self.aggregationCacheSize
                    for gone in state.writtenOrder[..<oldest] { state.written[gone] = nil }
                    state.writtenOrder.removeFirst(oldest)
                }
            }
        }
    }
}
