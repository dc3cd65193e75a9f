// Test support: small message types of our own (so these tests do not depend on any generated
// API type but the envelope and the bus's own messages), endpoints per transport, a harness
// that closes everything a test opened, and condition waits with deadlines.
import Foundation
import Synchronization
import Testing
@testable import SkiffBus
import SkiffWire

/// A request/reply message with a text. Encoded as "E" + UTF-8, so any payload not starting
/// with "E" fails to decode, which the bad-request tests rely on.
struct Echo: WireMessage {
    static var protoName: String { "skiff.test.v1.Echo" }
    var text = ""
    init() {}
    init(_ text: String) { self.text = text }
    func serializedBytes() throws(WireError) -> [UInt8] { [0x45] + Array(text.utf8) }
    init(serializedBytes bytes: UnsafeRawBufferPointer) throws(WireError) {
        guard bytes.first == 0x45, let text = String(validating: bytes.dropFirst(), as: UTF8.self) else {
            throw WireError(.malformed, path: Self.protoName, "not an Echo")
        }
        self.text = text
    }
}

/// A message of a given size.
struct Blob: WireMessage {
    static var protoName: String { "skiff.test.v1.Blob" }
    var bytes: [UInt8] = []
    init() {}
    init(count: Int) { bytes = [UInt8](repeating: 0xAB, count: count) }
    func serializedBytes() throws(WireError) -> [UInt8] { bytes }
    init(serializedBytes bytes: UnsafeRawBufferPointer) throws(WireError) { self.bytes = Array(bytes) }
}

enum TestTransport: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case inproc, ipc, tcp
    var testDescription: String { rawValue }
}

/// Opens bus objects for one test and closes all of them (and removes its temporary
/// directory) when the test ends, whether it passed or threw.
final class BusHarness: Sendable {
    let directory: String
    let reactor: BusReactor
    private let closers = Mutex<[@Sendable () async -> Void]>([])
    private static let counter = Atomic<Int>(0)

