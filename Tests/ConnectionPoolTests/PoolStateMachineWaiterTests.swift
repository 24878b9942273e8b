// State machine tests: FIFO waiters, deadlines with a hand-advanced clock, O(1) cancellation.
import Testing
@testable import ConnectionPool

@Suite("State machine: waiters")
struct PoolStateMachineWaiterTests {
    /// A machine with one connection, exclusively leased, so every request waits.
    func busyMachine(_ configure: (inout ConnectionPoolConfiguration) -> Void = { _ in }) -> TestMachine {
        var machine = makeMachine {
            $0.connections.maximum = 1
            configure(&$0)
        }
        _ = machine.start(now: .origin)
        _ = machine.open(0, at: .origin)
        _ = machine.leaseExclusive(now: .origin)
        return machine
    }

    @Test func waitersAreServedFirstInFirstOut() {
        var machine = busyMachine()
        let now = TestInstant.origin
        _ = machine.enqueue("e1", id: 1, kind: .exclusive, now: now)
        _ = machine.enqueue("e2", id: 2, kind: .exclusive, now: now)
        _ = machine.enqueue("s3", id: 3, kind: .shared, now: now)
        _ = machine.enqueue("s4", id: 4, kind: .shared, now: now)
        _ = machine.enqueue("e5", id: 5, kind: .exclusive, now: now)
        #expect(machine.releaseExclusive(slotID: 0, now: now).served == ["e1@0"])
        #expect(machine.releaseExclusive(slotID: 0, now: now).served == ["e2@0"])
        #expect(machine.releaseExclusive(slotID: 0, now: now).served == ["s3@0", "s4@0"])
        #expect(machine.releaseShared(slotID: 0, now: now).served.isEmpty)
        #expect(machine.releaseShared(slotID: 0, now: now).served == ["e5@0"])
    }

    @Test func waitersFailAtTheirDeadline() throws {
        var clock = TestClock()
        var machine = busyMachine { $0.timeouts.leaseTimeout = .milliseconds(1500) }
        let first = machine.enqueue("w1", id: 1, kind: .exclusive, now: clock.now)
        #expect(first.timers == [PoolTimer(kind: .waiterDeadline, deadline: clock.at(.milliseconds(1500)))])
        clock.advance(by: .seconds(1))
        #expect(machine.enqueue("w2", id: 2, kind: .exclusive, now: clock.now).timers.isEmpty,
                "a later deadline waits for the earlier timer")
        let override = machine.enqueue("w3", id: 3, kind: .shared, timeout: .milliseconds(200), now: clock.now)
        #expect(override.timers == [PoolTimer(kind: .waiterDeadline, deadline: clock.at(.milliseconds(1200)))])

