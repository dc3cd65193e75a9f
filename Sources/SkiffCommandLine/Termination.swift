/// How a long-running component stops: SIGTERM or SIGINT cancels its main task, which then
/// winds down (closing sockets, leaving containers) and returns.
///
/// Concurrency: call once, from the executable's main task. Must never: leave the signals
/// ignored after it returns a failure other than the cancellation it caused.
import Dispatch
import Foundation

/// Runs `work` until it returns, or until SIGTERM or SIGINT cancels it (its CancellationError
/// is then the normal way out, not an error).
public func runUntilTerminated(_ work: @escaping @Sendable () async throws -> Void) async throws {
    let task = Task { try await work() }
    let sources = [SIGTERM, SIGINT].map { number -> DispatchSourceSignal in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { task.cancel() }
        source.resume()
        return source
    }
    defer { sources.forEach { $0.cancel() } }
    do {
        try await task.value
    } catch is CancellationError {
    }
}
