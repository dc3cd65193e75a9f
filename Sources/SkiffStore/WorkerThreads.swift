/// WorkerThreads: dedicated OS threads draining one shared queue, for the store's blocking
/// SQLite work. Swift's cooperative pool is as wide as the core count (2 here): an fsync or a
/// long scan on it would stall every task in the process, so SQLite runs only on these
/// threads and callers wait on continuations.
///
/// Each wake-up hands a thread up to `maxBatch` queued items at once: the writer takes every
/// waiting transaction and commits them with one fsync (group commit); readers take one job.
///
/// Concurrency: `submit` from any thread; items are handed out in submission order. `close()`
/// stops new submissions, lets the threads finish everything already queued, and returns once
/// every thread has exited. Must never: drop an accepted item, or run `body` after `close()`
/// returned.
import Foundation

final class WorkerThreads<Item: Sendable>: @unchecked Sendable {
    typealias Body = @Sendable (_ thread: Int, _ items: [Item]) -> Void

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [Item] = []
    private var closing = false
    private var running: Int
    private var exitWaiters: [CheckedContinuation<Void, Never>] = []

    private let maxBatch: Int
    private let body: Body

    init(name: String, count: Int, maxBatch: Int, body: @escaping Body) {
        self.maxBatch = max(1, maxBatch)
        self.body = body
        self.running = count
        for index in 0..<count {
            let thread = Thread { [self] in loop(index) }
            thread.name = count == 1 ? name : "\(name)-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Queues `item`; false once closing (the item is not taken).
    func submit(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closing else { return false }
        queue.append(item)
        condition.signal()
        return true
    }

    /// Finishes the queued items, then stops the threads. Idempotent.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            closing = true
            condition.broadcast()
            let exited = running == 0
            if !exited { exitWaiters.append(continuation) }
            condition.unlock()
            if exited { continuation.resume() }
        }
    }

    private func loop(_ index: Int) {
        while true {
            condition.lock()
            while queue.isEmpty && !closing { condition.wait() }
            if queue.isEmpty {
                running -= 1
                let waiters = running == 0 ? exitWaiters : []
                if running == 0 { exitWaiters = [] }
                condition.unlock()
                for waiter in waiters { waiter.resume() }
                return
            }
            let batch: [Item]
            if queue.count <= maxBatch {
                batch = queue
                queue = []
            } else {
                batch = Array(queue.prefix(maxBatch))
                queue.removeFirst(maxBatch)
            }
            // Other threads may have work too.
            if !queue.isEmpty { condition.signal() }
            condition.unlock()
            body(index, batch)
        }
    }
}
