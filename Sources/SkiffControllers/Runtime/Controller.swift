/// Controller: what every Skiff controller is. It registers informer handlers that queue keys
/// (in its initializer, from the `ControllerContext`), and reconciles one key at a time:
/// level-triggered, it reads the whole current state from its caches and writes what differs,
/// so a missed event or a restart costs nothing but one more reconcile.
///
/// Concurrency: Sendable; `reconcile` runs on several workers at once, never twice for one key.
/// Must never: keep state between reconciles that the caches and the API cannot rebuild.
import Logging
import SkiffClient
import SkiffWire

public protocol Controller: Sendable {
    /// Every key it reconciles (its primary informer's keys): queued again when this instance
    /// gains keys from another, and by the periodic resync.
    func allKeys() -> [ObjectKey]

    /// Brings the object under `key` to its desired state. Throwing retries the key with
    /// backoff; `.after` looks again later (a deadline, minReadySeconds) even without news.
    func reconcile(_ key: ObjectKey) async throws -> Reconciled
}

public enum Reconciled: Sendable, Equatable {
    case done
    case after(Duration)

    /// The sooner of two requests to look again.
    public static func soonest(_ a: Reconciled, _ b: Reconciled) -> Reconciled {
        switch (a, b) {
        case (.done, let other), (let other, .done): other
        case (.after(let x), .after(let y)): .after(min(x, y))
        }
    }
}

/// What a controller is built with.
public struct ControllerContext: Sendable {
    public let client: APIClient
    public let informers: SharedInformers
    public let queue: WorkQueue<ObjectKey>
    public let clock: any Clock<Duration>
    public let wallClock: any WallClock
    public let events: EventRecorder
    public let logger: Logger
    /// Controller-specific options from the command line (`--option key=value`).
    public let options: [String: String]

    public init(client: APIClient, informers: SharedInformers, queue: WorkQueue<ObjectKey>,
                clock: any Clock<Duration>, wallClock: any WallClock, events: EventRecorder,
                logger: Logger, options: [String: String] = [:]) {
        self.client = client
        self.informers = informers
        self.queue = queue
        self.clock = clock
        self.wallClock = wallClock
        self.events = events
        self.logger = logger
        self.options = options
    }

    /// Queues the key of `object`.
    public func enqueue(_ object: some APIObject) { queue.add(ObjectKey(object)) }

    /// Queues the controller of `object` if it is of kind `kind` (an event on a pod wakes its
    /// ReplicaSet), in the object's namespace.
    public func enqueueController(of object: some APIObject, kind: String) {
        guard let ref = OwnerRefs.controllerOf(object.metadata), ref.kind == kind, let name = ref.name else { return }
        queue.add(ObjectKey(namespace: object.metadata?.namespace ?? "", name: name))
    }
}

/// A controller the `skiff-controller` command can run.
public struct ControllerKind: Sendable {
    public let name: String
    public let summary: String
    public let make: @Sendable (ControllerContext) -> any Controller

    public init(name: String, summary: String, make: @escaping @Sendable (ControllerContext) -> any Controller) {
        self.name = name
        self.summary = summary
        self.make = make
    }
}
