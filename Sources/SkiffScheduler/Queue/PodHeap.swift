/// PodHeap: a binary heap of QueuedPods that also finds, updates and removes a pod by key in
/// O(log n), for the scheduling queue's active and backoff queues (client-go's `heap.Heap`).
/// The order is a plain integer triple computed once per insert, and each pod lives in a
/// reference slot, so sifting moves a few words instead of copying whole pods.
///
/// Concurrency: a plain value, owned by the queue's state under its lock. Must never: hold two
/// entries for one key.
import SkiffClient

struct PodHeap: Sendable {
    /// Where a pod goes: smaller comes out first.
    struct Order: Comparable, Sendable {
        var first: Int64
        var second: Int64
        var third: UInt64
        static func < (a: Order, b: Order) -> Bool { (a.first, a.second, a.third) < (b.first, b.second, b.third) }
    }

    private final class Slot: @unchecked Sendable {
        // Only the owning heap touches a slot, under the queue's lock.
        var pod: QueuedPod
        var order: Order
        var position: Int
        init(_ pod: QueuedPod, _ order: Order, _ position: Int) {
            self.pod = pod
            self.order = order
            self.position = position
        }
    }

    let order: @Sendable (QueuedPod) -> Order
    private var items: [Slot] = []
    private var slots: [ObjectKey: Slot] = [:]

    init(order: @escaping @Sendable (QueuedPod) -> Order) { self.order = order }

    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }
    var first: QueuedPod? { items.first?.pod }

    func contains(_ key: ObjectKey) -> Bool { slots[key] != nil }
    subscript(key: ObjectKey) -> QueuedPod? { slots[key]?.pod }

    /// Inserts the pod, or replaces the entry with its key and restores the order.
    mutating func upsert(_ pod: QueuedPod) {
        let newOrder = order(pod)
        if let slot = slots[pod.key] {
            slot.pod = pod
            slot.order = newOrder
            siftUp(siftDown(slot.position))
        } else {
            let slot = Slot(pod, newOrder, items.count)
            items.append(slot)
            slots[pod.key] = slot
            siftUp(items.count - 1)
        }
    }

    mutating func popFirst() -> QueuedPod? {
        guard let first = items.first?.pod else { return nil }
        remove(first.key)
        return first
    }

    @discardableResult
    mutating func remove(_ key: ObjectKey) -> QueuedPod? {
        guard let slot = slots.removeValue(forKey: key) else { return nil }
        let index = slot.position
        let last = items.removeLast()
        if index < items.count {
            items[index] = last
            last.position = index
            siftUp(siftDown(index))
        }
        return slot.pod
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        items.swapAt(a, b)
        items[a].position = a
        items[b].position = b
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].order < items[parent].order else { return }
            swapAt(child, parent)
            child = parent
        }
    }

    /// Moves the entry at `start` down to its place; returns where it ended.
    private mutating func siftDown(_ start: Int) -> Int {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var first = parent
            if left < items.count && items[left].order < items[first].order { first = left }
            if right < items.count && items[right].order < items[first].order { first = right }
            if first == parent { return parent }
            swapAt(parent, first)
            parent = first
        }
    }
}
