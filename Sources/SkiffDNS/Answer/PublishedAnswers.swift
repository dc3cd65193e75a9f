/// PublishedAnswers: the AnswerTable the servers answer from right now. The zone watcher
/// publishes a new table whenever Services or Endpoints change; server threads take the
/// current one once per batch of queries, so a batch is answered from one consistent zone.
///
/// Concurrency: Sendable; `publish` from any task, `current` from any thread (a short lock
/// around a reference swap). Must never: hand out a table that is still being built.
import Synchronization

public final class PublishedAnswers: Sendable {
    private let table: Mutex<AnswerTable>
    private let generation = Atomic<Int>(0)

    public init(_ table: AnswerTable = .empty) { self.table = Mutex(table) }

    public var current: AnswerTable { table.withLock { $0 } }

    /// How many tables have been published (0: still the initial one).
    public var publishedCount: Int { generation.load(ordering: .acquiring) }

    public func publish(_ next: AnswerTable) {
        table.withLock { $0 = next }
        generation.add(1, ordering: .releasing)
    }
}
