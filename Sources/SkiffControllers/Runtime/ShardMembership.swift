/// ShardMembership: the live instances of one controller, and which of them owns a key.
///
/// Every instance holds a Lease in kube-system labelled `skiff.io/controller-shard=NAME` and
/// renews it every third of its duration. An instance counts another as live while that lease
/// keeps changing: liveness is judged by when this instance last *saw* it change (on its own
/// monotonic clock), as client-go's leader election does, so clocks on different hosts never
/// need to agree. Keys are split over the live members by `ShardRing`.
///
/// Handoffs are made safe in both directions:
/// - an instance owns nothing until its own lease was renewed within the lease duration, so one
///   that cannot reach the apiserver stops acting before the others take its keys over;
/// - a new instance waits `settle` before taking keys, so the instances that held them have seen
///   it and stopped first; writes then carry resourceVersion preconditions as a last guard.
/// A member that dies loses its keys to the survivors one lease duration after its last renewal;
/// one that stops cleanly deletes its lease, and they move at once.
///
/// Concurrency: Sendable; `owns` from any task; `run()` once. Must never: let this instance own a
/// key while its own lease may have expired in the others' eyes.
import Foundation
import Logging
import SkiffAPI
import SkiffClient
import SkiffWire
import Synchronization

public final class ShardMembership: Sendable {
    public struct Configuration: Sendable {
        /// The controller's name ("replicaset"): the lease label and name prefix.
        public var controller: String
        /// This instance's identity: the leases' holderIdentity.
        public var identity: String
        public var leaseDuration: Duration = .seconds(15)
        /// How long a new instance waits before owning keys.
        public var settle: Duration = .seconds(2)
        public var namespace = "kube-system"

        public init(controller: String, identity: String) {
            self.controller = controller
            self.identity = identity
        }

        var renewInterval: Duration { leaseDuration / 3 }
        var leaseSeconds: Int32 { Int32(max(1, leaseDuration.components.seconds)) }
        public static let label = "skiff.io/controller-shard"
    }

    private struct Observed {
        var holder: String
        var resourceVersion: String
        /// When this instance saw the lease change (timeline time); nil if it was already stale.
        var changedAt: Duration?
        var duration: Duration
    }

    private struct State {
        var observed: [String: Observed] = [:]
        var ownRenewedAt: Duration?
        var ring = ShardRing(members: [])
        var left = false
    }

    public let configuration: Configuration
    private let client: APIClient
    private let leases: Informer<Lease>
    private let timeline: Timeline
    private let wallClock: any WallClock
    private let logger: Logger
    private let onChange: @Sendable () -> Void
    private let state = Mutex(State())
    private let startedAt: Duration
    let leaseName: String

    /// - Parameter onChange: called when the set of live members changes, so the controller can
    ///   queue every key again (the ones it gained are then reconciled, the rest skipped).
    public init(client: APIClient, configuration: Configuration, clock: any Clock<Duration> = ContinuousClock(),
                wallClock: any WallClock = SystemWallClock(), logger: Logger, onChange: @escaping @Sendable () -> Void) {
        self.client = client
        self.configuration = configuration
        timeline = Timeline(clock)
        startedAt = timeline.elapsed()
        self.wallClock = wallClock
        self.logger = logger
        self.onChange = onChange
        leaseName = "\(configuration.controller)-\(Self.suffix())"
        leases = Informer(client.listerWatcher(Lease.self, namespace: configuration.namespace,
                                               labelSelector: "\(Configuration.label)=\(configuration.controller)"),
                          clock: clock, logger: logger)
        leases.addEventHandler(onAdd: { [weak self] in self?.saw($0) },
                               onUpdate: { [weak self] _, new in self?.saw(new) },
                               onDelete: { [weak self] in self?.forget($0) })
    }

    /// Whether this instance reconciles `key` now.
    public func owns(_ key: ObjectKey) -> Bool {
        state.withLock { $0.ring.owner(of: key.description) } == configuration.identity
    }

    /// The live members as this instance sees them (itself included once it may own keys).
    public var members: [String] { state.withLock { $0.ring.members } }

