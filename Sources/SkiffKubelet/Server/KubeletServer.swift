/// KubeletServer: what this node answers on its own request socket (registered in the run
/// directory as kubelet-NODE and named in the Node's skiff.io/kubelet-endpoint annotation):
/// container logs read from a byte offset (`skiffctl logs`, `-f` polls from nextOffset,
/// `--previous` reads the prior instance) and commands run inside a container
/// (`skiffctl exec`), and the node's latest usage report (`skiffctl top`).
///
/// Concurrency: handlers run concurrently on the pool; they read the pod cache and the
/// runtime, and block only on their own threads. Must never: read a file outside the
/// container's log, or run a command in a container that is not running.
import Foundation
import SkiffAPI
import SkiffClient
import SkiffWire
#if canImport(Glibc)
import Glibc
#endif

struct KubeletServer: Sendable {
    let pods: Indexer<Pod>
    let runtime: any ContainerRuntime
    let usage: UsageCollector
    /// Largest chunk of log returned at once (stays well under the bus's message size).
    static let maxChunk: Int64 = 1 << 20

    func handle(_ request: KubeletRequest) async -> KubeletResponse {
        do {
            if let logs = request.logs { return KubeletResponse(code: 200, logs: try await self.logs(logs)) }
            if let exec = request.exec { return KubeletResponse(code: 200, exec: try await self.exec(exec)) }
            if let metrics = request.metrics {
                var report = usage.latest
                if let namespace = metrics.namespace, !namespace.isEmpty {
                    report.pods = report.pods.filter { $0.metadata?.namespace == namespace }
                }
                return KubeletResponse(code: 200, metrics: report)
            }
            return failure(400, "BadRequest", "the request names none of logs, exec or metrics")
        } catch let error as KubeletServerError {
            return failure(error.code, error.reason, error.message)
        } catch {
            return failure(500, "InternalError", "\(error)")
        }
    }

    private func failure(_ code: Int32, _ reason: String, _ message: String) -> KubeletResponse {
        KubeletResponse(code: code, status: Status(status: "Failure", message: message, reason: reason, code: code))
    }

    /// The pod and the container (its only one when unnamed), as Kubernetes words failures.
    private func container(namespace: String?, pod name: String?, container: String?) throws -> (Pod, String) {
        let namespace = namespace ?? "default"
        guard let name, let pod = pods.get(ObjectKey(namespace: namespace, name: name)) else {
            throw KubeletServerError(code: 404, reason: "NotFound", message: "pods \"\(name ?? "")\" not found")
        }
        let names = (pod.spec?.initContainers ?? []).compactMap(\.name) + (pod.spec?.containers ?? []).compactMap(\.name)
        if let container, !container.isEmpty {
            guard names.contains(container) else {
                throw KubeletServerError(code: 400, reason: "BadRequest",
                                         message: "container \(container) is not valid for pod \(name)")
            }
            return (pod, container)
        }
        let app = (pod.spec?.containers ?? []).compactMap(\.name)
        guard app.count == 1 else {
            throw KubeletServerError(code: 400, reason: "BadRequest",
                                     message: "a container name must be specified for pod \(name), choose one of: [\(app.joined(separator: " "))]")
        }
        return (pod, app[0])
    }

    private func instances(_ pod: Pod, _ name: String) async throws -> [RuntimeContainer] {
        let uid = StaticPods.runtimeUID(of: pod)
        return PodRuntimeView(containers: try await runtime.listContainers().filter { $0.podUID == uid }).instances(name)
    }

    private func logs(_ request: ContainerLogRequest) async throws -> ContainerLogResponse {
        let (pod, name) = try container(namespace: request.namespace, pod: request.pod, container: request.container)
        let all = try await instances(pod, name)
        let chosen = request.previous == true ? all.dropFirst().first : all.first
        guard let instance = chosen else {
            let message = request.previous == true
                ? "previous terminated container \"\(name)\" in pod \"\(pod.metadata?.name ?? "")\" not found"
                : "container \"\(name)\" in pod \"\(pod.metadata?.name ?? "")\" is waiting to start: ContainerCreating"
            throw KubeletServerError(code: 400, reason: "BadRequest", message: message)
        }
        let limit = min(request.limitBytes.map { max(1, $0) } ?? Self.maxChunk, Self.maxChunk)
        if let tail = request.tailLines, tail < 0 {
            throw KubeletServerError(code: 400, reason: "BadRequest", message: "tailLines must be 0 or more")
        }
        let (data, next) = try LogFile.read(instance.logPath, offset: request.offset, tailLines: request.tailLines, limit: limit)
        return ContainerLogResponse(data: data, nextOffset: next, running: instance.state == .running, container: name)
    }

    private func exec(_ request: ExecRequest) async throws -> ExecResponse {
        let (pod, name) = try container(namespace: request.namespace, pod: request.pod, container: request.container)
        guard !request.command.isEmpty else {
            throw KubeletServerError(code: 400, reason: "BadRequest", message: "you must specify at least one command for the container")
        }
        guard let running = try await instances(pod, name).first, running.state == .running else {
            throw KubeletServerError(code: 400, reason: "BadRequest",
                                     message: "container \(name) is not running in pod \(pod.metadata?.name ?? "")")
        }
        let timeout = Duration.seconds(Int64(request.timeoutSeconds.map { max(1, $0) } ?? 60))
        let result = try await runtime.exec(running.id, command: request.command, stdin: request.stdin ?? [], timeout: timeout)
        return ExecResponse(stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode)
    }
}

struct KubeletServerError: Error {
    var code: Int32
    var reason: String
    var message: String
}

/// Reads a container log: from an offset, or its last lines. A log rotated since the reader's
/// offset (now shorter than it) is read again from its start.
enum LogFile {
    static func read(_ path: String, offset: Int64?, tailLines: Int64?, limit: Int64) throws -> ([UInt8], Int64) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return ([], 0) }
        defer { try? handle.close() }
        let size = Int64((try? handle.seekToEnd()) ?? 0)
        var start = offset ?? 0
        if offset == nil, let tailLines, tailLines >= 0 {
            start = try tailStart(handle, size: size, lines: tailLines)
        }
        // Past the end (the log was rotated since) or nonsense: start over.
        if start > size || start < 0 { start = 0 }
        try handle.seek(toOffset: UInt64(start))
        let data = try handle.read(upToCount: Int(min(limit, size - start))) ?? Data()
        return (Array(data), start + Int64(data.count))
    }

    /// The offset where the last `lines` lines begin.
    private static func tailStart(_ handle: FileHandle, size: Int64, lines: Int64) throws -> Int64 {
        if lines == 0 { return size }
        var position = size
        var newlines: Int64 = 0
        let block: Int64 = 8192
        while position > 0 {
            let from = max(0, position - block)
            try handle.seek(toOffset: UInt64(from))
            let chunk = Array(try handle.read(upToCount: Int(position - from)) ?? Data())
            for index in stride(from: chunk.count - 1, through: 0, by: -1) where chunk[index] == UInt8(ascii: "\n") {
                // The file's final newline ends the last line rather than starting a new one.
                if from + Int64(index) == size - 1 { continue }
                newlines += 1
                if newlines == lines { return from + Int64(index) + 1 }
            }
            position = from
        }
        return 0
    }
}
