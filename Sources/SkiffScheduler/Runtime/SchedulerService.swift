/// SchedulerService: a Scheduler wired to the API: informers on nodes and on pods that are not
/// finished (field selector status.phase!=Succeeded,status.phase!=Failed, as kube-scheduler),
/// their events into the scheduler's handlers, and the loop started once both caches synced.
///
/// Concurrency: `run()` once, until the task is cancelled. Must never: schedule before the
/// caches have synced (a pod would be placed on a partial view of the cluster).
import Logging
import SkiffClient
import SkiffWire

public final class SchedulerService: Sendable {
    public let scheduler: Scheduler
    private let podInformer: Informer<Pod>
    private let nodeInformer: Informer<Node>
    private let logger: Logger

    public init(client: APIClient, configuration: Scheduler.Configuration,
                logger: Logger = Logger(label: "skiff.scheduler")) {
        self.logger = logger
        let pods = Informer(client.listerWatcher(Pod.self, fieldSelector: "status.phase!=Succeeded,status.phase!=Failed"),
                            clock: configuration.clock, logger: logger)
        let nodes = Informer(client.listerWatcher(Node.self), clock: configuration.clock, logger: logger)
        podInformer = pods
        nodeInformer = nodes
        let scheduler = Scheduler(api: client, configuration: configuration,
                                  currentPod: { key in pods.indexer.get(key) }, logger: logger)
        self.scheduler = scheduler
        pods.addEventHandler(onAdd: { scheduler.podAdded($0) }, onUpdate: { scheduler.podUpdated($0, $1) },
                             onDelete: { scheduler.podDeleted($0) })
        nodes.addEventHandler(onAdd: { scheduler.nodeAdded($0) }, onUpdate: { scheduler.nodeUpdated($0, $1) },
                              onDelete: { scheduler.nodeDeleted($0) })
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await self.nodeInformer.run() }
            group.addTask { try? await self.podInformer.run() }
            do {
                try await nodeInformer.waitForSync()
                try await podInformer.waitForSync()
            } catch {
                group.cancelAll()
                return
            }
            logger.info("caches synced; scheduling", metadata: [
                "nodes": "\(nodeInformer.indexer.count)", "pods": "\(podInformer.indexer.count)",
                "schedulerName": "\(scheduler.configuration.schedulerName)",
            ])
            await scheduler.run()
            group.cancelAll()
        }
        let binds = scheduler.binder.counts
        let counts = scheduler.counts
        logger.info("stopped", metadata: [
            "attempts": "\(counts.attempts)", "unschedulable": "\(counts.unschedulable)", "bound": "\(binds.bound)",
            "bindConflicts": "\(binds.conflicts)", "bindErrors": "\(binds.errors)",
            "eventsDropped": "\(scheduler.recorder.droppedCount)",
        ])
    }
}
