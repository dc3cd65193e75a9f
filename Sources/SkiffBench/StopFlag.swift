/// StopFlag: raised by SIGINT/SIGTERM in skiff-bench so that a benchmark stops at its next
/// check and still stops its child processes and removes its temporary directories.
///
/// Concurrency: Sendable; raised from a signal source, read from any thread. Must never: be
/// lowered once raised.
import Synchronization

public final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)
    public init() {}
    public func raise() { raised.store(true, ordering: .relaxed) }
    public var isRaised: Bool { raised.load(ordering: .relaxed) }

    /// Throws once the flag is raised: called between phases.
    func check() throws {
        if isRaised { throw BenchmarkError("interrupted") }
    }
}
