/// ControllerRunner: runs one controller: its informers, its shard membership, and workers that
/// take keys from the work queue and reconcile those this instance owns.
///
/// A key that fails is retried with the queue's per-key backoff; one that succeeds is forgotten;
/// `.after(d)` adds it again after d. When the live members change, every key is queued again:
/// each instance then reconciles exactly the keys it now owns and skips the rest.
///
/// Concurrency: `run()` once; it returns when the task is cancelled, after the workers finished
/// their current keys and the shard lease was given back. Must never: reconcile a key this
/// instance does not own, or one key on two workers.
import Logging
import SkiffClient
import SkiffWire

public final class ControllerRunner: Sendable {
    public struct Configuration: Sendable {
        public var workers = 5
        /// nil: run unsharded (the only instance; tests and single-instance controllers).
        public var sharding: ShardMembership.Configuration?
        /// How often to queue every key regardless of events (a safety net, as client-go's resync).
        public var resync: Duration? = .seconds(300)
        public var options: [String: String] = [:]
        public init() {}
    }

    public let kind: ControllerKind
    public let context: ControllerContext
    public let controller: any Controller
    public let membership: ShardMembership?
    private let configuration: Configuration

    public init(kind: ControllerKind, client: APIClient, configuration: Configuration,
                clock: any Clock<Duration> = ContinuousClock(), wallClock: any WallClock = SystemWallClock(),
                logger: Logger) {
        self.kind = kind
        self.configuration = configuration
        let queue = WorkQueue<ObjectKey>(clock: clock, rateLimiter: ExponentialBackoffRateLimiter(
            base: .milliseconds(5), cap: .seconds(60)))
        let events = EventRecorder(client: client, component: "\(kind.name)-controller",
                                   instance: configuration.sharding?.identity ?? kind.name, wallClock: wallClock,
                                   logger: logger)
        context = ControllerContext(client: client, informers: SharedInformers(client: client, clock: clock, logger: logger),
                                    queue: queue, clock: clock, wallClock: wallClock, events: events, logger: logger,
                                    options: configuration.options)
        let controller = kind.make(context)
        self.controller = controller
        if let sharding = configuration.sharding {
            membership = ShardMembership(client: client, configuration: sharding, clock: clock, wallClock: wallClock,
                                         logger: logger) {
                for key in controller.allKeys() { queue.add(key) }
            }
        } else {
            membership = nil
        }
    }

    public func run() async throws {
        let queue = context.queue
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.context.informers.run() }
            group.addTask { await self.context.events.run() }
            if let membership { group.addTask { try await membership.run() } }
            try await context.informers.waitForSync()
            context.logger.info("caches synced; reconciling", metadata: ["controller": "\(kind.name)"])
            for key in controller.allKeys() { queue.add(key) }
            if let resync = configuration.resync {
                group.addTask {
                    let timeline = Timeline(self.context.clock)
                    while true {
                        try await timeline.sleep(for: resync)
                        for key in self.controller.allKeys() { queue.add(key) }
                    }
                }
            }
            await withTaskGroup(of: Void.self) { workers in
                for _ in 0..<configuration.workers { workers.addTask { await self.work() } }
                await withTaskCancellationHandler {
                    await workers.waitForAll()
                } onCancel: {
                    queue.shutDown()
                }
            }
            await membership?.leave()
            group.cancelAll()
        }
    }

    private func work() async {
        let queue = context.queue
        while let key = await queue.get() {
            defer { queue.done(key) }
            if let membership, !membership.owns(key) { continue }
            do {
                switch try await controller.reconcile(key) {
                case .done: queue.forget(key)
                case .after(let delay):
                    queue.forget(key)
                    queue.addAfter(key, delay)
                }
            } catch is CancellationError {
                return
            } catch {
                let retries = queue.numRequeues(key)
                context.logger.log(level: retries < 3 ? .info : .warning, "reconcile failed; retrying", metadata: [
                    "controller": "\(kind.name)", "key": "\(key)", "error": "\(error)", "retries": "\(retries)",
                ])
                queue.addRateLimited(key)
            }
        }
    }
}