    init(reactor: BusReactor = .shared) {
        var template = Array("/tmp/skiff-bus-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        directory = path.map { String(cString: $0) } ?? "/tmp"
        self.reactor = reactor
    }

    static func with<T>(reactor: BusReactor = .shared, _ body: (BusHarness) async throws -> T) async throws -> T {
        let harness = BusHarness(reactor: reactor)
        do {
            let result = try await body(harness)
            await harness.closeAll()
            return result
        } catch {
            await harness.closeAll()
            throw error
        }
    }

    func closeAll() async {
        let all = closers.withLock { c in
            defer { c = [] }
            return c
        }
        for close in all.reversed() { await close() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    func onClose(_ close: @escaping @Sendable () async -> Void) {
        closers.withLock { $0.append(close) }
    }

    func uniqueName(_ stem: String) -> String {
        "\(stem)-\(getpid())-\(Self.counter.add(1, ordering: .relaxed).newValue)"
    }

    /// An endpoint for `transport`; tcp endpoints come from `bindTCP`.
    func endpoint(_ transport: TestTransport, _ stem: String) -> BusEndpoint {
        switch transport {
        case .inproc: return try! .inproc(uniqueName(stem))
        case .ipc: return try! .ipc("\(directory)/\(uniqueName(stem)).sock")
        case .tcp: preconditionFailure("use bind(_:transport:)")
        }
    }

    /// Binds with `bind` to a fresh endpoint of `transport`. For tcp, tries random high ports
    /// on 127.0.0.1 until one is free (nanomsg cannot bind port 0).
    func bind(_ transport: TestTransport, _ stem: String, _ bind: (BusEndpoint) throws(BusError) -> Void) throws -> BusEndpoint {
        guard transport == .tcp else {
            let endpoint = self.endpoint(transport, stem)
            try bind(endpoint)
            return endpoint
        }
        for _ in 0..<100 {
            let endpoint = try BusEndpoint.tcp(host: "127.0.0.1", port: Int.random(in: 20000..<60000))
            do {
                try bind(endpoint)
                return endpoint
            } catch {
                // (A `catch where` on a typed throw hangs the 6.3 compiler; test by hand.)
                guard error.code == .addressInUse else { throw error }
            }
        }
        throw BusError(.addressInUse, "no free tcp port found")
    }

    func server(_ component: String = "test-server", options: RequestServer.Options? = nil) throws -> RequestServer {
        var options = options ?? RequestServer.Options()
        options.reactor = reactor
        let server = try RequestServer(component: component, options: options)
        onClose { await server.close() }
        return server
    }

    func client(_ endpoints: [BusEndpoint], options: RequestClient.Options? = nil) throws -> RequestClient {
        var options = options ?? RequestClient.Options()
        options.reactor = reactor
        let client = try RequestClient(connectingTo: endpoints, component: "test-client", options: options)
        onClose { await client.close() }
        return client
    }

    func publisher(_ component: String = "test-pub", options: Publisher.Options = Publisher.Options()) throws -> Publisher {
        let publisher = try Publisher(component: component, options: options)
        onClose { publisher.close() }
        return publisher
    }

    func subscriber(options: Subscriber.Options? = nil) throws -> Subscriber {
        var options = options ?? Subscriber.Options()
        options.reactor = reactor
        let subscriber = try Subscriber(options: options)
        onClose { await subscriber.close() }
        return subscriber
    }

    /// A server on `transport` with an Echo handler answering "echo: <text>".
    func echoServer(_ transport: TestTransport) throws -> (RequestServer, BusEndpoint) {
        let server = try server()
        server.handle(Echo.self) { request, _ in Echo("echo: \(request.text)") }
        let endpoint = try bind(transport, "echo") { endpoint throws(BusError) in try server.bind(to: endpoint) }
        return (server, endpoint)
    }
}

/// Waits until `condition` holds, checking every millisecond or so; false if `timeout`
/// passed first. The timeout only bounds a failing test: nothing asserts on how long it took.
@discardableResult
func waitUntil(timeout: Duration = .seconds(20), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return true
}

/// A gate tasks wait at until it is opened; a waiting task that is cancelled leaves at once.
extension RequestServer {
    /// Echoes every request, except that one whose text is `held` enters `probe` and then
    /// waits at `gate`: a handler slower than any deadline, released when a test says so.
    func handleEcho(holding held: String = "slow", at gate: Gate, probe: ConcurrencyProbe? = nil) {
        handle(Echo.self) { request, _ in
            if request.text == held {
                probe?.enter()
                await gate.wait()
            }
            return Echo(request.text)
        }
    }
}

final class Gate: Sendable {
    private struct State {
        var open = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var next: UInt64 = 0
    }
    private let state = Mutex(State())

    func open() {
        let waiters = state.withLock { s in
            s.open = true
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        let id = state.withLock { s in
            defer { s.next += 1 }
            return s.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.open || Task.isCancelled { return true }
                    s.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}

/// Counts calls and how many ran at once.
final class ConcurrencyProbe: Sendable {
    private struct State {
        var calls = 0
        var running = 0
        var maxRunning = 0
    }
    private let state = Mutex(State())

    func enter() {
        state.withLock { s in
            s.calls += 1
            s.running += 1
            s.maxRunning = max(s.maxRunning, s.running)
        }
    }

    func leave() { state.withLock { $0.running -= 1 } }
    var calls: Int { state.withLock { $0.calls } }
    var running: Int { state.withLock { $0.running } }
    var maxRunning: Int { state.withLock { $0.maxRunning } }
}

/// Consumes a subscriber's events in a task and keeps them for the test to inspect.
final class EventCollector: Sendable {
    private final class Store: Sendable {
        let events = Mutex<[SubscriptionEvent]>([])
    }
    private let store = Store()
    private let task: Task<Void, Never>

    init(_ subscriber: Subscriber) {
        let stream = subscriber.events
        let store = store
        task = Task {
            for await event in stream { store.events.withLock { $0.append(event) } }
        }
    }

    var all: [SubscriptionEvent] { store.events.withLock { $0 } }

    var messages: [ReceivedMessage] {
        all.flatMap { event -> [ReceivedMessage] in
            if case .messages(let messages) = event { return messages }
            return []
        }
    }

    func messages(topic: String) -> [ReceivedMessage] { messages.filter { $0.topic == topic } }

    var gaps: [Gap] {
        all.compactMap { event in
            if case .gap(let gap) = event { return gap }
            return nil
        }
    }

    func stop() { task.cancel() }
}

/// Names of this process's threads, from /proc/self/task/*/comm.
func threadNames() -> [String] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.compactMap { tid in
        (try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Publishes on "warmup" until `collector` has seen one from this publisher, so the subscription is known to be
/// live (nanomsg's slow joiner: messages published right after connecting are lost).
func warmUp(_ publisher: Publisher, _ collector: EventCollector) async throws {
    let heard = { collector.messages(topic: "warmup").contains { $0.envelope.epoch == publisher.epoch } }
    let deadline = ContinuousClock.now + .seconds(20)
    while !heard() {
        guard ContinuousClock.now < deadline else { throw BusError(.timeout, "subscription never became live") }
        try publisher.publish(Echo("warmup"), topic: "warmup")
        await waitUntil(timeout: .milliseconds(20), heard)
    }
}
