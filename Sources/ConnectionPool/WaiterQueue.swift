// First-in first-out queue of waiting requests with O(1) removal by id (tombstones skipped on pop).
import DequeModule

/// Requests waiting for a connection, served first-in first-out.
///
/// Removal by id (cancellation) is O(1): the id stays in the order deque as a tombstone
/// that `peek`/`popFirst` skip, and the deque is compacted when tombstones dominate.
struct WaiterQueue<Request, Instant: Comparable> {
    /// One waiting request.
    struct Waiter {
        let id: Int
        let kind: LeaseKind
        let request: Request
        let enqueuedAt: Instant
        let deadline: Instant
    }

    private var order: Deque<Int> = []
    private var live: [Int: Waiter] = [:]
    private var deadlines = DeadlineHeap<Instant>()
    /// Waiting shared requests.
    private(set) var sharedCount = 0
    /// Waiting exclusive requests.
    private(set) var exclusiveCount = 0

    var count: Int { live.count }
    var isEmpty: Bool { live.isEmpty }
    /// Earliest deadline still recorded (may belong to a waiter already gone).
    var earliestDeadline: Instant? { deadlines.min?.deadline }
    /// Ids in the order deque, tombstones included (for tests of compaction).
    var storedIDCount: Int { order.count }

    mutating func append(_ waiter: Waiter) {
        precondition(live.updateValue(waiter, forKey: waiter.id) == nil, "duplicate waiter id \(waiter.id)")
        order.append(waiter.id)
        deadlines.insert(waiter.deadline, id: waiter.id)
        adjustCounts(waiter.kind, by: 1)
    }

    /// The oldest waiting request, dropping tombstones in front of it.
    mutating func peek() -> Waiter? {
        while let id = order.first {
            if let waiter = live[id] { return waiter }
            order.removeFirst()
        }
        return nil
    }

    mutating func popFirst() -> Waiter? {
        guard let waiter = peek() else { return nil }
        order.removeFirst()
        forget(waiter)
        return waiter
    }

    /// Removes a waiter by id in O(1); `nil` when it is not waiting any more.
    mutating func remove(id: Int) -> Waiter? {
        guard let waiter = live[id] else { return nil }
        forget(waiter)
        if order.count > 64 && order.count > 2 * live.count {
            order = Deque(order.filter { live[$0] != nil })
        }
        return waiter
    }

    /// Removes and returns the waiters whose deadline is at or before `now`, earliest first.
    mutating func removeExpired(now: Instant) -> [Waiter] {
        var expired: [Waiter] = []
        while let top = deadlines.min, top.deadline <= now {
            _ = deadlines.popMin()
            if let waiter = live[top.id] {
                forget(waiter)
                expired.append(waiter)
            }
        }
        return expired
    }

    /// Removes every waiter, oldest first.
    mutating func removeAll() -> [Waiter] {
        var all: [Waiter] = []
        while let waiter = popFirst() { all.append(waiter) }
        return all
    }

    private mutating func forget(_ waiter: Waiter) {
        live[waiter.id] = nil
        adjustCounts(waiter.kind, by: -1)
        if live.isEmpty {
            order.removeAll(keepingCapacity: true)
            deadlines.removeAll()
        }
    }

    private mutating func adjustCounts(_ kind: LeaseKind, by delta: Int) {
        switch kind {
        case .shared: sharedCount += delta
        case .exclusive: exclusiveCount += delta
        }
    }
}

extension WaiterQueue: Sendable where Request: Sendable, Instant: Sendable {}
extension WaiterQueue.Waiter: Sendable where Request: Sendable, Instant: Sendable {}
