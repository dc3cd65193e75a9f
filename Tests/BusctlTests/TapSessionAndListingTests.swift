/// TapSession over a hand-fed event stream (count limit, gaps, stream end), and
/// EndpointListing's reading and rendering of an endpoint directory.
import Foundation
import Testing
import Busctl
import SkiffBus
import SkiffWire
import SkiffCommandLine

@Suite struct TapSessionTests {
    private func session(limit: Int?, sink: CollectingSink) -> TapSession {
        TapSession(formatter: TapFormatter(format: .text), limit: limit, sink: sink, wallTime: { _ in Sample.instant })
    }

    @Test func stopsAfterLimitMessagesAndGapsDoNotCount() async throws {
        let (events, continuation) = AsyncStream.makeStream(of: SubscriptionEvent.self)
        let gap = Gap(kind: .missed, sender: "apiserver-1", topic: "pods/default", epoch: "e", missed: 1, firstMissed: 2, lastMissed: 2)
        continuation.yield(.messages([try Sample.received(Sample.pod(name: "a"), sequence: 1)]))
        continuation.yield(.gap(gap))
        continuation.yield(.messages([try Sample.received(Sample.pod(name: "b"), sequence: 3),
                                      try Sample.received(Sample.pod(name: "c"), sequence: 4)]))
        // Not finished: the session must stop by itself at the limit.
        let sink = CollectingSink()
        let printed = await session(limit: 2, sink: sink).run(events)
        continuation.finish()
        #expect(printed == 2)
        #expect(sink.lines.count == 3)
        #expect(sink.lines[0].contains("Pod default/a rv=42"))
        #expect(sink.lines[1].contains(" GAP apiserver-1 pods/default missed=1 (seq 2..2)"))
        #expect(sink.lines[2].contains("Pod default/b rv=42"))
    }

    @Test func endsWithTheStream() async throws {
        let (events, continuation) = AsyncStream.makeStream(of: SubscriptionEvent.self)
        continuation.yield(.messages([try Sample.received(Sample.pod())]))
        continuation.finish()
        let sink = CollectingSink()
        #expect(await session(limit: nil, sink: sink).run(events) == 1)
        #expect(sink.lines.count == 1)
    }
}

@Suite struct EndpointListingTests {
    private func entry(_ component: String, role: EndpointDirectory.Role, pid: Int32) -> EndpointDirectory.Entry {
        EndpointDirectory.Entry(component: component, sender: "\(component)-\(pid)", pid: pid, role: role,
                                url: "ipc:///run/\(component).\(role.rawValue).sock")
    }

    @Test func readsLiveAndDeadEntriesWithoutRemovingThem() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let endpoints = EndpointDirectory(runDirectory: directory.path)
        let live = entry("apiserver", role: .pub, pid: getpid())
        let dead = entry("scheduler", role: .rep, pid: Int32.max)  // above pid_max: never a live process
        try endpoints.register(live)
        try endpoints.register(dead)
        try "not json".write(toFile: endpoints.endpointsDirectory + "/junk.json", atomically: true, encoding: .utf8)

        let statuses = EndpointListing.read(endpoints)
        #expect(statuses == [EndpointStatus(entry: live, alive: true), EndpointStatus(entry: dead, alive: false)])
        #expect(try FileManager.default.contentsOfDirectory(atPath: endpoints.endpointsDirectory).count == 3)
    }

    @Test func tableAndJSON() throws {
        let statuses = [
            EndpointStatus(entry: entry("apiserver", role: .pub, pid: 10), alive: true),
            EndpointStatus(entry: entry("apiserver", role: .rep, pid: 10), alive: true,
                           reachability: .reachable(handles: ["skiff.api.v1.Request", "skiff.wire.v1.Ping"])),
            EndpointStatus(entry: entry("kubelet", role: .rep, pid: 11), alive: true,
                           reachability: .unreachable(reason: "Timeout: no reply")),
            EndpointStatus(entry: entry("scheduler", role: .rep, pid: 12), alive: false),
        ]
        #expect(EndpointListing.tableLines(statuses) == [
            "COMPONENT  SENDER        PID  ROLE  ALIVE  URL                            HANDLES",
            "apiserver  apiserver-10  10   pub   yes    ipc:///run/apiserver.pub.sock  -",
            "apiserver  apiserver-10  10   rep   yes    ipc:///run/apiserver.rep.sock  skiff.api.v1.Request,skiff.wire.v1.Ping",
            "kubelet    kubelet-11    11   rep   yes    ipc:///run/kubelet.rep.sock    unreachable",
            "scheduler  scheduler-12  12   rep   no     ipc:///run/scheduler.rep.sock  (dead)",
        ])
        let json = EndpointListing.json(statuses)
        guard case .array(let items) = json else {
            Issue.record("not an array: \(json)")
            return
        }
        #expect(items.count == 4)
        #expect(items[1]["handles"] == .array([.string("skiff.api.v1.Request"), .string("skiff.wire.v1.Ping")]))
        #expect(items[2]["reachable"] == .bool(false))
        #expect(items[3]["alive"] == .bool(false))
    }
}
