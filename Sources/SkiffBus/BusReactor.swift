/// BusReactor: the thread that waits on behalf of every bus socket in the process. It poll()s
/// the sockets' NN_RCVFD descriptors plus an eventfd (wake-up for new sockets, earlier
/// deadlines and shutdown), and when a socket turns readable asks its owner to drain it with
/// NN_DONTWAIT. It also fires call deadlines, so a request needs no timer task of its own.
///
/// Why a thread: nn_recv blocks, and two tasks blocked in it stalled an unrelated task for
/// 2 s on a 2-core machine (the cooperative pool is only as wide as the core count). One
/// reactor thread serves all sockets; owners hand work on to the pool (resume a continuation,
/// yield one AsyncStream element per drained batch, start a handler task). Code that opts in
/// can run on the reactor thread itself: the reactor is also a TaskExecutor (see below).
///
/// Lifecycle: the thread starts with the first registration and exits, closing its eventfd,
/// when the last one is removed, so a process whose bus objects are all closed has no bus
/// thread left.
///
/// Concurrency: registration, deadlines, wake-ups and jobs may come from any thread (one
/// mutex). `reactorDrain`, `reactorExpire` and jobs run on the reactor thread only, one at a
/// time.
/// Must never: block in a source callback (it would stall every socket in the process), call
/// a source after `unregister` has returned, or poll a descriptor whose socket was closed.
#if canImport(Glibc)
import Glibc
#endif
import CNanomsg
import Synchronization

/// An owner of sockets the reactor polls: a request client, a request server, a subscriber.
protocol ReactorSource: AnyObject, Sendable {
    /// The descriptor registered with `tag` is readable: receive with NN_DONTWAIT until
    /// nothing is left (or a fairness bound), hand the messages on, return. Must not block.
    func reactorDrain(tag: Int)
    /// Fail whatever is due at `now` (monotonic ns); return the next deadline, if any.
    func reactorExpire(now: UInt64) -> UInt64?
}

extension ReactorSource {
    func reactorExpire(now: UInt64) -> UInt64? { nil }
}

public final class BusReactor: Sendable {
    /// The reactor every bus object uses unless given another.
    public static let shared = BusReactor(name: "skiff-bus")

    /// The thread's name (at most 15 bytes are kept), visible in /proc/PID/task/*/comm.
    public let name: String

    struct Registration: Hashable, Sendable {
        fileprivate let id: Int
    }

    private struct Entry {
        let fd: Int32
        let source: any ReactorSource
        let tag: Int
        var enabled = true
    }

    private struct State {
        var entries: [Int: Entry] = [:]
        var nextID = 1
        /// Bumped on every change to `entries`, so the thread rebuilds its poll set.
        var version = 0
        /// Unregistrations waiting for the thread to stop polling their descriptors.
        var acks: [CheckedContinuation<Void, Never>] = []
        var running = false
        /// The running thread's eventfd; -1 when no thread runs.
        var wakeFD: Int32 = -1
        /// Earliest deadline some source asked for (monotonic ns); .max for none.
        var wakeBy = UInt64.max
        /// Task jobs waiting to run on the thread (the reactor as a TaskExecutor).
        var jobs: [UnownedJob] = []
        /// The running thread, once it has started.
        var thread: pthread_t?
    }

    private let state = Mutex(State())

    public init(name: String = "skiff-bus") {
        self.name = String(decoding: name.utf8.prefix(15), as: UTF8.self)
    }

    /// Whether the reactor thread is running (it runs while any socket is registered).
    public var isRunning: Bool { state.withLock { $0.running } }

    /// How many descriptors are registered.
    public var registrationCount: Int { state.withLock { $0.entries.count } }

    // MARK: registration

