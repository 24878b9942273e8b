// State machine tests: keep-alive scheduling and closing idle connections above the minimum.
import Testing
@testable import ConnectionPool

@Suite("State machine: maintenance")
struct PoolStateMachineMaintenanceTests {
    @Test func idleConnectionsAboveTheMinimumAreClosed() {
        var clock = TestClock()
        var machine = makeMachine {
            $0.connections.maximum = 2
            $0.connections.sharedUsersBeforeGrowing = 1
            $0.timeouts.keepAliveInterval = nil
        }
        _ = machine.start(now: clock.now)
        #expect(machine.open(0, at: clock.now).timers == [PoolTimer(kind: .maintenance(slotID: 0), deadline: clock.at(.seconds(60)))])
        _ = machine.leaseShared(now: clock.now)
        guard case .leased(_, let grow) = machine.leaseShared(now: clock.now) else {
            Issue.record("expected a lease")
            return
        }
        #expect(grow.create == [1])
        let slot1Timer = machine.open(1, at: clock.now).timers
        #expect(slot1Timer == [PoolTimer(kind: .maintenance(slotID: 1), deadline: clock.at(.seconds(60)))])

        clock.advance(by: .seconds(10))
        _ = machine.releaseShared(slotID: 0, now: clock.now)
        #expect(machine.releaseShared(slotID: 0, now: clock.now).timers.isEmpty, "timer already armed")

        clock.advance(to: clock.at(.seconds(60)))
        let slot0 = machine.timerFired(PoolTimer(kind: .maintenance(slotID: 0), deadline: clock.now), now: clock.now)
        #expect(slot0.close.isEmpty, "idle for only 50 s")
        #expect(slot0.timers == [PoolTimer(kind: .maintenance(slotID: 0), deadline: clock.at(.seconds(70)))])
        let slot1 = machine.timerFired(slot1Timer[0], now: clock.now)
        #expect(slot1.closed == [1])
        #expect(slot1.close.first?.reason == .idleTimeout)
        #expect(machine.connectionClosed(slotID: 1, error: nil, now: clock.now).create.isEmpty,
                "a connection the pool closed is not replaced")

        clock.advance(to: clock.at(.seconds(70)))
        let atMinimum = machine.timerFired(slot0.timers[0], now: clock.now)
        #expect(atMinimum.isEmpty, "the minimum stays open")
        #expect(machine.statistics == PoolStatistics(idle: 1))
    }

    @Test func keepAliveRunsOnIdleConnectionsAndIsRescheduled() {
        var clock = TestClock()
        var machine = makeMachine()
        _ = machine.start(now: clock.now)
        let armed = machine.open(0, at: clock.now)
        #expect(armed.timers == [PoolTimer(kind: .maintenance(slotID: 0), deadline: clock.at(.seconds(30)))])
        clock.advance(by: .seconds(30))
        let fired = machine.timerFired(armed.timers[0], now: clock.now)
        #expect(fired.keepAlive.map(\.slotID) == [0])
        let done = machine.keepAliveSucceeded(slotID: 0, now: clock.now)
        #expect(done.timers == [PoolTimer(kind: .maintenance(slotID: 0), deadline: clock.at(.seconds(60)))])
        clock.advance(by: .seconds(30))
        // idle 60 s, but the only connection is the minimum: checked again instead of closed
        #expect(machine.timerFired(done.timers[0], now: clock.now).keepAlive.map(\.slotID) == [0])
    }

    @Test func connectionIsNotHandedOutDuringKeepAlive() {
        var clock = TestClock()
        var machine = makeMachine()
        _ = machine.start(now: clock.now)
        let armed = machine.open(0, at: clock.now)
        clock.advance(by: .seconds(30))
        _ = machine.timerFired(armed.timers[0], now: clock.now)
        #expect(machine.sharedSlot(at: clock.now) == nil)
        #expect(machine.exclusiveSlot(at: clock.now) == nil)
        #expect(machine.enqueue("s1", id: 1, kind: .shared, now: clock.now).create.isEmpty,
                "the checked connection is free in a moment: no new connection")
        #expect(machine.keepAliveSucceeded(slotID: 0, now: clock.now).served == ["s1@0"])
    }

    @Test func busyConnectionSkipsKeepAliveAndRearmsWhenIdle() {
        var clock = TestClock()
        var machine = makeMachine()
        _ = machine.start(now: clock.now)
        let armed = machine.open(0, at: clock.now)
        clock.advance(by: .seconds(10))
        #expect(machine.sharedSlot(at: clock.now) == 0)
        clock.advance(by: .seconds(20))
        #expect(machine.timerFired(armed.timers[0], now: clock.now).isEmpty)
        clock.advance(by: .seconds(10))
        let released = machine.releaseShared(slotID: 0, now: clock.now)
        #expect(released.timers == [PoolTimer(kind: .maintenance(slotID: 0), deadline: clock.at(.seconds(70)))])
    }

    @Test func failedKeepAliveClosesAndReplacesTheConnection() {
        var clock = TestClock()
        var machine = makeMachine()
        _ = machine.start(now: clock.now)
        let armed = machine.open(0, at: clock.now)
        clock.advance(by: .seconds(30))
        _ = machine.timerFired(armed.timers[0], now: clock.now)
        let failed = machine.keepAliveFailed(slotID: 0, now: clock.now)
        #expect(failed.closed == [0])
        #expect(failed.close.first?.reason == .keepAliveFailed)
        #expect(failed.create == [1])
        #expect(machine.connectionClosed(slotID: 0, error: nil, now: clock.now).isEmpty)
    }
}
