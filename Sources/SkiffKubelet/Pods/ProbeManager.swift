/// ProbeManager: the kubelet's prober workers. Every running container with a startup,
/// liveness or readiness probe gets one task per probe that waits initialDelaySeconds, then
/// probes every periodSeconds (exec in the container, HTTP GET or TCP connect to the pod's
/// address, each bounded by timeoutSeconds) and turns results into a state with Kubernetes'
/// thresholds (failureThreshold consecutive failures, successThreshold successes). Liveness
/// and readiness wait until the startup probe has succeeded. A liveness (or startup) failure
/// marks the container for restart; readiness decides the container's `ready`.
/// Each change of state calls `onChange` with the pod's key so that the pod is synced.
///
/// Concurrency: Sendable; the state is behind a lock, the probe tasks run on the pool and
/// perform blocking I/O on their own threads. Must never: keep probing a container that is
/// gone, or report a container ready before its first successful readiness probe.
import Foundation
import SkiffClient
import SkiffImages
import SkiffWire
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

final class ProbeManager: Sendable {
    enum Kind: String, Sendable { case startup, liveness, readiness }
    /// A probe's verdict so far: none yet, or the last threshold crossed.
    enum Result: Sendable, Equatable { case unknown, success, failure }

    private struct Worker {
        var containerID: String
        var task: Task<Void, Never>
    }

    private struct State {
        /// uid -> container name -> kind -> current result.
        var results: [String: [String: [Kind: Result]]] = [:]
        var workers: [String: Worker] = [:]  // key: uid/container/kind
    }

    private let runtime: any ContainerRuntime
    private let state = Mutex(State())
    private let onChange: @Sendable (ObjectKey) -> Void

    init(runtime: any ContainerRuntime, onChange: @escaping @Sendable (ObjectKey) -> Void) {
        self.runtime = runtime
        self.onChange = onChange
    }

    /// Containers whose liveness or startup probe has failed its threshold.
    func livenessFailures(_ uid: String) -> Set<String> {
        state.withLock { state in
            Set((state.results[uid] ?? [:]).filter { $0.value[.liveness] == .failure || $0.value[.startup] == .failure }.keys)
        }
    }

    /// Containers not (yet) ready by their readiness probe, and not yet started by their
    /// startup probe.
    func readiness(_ uid: String) -> (notReady: Set<String>, notStarted: Set<String>) {
        state.withLock { state in
            let results = state.results[uid] ?? [:]
            return (Set(results.filter { $0.value[.readiness] != nil && $0.value[.readiness] != .success }.keys),
                    Set(results.filter { $0.value[.startup] != nil && $0.value[.startup] != .success }.keys))
        }
    }

    /// Starts workers for the pod's running containers and stops those of containers gone.
    func track(_ pod: Pod, view: PodRuntimeView) {
        let uid = pod.metadata?.uid ?? ""
        let key = ObjectKey(pod)
        let podIP = view.readySandbox?.ip ?? pod.status?.podIP ?? "127.0.0.1"
        var wanted: [String: (Container, String, Kind, Probe)] = [:]
        for container in pod.spec?.containers ?? [] {
            let name = container.name ?? ""
            guard let running = view.instances(name).first, running.state == .running else { continue }
            for (kind, probe) in [(Kind.startup, container.startupProbe), (.liveness, container.livenessProbe),
                                  (.readiness, container.readinessProbe)] {
                if let probe { wanted["\(uid)/\(name)/\(kind.rawValue)"] = (container, running.id, kind, probe) }
            }
        }
        state.withLock { state in
            for (workerKey, worker) in state.workers where workerKey.hasPrefix(uid + "/") {
                if wanted[workerKey]?.1 != worker.containerID {
                    worker.task.cancel()
                    state.workers[workerKey] = nil
                    let parts = workerKey.split(separator: "/")
                    if parts.count == 3, let kind = Kind(rawValue: String(parts[2])) {
                        state.results[uid]?[String(parts[1])]?[kind] = nil
                    }
                }
            }
            for (workerKey, (container, id, kind, probe)) in wanted where state.workers[workerKey] == nil {
                let name = container.name ?? ""
                // Before the first result: not ready, not started, not failed.
                state.results[uid, default: [:]][name, default: [:]][kind] = .unknown
                let task = Task { [weak self] () -> Void in
                    guard let self else { return }
                    await self.run(kind, probe: probe, container: container, containerID: id, uid: uid, podIP: podIP, pod: key)
                }
                state.workers[workerKey] = Worker(containerID: id, task: task)
            }
        }
    }

    /// Clears a container's results after the kubelet restarted it.
    func reset(uid: String, container: String) {
        state.withLock { state in
            for kind in [Kind.startup, .liveness, .readiness] {
                state.workers.removeValue(forKey: "\(uid)/\(container)/\(kind.rawValue)")?.task.cancel()
            }
            state.results[uid]?[container] = nil
        }
    }

