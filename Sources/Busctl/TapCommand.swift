/// `busctl tap`: subscribe to every publisher of a cluster (the run directory's `pub` entries,
/// plus `--connect` URLs) and print each message as one line (`TapFormatter`), until
/// `--count` messages or `--timeout` seconds. New publishers that register while tapping are
/// picked up by rescanning the directory.
///
/// Concurrency: one task runs `TapSession` over the subscriber's stream; a timer task closes
/// the subscriber at the timeout (which ends the stream); a rescan task connects new
/// publishers. All end when the session does. Must never: leave the subscriber open on any
/// path, or exit 0 after a timeout without having printed a message.
import ArgumentParser
import SkiffBus
import SkiffCommandLine

struct TapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tap",
        abstract: "Print every message published on the bus, one line each.",
        discussion: """
            Subscribes to every publisher registered as `pub` in the run directory's \
            endpoints/ (and to each --connect URL), and prints for each message: receive time \
            (UTC), publisher, topic, sequence number, message type and a summary (API objects \
            as `Kind namespace/name rv=N`, watch events as their type and object). Lost \
            messages show as GAP, RESET or OVERFLOW lines. Secret values are always redacted.

            With --json, each line is one JSON object: \
            {"time","sender","topic","sequence","epoch","type","message"}, or {"gap":{...}}.

            Exit status: 0 after --count messages, or at --timeout if at least one message \
            was printed; 1 if nothing was printed by the timeout or on any error.
            """)

    @OptionGroup var runDirectory: RunDirectoryOptions

    @Option(name: .customLong("connect"), help: ArgumentHelp(
        "Also subscribe to the publisher at this URL (repeatable), e.g. ipc:///path/pub.sock.", valueName: "url"))
    var urls: [String] = []

    @Option(name: .customLong("filter"), help: ArgumentHelp(
        "Only print topics starting with this prefix (repeatable; default: every topic).", valueName: "prefix"))
    var prefixes: [String] = []

    @Flag(help: "Print one JSON object per line.")
    var json = false

    @Option(help: ArgumentHelp("Exit after printing this many messages.", valueName: "n"))
    var count: Int?

    @Option(help: ArgumentHelp("Exit after this many seconds.", valueName: "seconds"))
    var timeout: Double?

    /// How often the run directory is rescanned for publishers that started after us.
    static let rescanInterval: Duration = .seconds(2)

    func validate() throws {
        if let count, count <= 0 { throw ValidationError("--count must be at least 1") }
        if let timeout, !(timeout > 0 && timeout.isFinite) { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func run() async throws {
        let directory = EndpointDirectory(runDirectory: runDirectory.resolved())
        let urls = urls
        let prefixes = prefixes.isEmpty ? [""] : prefixes
        let session = TapSession(formatter: TapFormatter(format: json ? .json : .text), limit: count)
        let timeout = timeout
        try await reportingErrors {
            try await Self.tap(directory: directory, urls: urls, prefixes: prefixes, session: session, timeout: timeout)
        }
    }

    private static func tap(directory: EndpointDirectory, urls: [String], prefixes: [String], session: TapSession,
                            timeout: Double?) async throws {
        var targets = PublisherTargets()
        for url in urls { targets.add(try BusEndpoint(url).advertised(), name: nil) }
        let found = targets.add(entries: directory.list(role: .pub, removingStale: true))
        guard !targets.all.isEmpty else {
            throw BusctlError("no publishers to tap: \(RunDirectory.emptiness(of: directory, role: .pub)); or give --connect URL")
        }
        FileDescriptorSink.standardError.write(line: "busctl: tapping \(targets.describe(targets.all))")

        let connected = targets
        let subscriber = try Subscriber()
        let printed: Int
        do {
            for prefix in prefixes { try subscriber.subscribe(prefix: prefix) }
            for target in connected.all { try subscriber.connect(to: target.endpoint) }
            printed = await withTaskGroup(of: Int?.self, returning: Int.self) { group in
                group.addTask { await session.run(subscriber.events) }
                if let timeout {
                    group.addTask {
                        try? await Task.sleep(for: .seconds(timeout))
                        if !Task.isCancelled { await subscriber.close() }
                        return nil
                    }
                }
                if found > 0 || urls.isEmpty {
                    group.addTask {
                        await follow(directory, subscriber: subscriber, known: connected)
                        return nil
                    }
                }
                var printed = 0
                for await result in group {
                    guard let result else { continue }
                    printed = result
                    group.cancelAll()
                }
                return printed
            }
        } catch {
            await subscriber.close()
            throw error
        }
        await subscriber.close()
        let unopened = subscriber.statistics.unauthenticated
        if unopened > 0 {
            FileDescriptorSink.standardError.write(line: "busctl: \(unopened) message(s) did not open with this process's keys "
                                                   + "(SKIFF_BUS_KEY_FILE, SKIFF_BUS_CONFIDENTIAL_KEY_FILE) and were dropped")
        }
        if printed == 0, let timeout {
            let seconds = timeout == timeout.rounded() && timeout < 1e9 ? String(Int(timeout)) : String(timeout)
            throw BusctlError("no messages within \(seconds) seconds from \(connected.all.count) publisher(s)")
        }
    }

    /// Connects publishers that register after the tap started, until cancelled.
    private static func follow(_ directory: EndpointDirectory, subscriber: Subscriber, known: PublisherTargets) async {
        var known = known
        while true {
            do { try await Task.sleep(for: rescanInterval) } catch { return }
            let before = known.all.count
            known.add(entries: directory.list(role: .pub))
            let new = Array(known.all[before...])
            guard !new.isEmpty else { continue }
            for target in new {
                if subscriber.isClosed { return }
                do {
                    try subscriber.connect(to: target.endpoint)
                } catch {
                    FileDescriptorSink.standardError.write(line: "busctl: cannot connect to \(target.endpoint): \(describe(error))")
                }
            }
            FileDescriptorSink.standardError.write(line: "busctl: also tapping \(known.describe(new))")
        }
    }
}

/// The publishers a tap is connected to, each endpoint once.
struct PublisherTargets: Sendable {
    struct Target: Sendable {
        var endpoint: BusEndpoint
        /// The publisher's sender name, when it came from the directory.
        var name: String?
    }

    private(set) var all: [Target] = []
    private var urls: Set<String> = []

    @discardableResult
    mutating func add(_ endpoint: BusEndpoint, name: String?) -> Bool {
        guard urls.insert(endpoint.url).inserted else { return false }
        all.append(Target(endpoint: endpoint, name: name))
        return true
    }

    /// Adds each entry's first endpoint; returns how many entries there were.
    @discardableResult
    mutating func add(entries: [EndpointDirectory.Entry]) -> Int {
        for entry in entries {
            guard let endpoint = entry.endpoints.first else { continue }
            add(endpoint, name: entry.sender)
        }
        return entries.count
    }

    func describe(_ targets: [Target]) -> String {
        targets.map { target in target.name.map { "\($0) (\(target.endpoint))" } ?? target.endpoint.url }
            .joined(separator: ", ")
    }
}
