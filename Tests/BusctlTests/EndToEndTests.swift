/// End to end: the built `busctl` executable as a child process against a publisher and a
/// request server in this test process, over ipc:// sockets in a fresh run directory.
/// Publishers publish again and again until the child has printed (nanomsg's slow joiner: a
/// subscriber misses what was published before its connection and subscription were up).
import Foundation
import Testing
import Busctl
import SkiffBus
import SkiffWire

@Suite struct EndToEndTests {
    /// A publisher registered in `directory`'s endpoint directory, bound to pub.sock.
    private func publisher(in directory: TemporaryDirectory) throws -> Publisher {
        let publisher = try Publisher(component: "apiserver", options: .init(
            sender: "apiserver-e2e", directory: EndpointDirectory(runDirectory: directory.path)))
        try publisher.bind(to: directory.url("pub.sock"))
        return publisher
    }

    /// Runs `busctl ARGUMENTS` while publishing `message` until the child exits; returns its
    /// exit status (nil if it did not exit in time) and stdout lines.
    private func tap(_ arguments: [String], publishing message: some WireMessage, topic: String = "pods/default",
                     via publisher: Publisher) async throws -> (status: Int32?, lines: [String], stderr: String) {
        let child = try BusctlProcess(arguments)
        defer { child.stop() }
        let exited = try await eventually(step: { try publisher.publish(message, topic: topic) }) { !child.isRunning }
        #expect(exited, "busctl tap did not finish; stdout: \(child.stdout) stderr: \(child.stderr)")
        let status = await child.exitStatus(within: .seconds(10))
        return (status, child.stdoutLines, child.stderr)
    }

    @Test func tapPrintsDecodedPods() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let publisher = try publisher(in: directory)
        defer { publisher.close() }

