// The informer against FakePodAPI: first list then watch, handler order, relist after 410 with the
// differences delivered, bookmarks, clean watch ends, backoff and resync on a ManualClock.
import SkiffAPI
import SkiffClient
import SkiffWire
import Testing

@Suite struct InformerTests {
    @Test func listsThenWatchesAndDeliversChangesInOrder() async throws {
        let api = FakePodAPI()
        api.create(pod("b"))
        api.create(pod("a"))
        let informer = Informer(api, clock: ManualClock())
        let recorder = EventRecorder(informer)
        #expect(!informer.hasSynced)

        let running = RunningInformer(informer)
        try await withDeadline { try await informer.waitForSync() }
        #expect(informer.hasSynced)
        #expect(informer.indexer.keys() == ["default/a", "default/b"])
        #expect(recorder.events == ["add default/a@2", "add default/b@1"])
        try await api.waitForOpenWatches(1)
        #expect(api.calls == [.list, .watch(after: "2")])

        api.create(pod("c"))
        api.update("default/a") { $0.spec?.nodeName = "node-1" }
        api.delete("default/b")
        #expect(try await recorder.waitFor(5) == [
            "add default/a@2", "add default/b@1",
            "add default/c@3", "update default/a@2->4", "delete default/b@5",
        ])
        #expect(informer.indexer.keys() == ["default/a", "default/c"])
        #expect(informer.indexer.get("default/a")?.spec?.nodeName == "node-1")
        #expect(informer.lastSyncResourceVersion == "5")
        #expect(recorder.overlappingCalls == 0)
        try await running.stop()
    }

    @Test func relistAfterExpiredDeliversWhatChangedWhileDisconnected() async throws {
        let api = FakePodAPI()
        for name in ["a", "b", "c"] { api.create(pod(name)) }
        let clock = ManualClock()
        let informer = Informer(api, clock: clock)
        let recorder = EventRecorder(informer)
        let running = RunningInformer(informer)
        try await withDeadline { try await informer.waitForSync() }
        try await api.waitForOpenWatches(1)

        api.compact()  // the open watch ends with 410 Expired
        try await withDeadline { try await clock.waitForSleepers(1) }  // backing off before the relist
        api.delete("default/b")
        api.update("default/a") { $0.metadata?.labels["tier"] = "web" }
        api.create(pod("d"))
        #expect(api.calls == [.list, .watch(after: "3")])

        clock.advance(by: .milliseconds(800))
        #expect(try await recorder.waitFor(6) == [
            "add default/a@1", "add default/b@2", "add default/c@3",
            "update default/a@1->5", "add default/d@6", "delete default/b@2",
        ])
        #expect(informer.indexer.keys() == ["default/a", "default/c", "default/d"])
        try await api.waitForOpenWatches(1)
        #expect(api.calls == [.list, .watch(after: "3"), .list, .watch(after: "6")])
        try await running.stop()
    }

    @Test func failedListsBackOffOnTheClockBeforeSyncing() async throws {
        let api = FakePodAPI()
        api.create(pod("a"))
        api.failLists(with: [APIError.unavailable("store down"), APIError.unavailable("store down")])
        let clock = ManualClock()
        let informer = Informer(api, clock: clock)
        let waiter = Task { try await informer.waitForSync() }
        let running = RunningInformer(informer)

        try await withDeadline { try await clock.waitForSleepers(1) }
        clock.advance(by: .milliseconds(799))
        #expect(clock.sleeperCount == 1)
        #expect(api.calls == [.list])
        clock.advance(by: .milliseconds(1))

        try await withDeadline { try await clock.waitForSleepers(1) }  // the second failure waits twice as long
        #expect(api.calls == [.list, .list])
        clock.advance(by: .milliseconds(1599))
        #expect(clock.sleeperCount == 1)
        #expect(!informer.hasSynced)
        clock.advance(by: .milliseconds(1))

        try await withDeadline { try await waiter.value }
        #expect(informer.indexer.keys() == ["default/a"])
        try await running.stop()
    }

    @Test func bookmarksMoveTheResumeVersionAndACleanEndRewatchesWithoutListing() async throws {
        let api = FakePodAPI()
        api.create(pod("a"))
        let informer = Informer(api, clock: ManualClock())
        let recorder = EventRecorder(informer)
        let running = RunningInformer(informer)
        try await withDeadline { try await informer.waitForSync() }
        try await api.waitForOpenWatches(1)

        api.advanceVersion(by: 5)  // other resources were written
        api.bookmark()
        try await waitUntil { informer.lastSyncResourceVersion == "6" }
        api.endWatches()
        try await api.waitForOpenWatches(1)

        #expect(api.calls == [.list, .watch(after: "1"), .watch(after: "6")])
        #expect(recorder.events == ["add default/a@1"])
        try await running.stop()
    }

    @Test func neitherAnUnchangedVersionNorADeleteOfAnUnknownObjectIsDelivered() async throws {
        let api = FakePodAPI()
        api.create(pod("a"))
        let informer = Informer(api, clock: ManualClock())
        let recorder = EventRecorder(informer)
        let running = RunningInformer(informer)
        try await withDeadline { try await informer.waitForSync() }
        try await api.waitForOpenWatches(1)

        api.emit(.modified(try #require(informer.indexer.get("default/a"))))
        api.emit(.deleted(pod("never-seen", version: "1")))
        api.create(pod("b"))  // delivered after the two above, so its arrival means they were handled
        #expect(try await recorder.waitFor(2) == ["add default/a@1", "add default/b@2"])
        try await running.stop()
    }

    @Test func resyncRedeliversEveryCachedObjectOnTheClock() async throws {
        let api = FakePodAPI()
        api.create(pod("a"))
        api.create(pod("b"))
        let clock = ManualClock()
        let informer = Informer(api, clock: clock, resyncPeriod: .seconds(30))
        let recorder = EventRecorder(informer)
        let running = RunningInformer(informer)
        try await withDeadline { try await informer.waitForSync() }

        try await withDeadline { try await clock.waitForSleepers(1) }
        clock.advance(by: .seconds(29))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        #expect(try await recorder.waitFor(4) == [
            "add default/a@1", "add default/b@2", "update default/a@1->1", "update default/b@2->2",
        ])

        try await withDeadline { try await clock.waitForSleepers(1) }
        clock.advance(by: .seconds(30))
        #expect(try await recorder.waitFor(6).suffix(2) == ["update default/a@1->1", "update default/b@2->2"])
        #expect(recorder.overlappingCalls == 0)
        try await running.stop()
    }

    @Test func waitForSyncEndsWhenItsTaskIsCancelled() async throws {
        let informer = Informer(FakePodAPI(), clock: ManualClock())
        let waiter = Task { try await informer.waitForSync() }
        waiter.cancel()
        let result = await waiter.result
        #expect(throws: CancellationError.self) { try result.get() }
    }

    @Test func customIndexesAreKeptByTheInformer() async throws {
        let api = FakePodAPI()
        api.create(pod("a", node: "node-1"))
        api.create(pod("b", node: "node-2"))
        let informer = Informer(api, indexes: [.byNode: { [$0.spec?.nodeName ?? ""] }], clock: ManualClock())
        let running = RunningInformer(informer)
        try await withDeadline { try await informer.waitForSync() }
        try await api.waitForOpenWatches(1)

        api.update("default/b") { $0.spec?.nodeName = "node-1" }
        try await waitUntil { informer.indexer.byIndex(.byNode, "node-1").count == 2 }
        #expect(informer.indexer.byIndex(.byNode, "node-2").isEmpty)
        try await running.stop()
    }
}
