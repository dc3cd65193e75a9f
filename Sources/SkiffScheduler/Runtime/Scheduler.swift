/// Scheduler: the scheduling loop, Kubernetes' `scheduleOne`, with its collaborators:
///
///     informer handlers ──▶ SchedulingQueue ──pop──▶ scheduling cycle ──assume──▶ Binder ──▶ API
///            │                   ▲                  (SchedulingAlgorithm       │  (parallel
///            └──▶ SchedulerCache ┘ requeue           over the cache's           │   bindings)
///                  (nodes + pods)  on failure          Snapshot, in place)      ▼
///                                                        │ FitError        events, conditions
///                                                        └──▶ FailedScheduling + PodScheduled=False
///
/// One loop task decides, one pod at a time, so decisions never race each other; the cache's
/// assumptions make each decision see the previous ones. Informers feed it through the handler
/// methods in ClusterEvents.swift; SchedulerService wires the real informers.
///
/// Concurrency: Sendable; handlers from the informers' delivery task, `run()` once. Must never:
/// schedule a pod that is assigned, assumed or terminating, or schedule for another scheduler.
import Logging
import SkiffClient
import SkiffWire
import Synchronization

public final class Scheduler: Sendable {
    public struct Configuration: Sendable {
        /// spec.schedulerName of the pods this scheduler owns.
        public var schedulerName = "default-scheduler"
        /// Bindings in flight at once.
        public var parallelism = 16
        public var profile = SchedulingProfile.default
        public var queue = SchedulingQueue.Options()
        /// Timers (backoff, flushes).
        public var clock: any Clock<Duration> = ContinuousClock()
        /// Timestamps written into events and conditions.
        public var wallClock: any WallClock = SystemWallClock()
        /// Tie-breaks; nil for a seed drawn from the system generator.
        public var randomSeed: UInt64?
        /// reportingInstance of events.
        public var instance = "default-scheduler"
        public init() {}
    }

    public struct Counters: Sendable, Equatable {
        public var attempts = 0
        public var unschedulable = 0
    }

    private struct Decider {
        var algorithm: SchedulingAlgorithm
        var random: SeededRandom
    }

    public let configuration: Configuration
    public let cache = SchedulerCache()
    public let queue: SchedulingQueue
    public let recorder: EventRecorder
    public let conditions: PodConditionWriter
    public let binder: Binder
    let logger: Logger
    private let decider: Mutex<Decider>
    private let counters = Mutex(Counters())

    /// - currentPod: the informer's latest copy of a pod (nil if it has none).
    public init(api: any SchedulerAPI, configuration: Configuration = Configuration(),
                currentPod: @escaping @Sendable (ObjectKey) -> Pod?,
                logger: Logger = Logger(label: "skiff.scheduler")) {
        self.configuration = configuration
        self.logger = logger
        queue = SchedulingQueue(options: configuration.queue, clock: configuration.clock)
        recorder = EventRecorder(api: api, source: .init(component: configuration.schedulerName,
                                                         instance: configuration.instance),
                                 wallClock: configuration.wallClock, logger: logger)
        conditions = PodConditionWriter(api: api, wallClock: configuration.wallClock, logger: logger)
        binder = Binder(api: api, cache: cache, queue: queue, recorder: recorder, conditions: conditions,
                        currentPod: currentPod, parallelism: configuration.parallelism, logger: logger)
        // Seeded once from the system: asking the kernel for every tie-break cost a syscall each.
        let random = SeededRandom(seed: configuration.randomSeed ?? UInt64.random(in: .min ... .max))
        decider = Mutex(Decider(algorithm: SchedulingAlgorithm(profile: configuration.profile), random: random))
    }

    public var counts: Counters { counters.withLock { $0 } }

    /// Schedules until cancelled: the loop, the binders, the event and condition writers and the
    /// queue's flushes. Call it once the informers have synced. On cancellation the loop stops
    /// at once, but the bindings already decided are still posted and answered (so a binding is
    /// never cut off between the apiserver and its reply), then their events and conditions are
    /// written, for at most `drainLimit`.
    public func run(drainLimit: Duration = .seconds(5)) async {
        // Not children of this task: cancelling the loop must not cancel a binding in flight.
        let binding = Task { await binder.run() }
        let reporting = Task { await conditions.run() }
        let recording = Task { await recorder.run() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.queue.run() }
            group.addTask {
                while await self.scheduleOne() {}
            }
            await withTaskCancellationHandler {
                await group.next()
            } onCancel: {
                self.queue.close()
            }
            group.cancelAll()
        }
        let deadline = Task {
            try? await Task.sleep(for: drainLimit)
            binding.cancel()
            reporting.cancel()
            recording.cancel()
        }
        binder.close()
        await binding.value
        conditions.close()
        await reporting.value
        recorder.close()
        await recording.value
        deadline.cancel()
    }

    /// One scheduling cycle: pops a pod, decides, assumes and hands it to the binder, or records
    /// why it fits nowhere. False once the queue is closed.
    public func scheduleOne() async -> Bool {
        guard let queued = await queue.pop() else { return false }
        let key = queued.key
        if cache.isPlaced(key) || queued.pod.metadata?.deletionTimestamp != nil {
            queue.done(key)
            return true
        }
        let pod = PodInfo(queued.pod)
        let outcome = decider.withLock { decider in
            cache.decideAndAssume(pod) { snapshot in decider.algorithm.schedule(pod, in: snapshot, using: &decider.random) }
        }
        counters.withLock { $0.attempts += 1 }
        switch outcome {
        case .scheduled(let node, _, _):
            queue.done(key)
            binder.submit(queued, to: node)
        case .unschedulable(let fitError):
            counters.withLock { $0.unschedulable += 1 }
            queue.requeueUnschedulable(queued)
            let message = fitError.message
            logger.debug("unable to schedule pod", metadata: ["pod": "\(key)", "reason": "\(message)"])
            recorder.record(queued.pod, type: "Warning", reason: "FailedScheduling", action: "Scheduling", message: message)
            conditions.report(queued.pod, reason: "Unschedulable", message: message)
        }
        return true
    }
}