        let result = try await tap(["tap", "--run-dir", directory.path, "--count", "3"], publishing: Sample.pod(), via: publisher)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.lines.count == 3)
        for line in result.lines {
            #expect(line.contains(" apiserver-e2e pods/default #"), "\(line)")
            #expect(line.hasSuffix(" Pod Pod default/web-1 rv=42"), "\(line)")
        }
    }

    @Test func tapJSONPrintsOneObjectPerLine() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let publisher = try publisher(in: directory)
        defer { publisher.close() }

        let event = try Sample.watchEvent("ADDED", Sample.pod())
        let result = try await tap(["tap", "--run-dir", directory.path, "--json", "--count", "2", "--filter", "pods/"],
                                   publishing: event, via: publisher)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.lines.count == 2)
        for line in result.lines {
            let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["sender"] as? String == "apiserver-e2e")
            #expect(object["type"] as? String == WatchEvent.protoName)
            let message = try #require(object["message"] as? [String: Any])
            #expect(message["type"] as? String == "ADDED")
            let pod = try #require(message["object"] as? [String: Any])
            #expect((pod["metadata"] as? [String: Any])?["name"] as? String == "web-1")
        }
    }

    @Test func tapRedactsSecrets() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let publisher = try publisher(in: directory)
        defer { publisher.close() }

        for format in [[], ["--json"]] {
            let result = try await tap(["tap", "--run-dir", directory.path, "--count", "1"] + format,
                                       publishing: Sample.secret(), topic: "secrets/prod", via: publisher)
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(result.lines.count == 1)
            for leak in Sample.secretLeaks { #expect(!result.lines.joined().contains(leak)) }
        }
    }

    @Test func tapTimeoutAfterMessagesSucceeds() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let publisher = try publisher(in: directory)
        defer { publisher.close() }

        let child = try BusctlProcess(["tap", "--run-dir", directory.path, "--timeout", "3"])
        defer { child.stop() }
        let printed = try await eventually(step: { try publisher.publish(Sample.pod(), topic: "pods/default") }) {
            !child.stdoutLines.isEmpty || !child.isRunning
        }
        #expect(printed)
        // Publishing stops here; the child exits at its timeout with what it printed.
        #expect(await child.exitStatus() == 0, "stderr: \(child.stderr)")
        #expect(child.stdoutLines.allSatisfy { $0.hasSuffix(" Pod Pod default/web-1 rv=42") })
    }

    @Test func tapPicksUpPublishersThatStartLater() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let silent = try publisher(in: directory)
        defer { silent.close() }

        let child = try BusctlProcess(["tap", "--run-dir", directory.path, "--count", "1"])
        defer { child.stop() }
        // Registered only after the child read the directory.
        _ = await eventually { child.stderr.contains("busctl: tapping ") }
        let late = try Publisher(component: "scheduler", options: .init(
            sender: "scheduler-late", directory: EndpointDirectory(runDirectory: directory.path)))
        defer { late.close() }
        try late.bind(to: directory.url("late.sock"))

        let exited = try await eventually(step: { try late.publish(Sample.pod(name: "late-1"), topic: "pods/default") }) {
            !child.isRunning
        }
        #expect(exited, "stdout: \(child.stdout) stderr: \(child.stderr)")
        #expect(await child.exitStatus() == 0)
        #expect(child.stdoutLines.count == 1)
        #expect(child.stdoutLines.first?.contains(" scheduler-late pods/default #") == true)
        #expect(child.stderr.contains("busctl: also tapping scheduler-late"))
    }

    @Test func tapWithoutPublishersFailsWithOneLine() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try await BusctlProcess.run(["tap", "--run-dir", directory.path, "--count", "1"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == "error: no publishers to tap: no live publishers registered in \(directory.path)/endpoints; or give --connect URL\n")
    }

    @Test func tapTimeoutWithoutMessagesFails() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try await BusctlProcess.run(["tap", "--connect", directory.url("nobody.sock"), "--timeout", "0.3"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: no messages within 0.3 seconds from 1 publisher(s)"))
    }

    @Test func callPingPrintsPong() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await withRequestServer(component: "e2e-server", in: directory) { server in
            let yaml = try await BusctlProcess.run(["call", "--connect", directory.url("rep.sock"), "--type", "skiff.wire.v1.Ping"])
            #expect(yaml.status == 0, "stderr: \(yaml.stderr)")
            #expect(yaml.stdout.contains("component: e2e-server\n"))
            #expect(yaml.stdout.contains("- skiff.wire.v1.Ping\n"))

            let json = try await BusctlProcess.run(["call", "--connect", directory.url("rep.sock"), "--type", "skiff.wire.v1.Ping",
                                                    "--data", #"{"from": "test"}"#, "--json"])
            #expect(json.status == 0, "stderr: \(json.stderr)")
            let pong = try #require(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect(pong["component"] as? String == "e2e-server")
            #expect(pong["pid"] as? Int == Int(getpid()))
        }
    }

    @Test func callReportsFailuresAndBadInput() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await withRequestServer(component: "e2e-server", in: directory) { server in
            let url = directory.url("rep.sock")
            let noHandler = try await BusctlProcess.run(["call", "--connect", url, "--type", "skiff.core.v1.Pod"])
            #expect(noHandler.status == 1)
            #expect(noHandler.stdout.isEmpty)
            #expect(noHandler.stderr.hasPrefix("error: NoHandler: "))
            #expect(noHandler.stderr.split(separator: "\n").count == 1)

            let unknown = try await BusctlProcess.run(["call", "--connect", url, "--type", "Pong"])
            #expect(unknown.status == 1)
            #expect(unknown.stderr == "error: unknown message type 'Pong': did you mean skiff.wire.v1.Pong?\n")

            let malformed = try await BusctlProcess.run(["call", "--connect", url, "--type", "skiff.wire.v1.Ping", "--data", "frm: me"])
            #expect(malformed.status == 1)
            #expect(malformed.stderr == "error: invalid skiff.wire.v1.Ping: frm: unknown field \"frm\"\n")
        }
    }

    @Test func callTimesOutWithoutServer() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try await BusctlProcess.run(["call", "--connect", directory.url("nobody.sock"), "--type", "skiff.wire.v1.Ping",
                                                  "--timeout", "0.2"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: Timeout: "))
    }

    @Test func lsListsPublisherAndServer() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let publisher = try publisher(in: directory)
        defer { publisher.close() }
        try await withRequestServer(component: "e2e-server", in: directory) { server in
            let table = try await BusctlProcess.run(["ls", "--run-dir", directory.path])
            #expect(table.status == 0, "stderr: \(table.stderr)")
            let lines = table.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 3)
            #expect(lines.first?.hasPrefix("COMPONENT") == true)
            let pub = try #require(lines.first { $0.contains("apiserver-e2e") })
            #expect(pub.contains(" pub ") && pub.contains(" yes ") && pub.contains(directory.url("pub.sock")))
            let rep = try #require(lines.first { $0.contains("e2e-server-test") })
            #expect(rep.contains(" rep ") && rep.hasSuffix("skiff.wire.v1.Ping"))

            let json = try await BusctlProcess.run(["ls", "--run-dir", directory.path, "--json"])
            #expect(json.status == 0, "stderr: \(json.stderr)")
            let entries = try #require(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
            #expect(entries.map { $0["sender"] as? String } == ["apiserver-e2e", "e2e-server-test"])
            #expect(entries[1]["reachable"] as? Bool == true)
        }
    }

    @Test func lsOfMissingRunDirectoryFails() async throws {
        let result = try await BusctlProcess.run(["ls", "--run-dir", "/nonexistent/skiff-run"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: run directory /nonexistent/skiff-run does not exist"))
    }

    @Test func helpMentionsTheRunDirectoryAndSystemdsBusctl() async throws {
        let root = try await BusctlProcess.run(["--help"])
        #expect(root.status == 0)
        #expect(root.stdout.contains("bin/busctl"))
        let tap = try await BusctlProcess.run(["tap", "--help"])
        #expect(tap.stdout.contains("SKIFF_RUN_DIR"))
    }
}