        clock.advance(to: clock.at(.milliseconds(1200)))
        let atW3 = machine.timerFired(override.timers[0], now: clock.now)
        #expect(atW3.failed == ["w3"])
        #expect(atW3.failures == [.leaseTimeout])
        #expect(atW3.failures.first?.description.hasPrefix(
            "no connection within 200ms (1 of 1 connections busy, 3 waiting)") == true)
        #expect(atW3.timers == [PoolTimer(kind: .waiterDeadline, deadline: clock.at(.milliseconds(1500)))])

        clock.advance(to: clock.at(.milliseconds(1500)))
        let atW1 = machine.timerFired(first.timers[0], now: clock.now)
        #expect(atW1.failed == ["w1"])
        let message = try #require(atW1.failures.first).description
        #expect(message.hasPrefix("no connection within 1.5s (1 of 1 connections busy, 2 waiting)"))
        #expect(atW1.timers == [PoolTimer(kind: .waiterDeadline, deadline: clock.at(.milliseconds(2500)))])
        // the duplicate timer at 1.5 s finds nothing to do and schedules nothing
        #expect(machine.timerFired(first.timers[0], now: clock.now).isEmpty)
        #expect(machine.statistics.waiting == 1)
    }

    @Test func cancellingAWaiterRemovesOnlyIt() {
        var machine = busyMachine()
        let now = TestInstant.origin
        for (id, name) in [(1, "a"), (2, "b"), (3, "c")] {
            _ = machine.enqueue(name, id: id, kind: .exclusive, now: now)
        }
        #expect(machine.cancelWaiter(id: 2) == "b")
        #expect(machine.cancelWaiter(id: 2) == nil, "cancelling twice finds nothing")
        #expect(machine.cancelWaiter(id: 99) == nil)
        #expect(machine.statistics.waiting == 2)
        #expect(machine.releaseExclusive(slotID: 0, now: now).served == ["a@0"])
        #expect(machine.releaseExclusive(slotID: 0, now: now).served == ["c@0"])
        #expect(machine.cancelWaiter(id: 1) == nil, "served waiters cannot be cancelled")
    }

    @Test func cancellationLeavesTombstonesThatAreCompacted() {
        var machine = busyMachine()
        let now = TestInstant.origin
        for id in 0..<1_000 {
            _ = machine.enqueue("w\(id)", id: id, kind: .exclusive, now: now)
        }
        for id in 1..<1_000 {
            #expect(machine.cancelWaiter(id: id) == "w\(id)")
        }
        #expect(machine.waiters.count == 1)
        #expect(machine.waiters.storedIDCount <= 65, "tombstones do not pile up")
        #expect(machine.releaseExclusive(slotID: 0, now: now).served == ["w0@0"])
        #expect(machine.waiters.storedIDCount == 0)
    }

    @Test func sharedWaitersGoBehindAnExclusiveHead() {
        var machine = busyMachine()
        let now = TestInstant.origin
        _ = machine.enqueue("s1", id: 1, kind: .shared, now: now)
        _ = machine.enqueue("e2", id: 2, kind: .exclusive, now: now)
        _ = machine.enqueue("s3", id: 3, kind: .shared, now: now)
        // s1 takes the connection, e2 needs it alone and blocks s3 (no overtaking)
        #expect(machine.releaseExclusive(slotID: 0, now: now).served == ["s1@0"])
        #expect(machine.releaseShared(slotID: 0, now: now).served == ["e2@0"])
        #expect(machine.releaseExclusive(slotID: 0, now: now).served == ["s3@0"])
    }

    /// The case behind an intermittent test hang: a waiter's deadline passes while the connection it asked for is
    /// still being opened. The waiter fails with a clear error, and the connection that arrives late is kept for
    /// the next request, neither handed to the failed waiter nor leaked.
    @Test func waiterFailsAtItsDeadlineWhileItsConnectionIsStillOpening() throws {
        var clock = TestClock()
        var machine = makeMachine {
            $0.connections.minimum = 1
            $0.connections.maximum = 2
            $0.timeouts.leaseTimeout = .milliseconds(200)
        }
        _ = machine.start(now: clock.now)
        _ = machine.open(0, at: clock.now)
        #expect(machine.exclusiveSlot(at: clock.now) == 0)
        let waiting = machine.enqueue("w1", id: 1, kind: .exclusive, now: clock.now)
        #expect(waiting.create == [1], "the waiter asks for a second connection")
        let deadline = try #require(waiting.timers.first)

        clock.advance(by: .milliseconds(200))
        let expired = machine.timerFired(deadline, now: clock.now)
        #expect(expired.failed == ["w1"])
        #expect(expired.failures == [.leaseTimeout])
        #expect(machine.statistics == PoolStatistics(leased: 1, connecting: 1))

        clock.advance(by: .milliseconds(300))
        let late = machine.open(1, at: clock.now)
        #expect(late.served.isEmpty)
        #expect(late.close.isEmpty)
        #expect(machine.statistics == PoolStatistics(leased: 1, idle: 1))
        #expect(machine.exclusiveSlot(at: clock.now) == 1, "the late connection serves the next request")
    }
}