    func forget(uid: String) {
        state.withLock { state in
            for (key, worker) in state.workers where key.hasPrefix(uid + "/") {
                worker.task.cancel()
                state.workers[key] = nil
            }
            state.results[uid] = nil
        }
    }

    private func run(_ kind: Kind, probe: Probe, container: Container, containerID: String, uid: String, podIP: String,
                     pod: ObjectKey) async {
        let name = container.name ?? ""
        let period = Duration.seconds(Int64(max(1, probe.periodSeconds ?? 10)))
        let timeout = Duration.seconds(Int64(max(1, probe.timeoutSeconds ?? 1)))
        let failureThreshold = Int(max(1, probe.failureThreshold ?? 3))
        let successThreshold = Int(max(1, probe.successThreshold ?? 1))
        var successes = 0, failures = 0
        do {
            try await Task.sleep(for: .seconds(Int64(max(0, probe.initialDelaySeconds ?? 0))))
            while !Task.isCancelled {
                // Liveness and readiness start once the startup probe has succeeded.
                let startup = state.withLock { $0.results[uid]?[name]?[.startup] }
                let gated = kind != .startup && startup != nil && startup != .success
                if !gated {
                    let ok = await Self.probe(probe, container: container, containerID: containerID, podIP: podIP,
                                              timeout: timeout, runtime: runtime)
                    if ok { successes += 1; failures = 0 } else { failures += 1; successes = 0 }
                    var result: Result? = nil
                    if ok && successes >= (kind == .readiness ? successThreshold : 1) { result = .success }
                    if !ok && failures >= failureThreshold { result = .failure }
                    if let result {
                        let changed = state.withLock { state -> Bool in
                            guard state.workers["\(uid)/\(name)/\(kind.rawValue)"]?.containerID == containerID else { return false }
                            let old = state.results[uid]?[name]?[kind]
                            state.results[uid, default: [:]][name, default: [:]][kind] = result
                            return old != result
                        }
                        if changed { onChange(pod) }
                        // A startup probe is done once it succeeded.
                        if kind == .startup && result == .success { return }
                    }
                }
                try await Task.sleep(for: period)
            }
        } catch {}
    }

    static func probe(_ probe: Probe, container: Container, containerID: String, podIP: String, timeout: Duration,
                      runtime: any ContainerRuntime) async -> Bool {
        if let exec = probe.exec {
            guard let result = try? await runtime.exec(containerID, command: exec.command, stdin: [], timeout: timeout) else { return false }
            return result.exitCode == 0
        }
        if let http = probe.httpGet {
            guard let port = resolvePort(http.port, container) else { return false }
            let host = http.host ?? podIP
            let headers = http.httpHeaders.map { ($0.name ?? "", $0.value ?? "") }
            return await HTTPProbe.get(host: host, port: port, path: http.path ?? "/", headers: headers, timeout: timeout)
        }
        if let tcp = probe.tcpSocket {
            guard let port = resolvePort(tcp.port, container) else { return false }
            return await HTTPProbe.connect(host: tcp.host ?? podIP, port: port, timeout: timeout) != nil
        }
        return false
    }

    static func resolvePort(_ port: IntOrString?, _ container: Container) -> UInt16? {
        switch port {
        case .int(let number)?: return UInt16(exactly: number)
        case .string(let name)?:
            if let number = UInt16(name) { return number }
            return container.ports.first { $0.name == name }.flatMap { $0.containerPort.flatMap { UInt16(exactly: $0) } }
        case nil: return nil
        }
    }
}

/// Blocking socket probes, each on its own thread.
enum HTTPProbe {
    /// Connects with a deadline; returns the connected descriptor (the caller closes it).
    static func connect(host: String, port: UInt16, timeout: Duration) async -> Int32? {
        await onThread { connectBlocking(host: host, port: port, timeout: timeout) }.map { fd in close(fd); return fd }
    }

    /// Kubernetes counts 200 <= status < 400 as success.
    static func get(host: String, port: UInt16, path: String, headers: [(String, String)], timeout: Duration) async -> Bool {
        await onThread { () -> Bool? in
            guard let fd = connectBlocking(host: host, port: port, timeout: timeout) else { return false }
            defer { close(fd) }
            var request = "GET \(path.hasPrefix("/") ? path : "/" + path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: kube-probe/1.30\r\nAccept: */*\r\nConnection: close\r\n"
            for (name, value) in headers { request += "\(name): \(value)\r\n" }
            request += "\r\n"
            let bytes = Array(request.utf8)
            guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else { return false }
            var buffer = [UInt8](repeating: 0, count: 1024)
            var received: [UInt8] = []
            while received.count < 16 {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { break }
                received += buffer[..<n]
            }
            let line = String(decoding: received, as: UTF8.self)
            let parts = line.split(separator: " ")
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else { return false }
            return (200..<400).contains(code)
        } ?? false
    }

    private static func connectBlocking(host: String, port: UInt16, timeout: Duration) -> Int32? {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return nil }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var tv = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); return nil }
        return fd
    }

    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T?) async -> T? {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.stackSize = 256 * 1024
            thread.start()
        }
    }
}
