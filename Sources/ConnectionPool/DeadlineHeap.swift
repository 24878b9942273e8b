// A binary min-heap of (deadline, waiter id) used to expire waiters in deadline order.

/// A min-heap of waiter deadlines; entries of waiters already gone are skipped by the caller.
struct DeadlineHeap<Instant: Comparable> {
    struct Entry {
        var deadline: Instant
        var id: Int
    }

    private(set) var entries: [Entry] = []

    var isEmpty: Bool { entries.isEmpty }
    var min: Entry? { entries.first }

    mutating func insert(_ deadline: Instant, id: Int) {
        entries.append(Entry(deadline: deadline, id: id))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(child, parent) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMin() -> Entry? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let top = entries.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < entries.count && less(left, smallest) { smallest = left }
            if right < entries.count && less(right, smallest) { smallest = right }
            guard smallest != parent else { break }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }

    mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        let x = entries[a]
        let y = entries[b]
        return x.deadline < y.deadline || (x.deadline == y.deadline && x.id < y.id)
    }
}

extension DeadlineHeap: Sendable where Instant: Sendable {}
extension DeadlineHeap.Entry: Sendable where Instant: Sendable {}
