/// NFTablesDataPath: the nftables mode. Each sync moves the `NFTablesTable` last applied to
/// the new service rules and applies the smallest script that gets the kernel there: nothing
/// when no rule differs, a delta of the rules that differ when a table was applied, the full
/// table otherwise (at start, after a failed apply, or when the table vanished).
///
/// Concurrency: `sync` and `verify` are called by one task at a time (the sync loop); the
/// applied state sits behind a mutex only to make the class Sendable. Must never: apply a delta
/// against a rule set that is not known to be in the kernel.
import Logging
import Synchronization

/// How the sync loop hands its decision to a mode.
public protocol ServiceDataPath: Sendable {
    /// Makes this node forward as `rules` say (every rule, in no particular order); what it did
    /// and how long each step took.
    func sync(_ rules: [ServicePortRule]) async throws -> SyncReport
    /// Periodic check that what was applied is still in place; repairs on the next sync.
    func verify() async
    /// Stops serving (the userspace relay closes its listeners; nftables leaves its table).
    func close() async
}

/// What one sync of a data path did, for the sync loop's log line.
public struct SyncReport: Sendable {
    /// e.g. `skipped` (nothing changed), `full`, `delta`, `relays`.
    public var outcome: String
    /// The steps in the order they ran, with their durations.
    public var steps: [(name: String, duration: Duration)]
    /// Extra facts (script lines, ...).
    public var detail: [String: String]

    public init(outcome: String, steps: [(name: String, duration: Duration)] = [], detail: [String: String] = [:]) {
        self.outcome = outcome
        self.steps = steps
        self.detail = detail
    }
}

public final class NFTablesDataPath: ServiceDataPath {
    public struct Counts: Sendable, Equatable {
        public var full = 0, delta = 0, skipped = 0, failed = 0
    }

    private struct State {
        /// What the kernel holds, nil when unknown (start, after a failure, table gone).
        var applied: NFTablesTable?
        var counts = Counts()
    }

    private let configuration: ProxyConfiguration
    private let applier: RuleApplier
    private let logger: Logger
    private let state = Mutex(State())

    public init(configuration: ProxyConfiguration, applier: RuleApplier = RuleApplier(), logger: Logger) {
        self.configuration = configuration
        self.applier = applier
        self.logger = logger
    }

    public var counts: Counts { state.withLock { $0.counts } }

    public func sync(_ rules: [ServicePortRule]) async throws -> SyncReport {
        let clock = ContinuousClock()
        var mark = clock.now
        var steps: [(name: String, duration: Duration)] = []
        func step(_ name: String) {
            let now = clock.now
            steps.append((name, now - mark))
            mark = now
        }
        // Taken out of the state so that it is the only copy and is changed in place; it goes
        // back once nft has applied the script (after a failure it stays out: full next time).
        var table = state.withLock { state in
            defer { state.applied = nil }
            return state.applied
        }
        let script: String, kind: String
        if table == nil {
            let full = NFTablesTable(rules, configuration: configuration)
            table = full
            (script, kind) = (NFTablesScript.full(full.ruleSet), "full")
        } else {
            switch table!.update(to: rules) {
            case .none:
                step("render")
                state.withLock { $0.applied = table; $0.counts.skipped += 1 }
                return SyncReport(outcome: "skipped", steps: steps)
            case .delta(let delta): (script, kind) = (delta, "delta")
            case .full(let full): (script, kind) = (full, "full")
            }
        }
        step("render")
        do {
            try await applier.apply(script)
        } catch {
            // What the kernel holds is no longer known for sure: the next sync replaces it whole.
            state.withLock { $0.counts.failed += 1 }
            throw error
        }
        step("nft")
        state.withLock { state in
            state.applied = table
            if kind == "full" { state.counts.full += 1 } else { state.counts.delta += 1 }
        }
        return SyncReport(outcome: kind, steps: steps, detail: ["lines": "\(script.utf8.reduce(0) { $1 == 10 ? $0 + 1 : $0 })"])
    }

    public func verify() async {
        guard state.withLock({ $0.applied != nil }) else { return }
        do {
            if try await !applier.tableExists(configuration.tableName) {
                logger.warning("table ip \(configuration.tableName) is gone; writing it again")
                state.withLock { $0.applied = nil }
            }
        } catch {
            logger.warning("cannot list nftables tables", metadata: ["error": "\(error)"])
        }
    }

    public func close() async {}
}