    /// Starts polling `fd` for `source`; `tag` is passed back to `reactorDrain`. Starts the
    /// thread if none runs.
    func register(fd: Int32, source: any ReactorSource, tag: Int = 0) throws(BusError) -> Registration {
        let result = state.withLock { s -> Result<Registration, BusError> in
            let id = s.nextID
            s.nextID += 1
            s.entries[id] = Entry(fd: fd, source: source, tag: tag)
            s.version += 1
            if s.running {
                Self.wake(s.wakeFD)
                return .success(Registration(id: id))
            }
            let wakeFD = skiff_eventfd_open()
            guard wakeFD >= 0 else {
                s.entries[id] = nil
                return .failure(BusError(.transport, "eventfd failed: errno \(errno)"))
            }
            let context = Unmanaged.passRetained(ThreadContext(reactor: self, wakeFD: wakeFD)).toOpaque()
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { raw in
                let context = Unmanaged<ThreadContext>.fromOpaque(raw!).takeRetainedValue()
                context.reactor.run(wakeFD: context.wakeFD)
                return nil
            }, context)
            guard rc == 0 else {
                Unmanaged<ThreadContext>.fromOpaque(context).release()
                close(wakeFD)
                s.entries[id] = nil
                return .failure(BusError(.transport, "pthread_create failed: errno \(rc)"))
            }
            pthread_detach(thread)
            s.running = true
            s.wakeFD = wakeFD
            return .success(Registration(id: id))
        }
        return try result.get()
    }

    /// Stops polling; returns once the thread no longer polls the descriptor and will not
    /// call the source for it again, so the caller may close the socket.
    func unregister(_ registration: Registration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let waits = state.withLock { s -> Bool in
                guard s.entries.removeValue(forKey: registration.id) != nil, s.running else { return false }
                s.version += 1
                s.acks.append(continuation)
                Self.wake(s.wakeFD)
                return true
            }
            if !waits { continuation.resume() }
        }
    }

    /// Pauses or resumes polling a descriptor (a paused subscriber leaves messages queued in
    /// nanomsg, which then drops at the publisher: used by tests to force real gaps).
    func setEnabled(_ registration: Registration, _ enabled: Bool) {
        state.withLock { s in
            guard s.entries[registration.id] != nil, s.entries[registration.id]!.enabled != enabled else { return }
            s.entries[registration.id]!.enabled = enabled
            s.version += 1
            if s.running { Self.wake(s.wakeFD) }
        }
    }

    /// Asks for a `reactorExpire` sweep no later than `deadline` (monotonic ns). Wakes the
    /// thread only if this is earlier than every deadline it already waits for, which keeps
    /// the common case (similar timeouts, one after another) free of syscalls.
    func noteDeadline(_ deadline: UInt64) {
        state.withLock { s in
            guard deadline < s.wakeBy else { return }
            s.wakeBy = deadline
            if s.running { Self.wake(s.wakeFD) }
        }
    }

    // MARK: the thread

    private final class ThreadContext {
        let reactor: BusReactor
        let wakeFD: Int32
        init(reactor: BusReactor, wakeFD: Int32) {
            self.reactor = reactor
            self.wakeFD = wakeFD
        }
    }

    private enum Step {
        case exit([CheckedContinuation<Void, Never>])
        case poll(sources: [(any ReactorSource, Int)]?, fds: [Int32]?, acks: [CheckedContinuation<Void, Never>], wakeBy: UInt64,
                  jobsWaiting: Bool)
    }

    private func run(wakeFD: Int32) {
        _ = skiff_set_thread_name(name)
        state.withLock { $0.thread = pthread_self() }
        var pollSet = [pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
        var sources: [(any ReactorSource, Int)] = []
        var seenVersion = -1
        while true {
            let step = state.withLock { s -> Step in
                if s.entries.isEmpty && s.jobs.isEmpty {
                    s.running = false
                    s.wakeFD = -1
                    s.thread = nil
                    let acks = s.acks
                    s.acks = []
                    return .exit(acks)
                }
                var newSources: [(any ReactorSource, Int)]? = nil
                var newFDs: [Int32]? = nil
                if s.version != seenVersion {
                    seenVersion = s.version
                    let enabled = s.entries.values.filter(\.enabled)
                    newSources = enabled.map { ($0.source, $0.tag) }
                    newFDs = enabled.map(\.fd)
                }
                let acks = s.acks
                s.acks = []
                return .poll(sources: newSources, fds: newFDs, acks: acks, wakeBy: s.wakeBy, jobsWaiting: !s.jobs.isEmpty)
            }
            switch step {
            case .exit(let acks):
                close(wakeFD)
                for ack in acks { ack.resume() }
                return
            case .poll(let newSources, let newFDs, let acks, let wakeBy, let jobsWaiting):
                if let newSources, let newFDs {
                    sources = newSources
                    pollSet.removeSubrange(1...)
                    for fd in newFDs { pollSet.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
                }
                // The poll set no longer holds removed descriptors: their owners may close them.
                for ack in acks { ack.resume() }
                pollOnce(&pollSet, sources: sources, wakeBy: wakeBy, wait: !jobsWaiting)
                runJobs()
            }
        }
    }

    private func pollOnce(_ pollSet: inout [pollfd], sources: [(any ReactorSource, Int)], wakeBy: UInt64, wait: Bool) {
        var timeout: Int32 = -1
        if !wait {
            timeout = 0
        } else if wakeBy != .max {
            let now = MonotonicTime.now()
            timeout = now >= wakeBy ? 0 : Int32(clamping: (wakeBy - now + 999_999) / 1_000_000)
        }
        let ready = poll(&pollSet, nfds_t(pollSet.count), timeout)
        if ready > 0 {
            if pollSet[0].revents != 0 {
                var value: UInt64 = 0
                _ = read(pollSet[0].fd, &value, MemoryLayout<UInt64>.size)
            }
            for index in 1..<pollSet.count where pollSet[index].revents != 0 {
                let (source, tag) = sources[index - 1]
                source.reactorDrain(tag: tag)
            }
        }
        if wakeBy != .max, MonotonicTime.now() >= wakeBy {
            sweepDeadlines()
        }
    }

    /// Lets every source fail what is due. wakeBy is reset and the sources listed in one step,
    /// so a deadline noted meanwhile either belongs to a listed source or lowers wakeBy again.
    private func sweepDeadlines() {
        let all = state.withLock { s -> [any ReactorSource] in
            s.wakeBy = .max
            var seen = Set<ObjectIdentifier>()
            return s.entries.values.compactMap { seen.insert(ObjectIdentifier($0.source)).inserted ? $0.source : nil }
        }
        let now = MonotonicTime.now()
        var next = UInt64.max
        for source in all {
            if let deadline = source.reactorExpire(now: now) { next = min(next, deadline) }
        }
        state.withLock { s in s.wakeBy = min(s.wakeBy, next) }
    }

    /// Runs the task jobs queued so far; jobs they queue run in the next round, at most a few
    /// rounds per loop so sockets keep being polled.
    private func runJobs() {
        for _ in 0..<4 {
            let jobs = state.withLock { s in
                defer { s.jobs = [] }
                return s.jobs
            }
            if jobs.isEmpty { return }
            for job in jobs { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }

    private static func wake(_ fd: Int32) {
        guard fd >= 0 else { return }
        var one: UInt64 = 1
        _ = write(fd, &one, MemoryLayout<UInt64>.size)
    }
}

/// The reactor as a task executor, for code that wants no thread hop between the bus and
/// itself: a request server's handlers (`RequestServer.Options.handlerExecutor`) or a
/// caller's loop (`withTaskExecutorPreference(reactor) { ... }`). A reply then resumes its
/// caller right after the drain that received it, and a request's handler starts right after
/// the drain that received the request, with no pool thread to wake. The price: such code
/// runs on the reactor thread between suspension points, and every socket of the process
/// waits meanwhile. Only for short, non-blocking work; the default is the global pool.
///
/// With no reactor thread running (no socket registered), jobs go to the global executor.
extension BusReactor: TaskExecutor {
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let queued = state.withLock { s -> Bool in
            guard s.running else { return false }
            s.jobs.append(job)
            // From the thread itself (a drain resuming a continuation): it runs jobs next anyway.
            if let thread = s.thread, pthread_equal(thread, pthread_self()) != 0 { return true }
            Self.wake(s.wakeFD)
            return true
        }
        if !queued { globalConcurrentExecutor.enqueue(ExecutorJob(job)) }
    }
}