    /// Renews the lease, watches the others and re-evaluates liveness until cancelled.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await self.leases.run() }
            group.addTask { await self.heartbeat() }
            group.addTask { await self.sweep() }
            await group.next()
            group.cancelAll()
        }
    }

    /// Gives up every key and deletes the lease, so the survivors take the keys over at once.
    /// Call it after the last reconcile finished; it completes even in a cancelled task.
    public func leave() async {
        state.withLock { state in
            state.left = true
            state.ring = ShardRing(members: [])
        }
        let client = client, name = leaseName, namespace = configuration.namespace
        await Task { _ = try? await client.delete(Lease.self, name: name, namespace: namespace) }.value
    }

    // MARK: own lease

    private func heartbeat() async {
        while !Task.isCancelled {
            do {
                try await renew()
                state.withLock { $0.ownRenewedAt = timeline.elapsed() }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("cannot renew the shard lease", metadata: ["lease": "\(leaseName)", "error": "\(error)"])
            }
            reevaluate()
            do { try await timeline.sleep(for: configuration.renewInterval) } catch { return }
        }
    }

    private func renew() async throws {
        let now = wallClock.nowMicro()
        do {
            var lease = try await client.get(Lease.self, name: leaseName, namespace: configuration.namespace)
            lease.spec = lease.spec ?? LeaseSpec()
            lease.spec!.renewTime = now
            lease.spec!.holderIdentity = configuration.identity
            _ = try await client.update(lease)
        } catch let error as APIError where error.reason == .notFound {
            let lease = Lease(
                metadata: ObjectMeta(name: leaseName, namespace: configuration.namespace,
                                     labels: [Configuration.label: configuration.controller]),
                spec: LeaseSpec(holderIdentity: configuration.identity, leaseDurationSeconds: configuration.leaseSeconds,
                                acquireTime: now, renewTime: now))
            _ = try await client.create(lease)
        }
    }

    // MARK: the others

    private func saw(_ lease: Lease) {
        guard let holder = lease.spec?.holderIdentity, let name = lease.metadata?.name else { return }
        let duration = Duration.seconds(Int64(lease.spec?.leaseDurationSeconds ?? configuration.leaseSeconds))
        let version = lease.metadata?.resourceVersion ?? ""
        state.withLock { state in
            if let known = state.observed[name], known.resourceVersion == version { return }
            var changedAt: Duration? = timeline.elapsed()
            // First sight of a lease not renewed for a whole duration by its own clock: a dead
            // instance's leftover; do not wait another duration for it.
            if state.observed[name] == nil, let renewed = lease.spec?.renewTime,
               renewed.seconds + duration.components.seconds < wallClock.now().seconds {
                changedAt = nil
            }
            state.observed[name] = Observed(holder: holder, resourceVersion: version, changedAt: changedAt, duration: duration)
        }
        reevaluate()
    }

    private func forget(_ lease: Lease) {
        guard let name = lease.metadata?.name else { return }
        state.withLock { _ = $0.observed.removeValue(forKey: name) }
        reevaluate()
    }

    /// Liveness changes with time alone (a lease that stops changing), so look again often.
    private func sweep() async {
        while !Task.isCancelled {
            do { try await timeline.sleep(for: .milliseconds(250)) } catch { return }
            reevaluate()
            await collectStaleLeases()
        }
    }

    private func reevaluate() {
        let now = timeline.elapsed()
        let changed = state.withLock { state -> Bool in
            guard !state.left else { return false }
            var live = Set<String>()
            for (name, observed) in state.observed where name != leaseName {
                if let changedAt = observed.changedAt, now - changedAt < observed.duration { live.insert(observed.holder) }
            }
            if let renewed = state.ownRenewedAt, now - renewed < configuration.leaseDuration,
               now - startedAt >= configuration.settle {
                live.insert(configuration.identity)
            }
            let ring = ShardRing(members: live)
            guard ring != state.ring else { return false }
            state.ring = ring
            return true
        }
        if changed {
            logger.info("shard members changed", metadata: ["members": "\(members)"])
            onChange()
        }
    }

    /// Deletes leases of instances gone for three lease durations, so the list stays short.
    private func collectStaleLeases() async {
        let now = timeline.elapsed()
        let stale = state.withLock { state in
            state.observed.filter { name, observed in
                name != leaseName && (observed.changedAt.map { now - $0 > observed.duration * 3 } ?? true)
            }.map(\.key)
        }
        for name in stale {
            _ = try? await client.delete(Lease.self, name: name, namespace: configuration.namespace)
        }
    }

    private static func suffix() -> String {
        String((0..<8).map { _ in "0123456789abcdef".randomElement()! })
    }
}
