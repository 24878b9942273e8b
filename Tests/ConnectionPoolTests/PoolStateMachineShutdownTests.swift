// State machine tests: graceful shutdown (refuse, fail waiters, drain, close all) and forced shutdown.
import Testing
@testable import ConnectionPool

@Suite("State machine: shutdown")
struct PoolStateMachineShutdownTests {
    let now = TestInstant.origin

    @Test func gracefulShutdownDrainsInFlightUsesThenClosesEverything() {
        var machine = makeMachine {
            $0.connections.minimum = 3
            $0.connections.maximum = 3
        }
        _ = machine.start(now: now)
        for id in 0..<3 { _ = machine.open(id, at: now) }
        #expect(machine.sharedSlot(at: now) == 0)
        #expect(machine.exclusiveSlot(at: now) == 1)
        #expect(machine.exclusiveSlot(at: now) == 2)
        _ = machine.enqueue("e1", id: 1, kind: .exclusive, now: now)

        let shutdown = machine.shutdown(now: now)
        #expect(shutdown.failed == ["e1"])
        #expect(shutdown.failures == [.shutdown])
        #expect(shutdown.close.isEmpty, "every connection is in use")
        #expect(shutdown.finished == false)
        guard case .failed(let refused, _) = machine.leaseShared(now: now) else {
            Issue.record("expected refusal")
            return
        }
        #expect(refused == .shutdown)
        #expect(machine.enqueue("late", id: 2, kind: .exclusive, now: now).failures == [.shutdown])

        #expect(machine.releaseShared(slotID: 0, now: now).closed == [0])
        #expect(machine.releaseExclusive(slotID: 1, now: now).closed == [1])
        #expect(machine.releaseExclusive(slotID: 2, now: now).closed == [2])
        #expect(machine.connectionClosed(slotID: 0, error: nil, now: now).finished == false)
        #expect(machine.connectionClosed(slotID: 2, error: nil, now: now).finished == false)
        #expect(machine.connectionClosed(slotID: 1, error: nil, now: now).finished)
        #expect(machine.lifecycle == .shutDown)
        #expect(machine.shutdown(now: now).isEmpty, "shutting down twice does nothing")
    }

    @Test func shutdownClosesIdleAtOnceDropsBackoffAndClosesLateConnections() {
        var machine = makeMachine { $0.connections.minimum = 3 }
        _ = machine.start(now: now)
        _ = machine.open(0, at: now)
        _ = machine.connectFailed(slotID: 1, error: TestError(), now: now)
        let shutdown = machine.shutdown(now: now)
        #expect(shutdown.closed == [0])
        #expect(machine.slots.map(\.id) == [0, 2], "the backing-off slot is gone")
        #expect(machine.open(2, at: now).closed == [2], "a connection that opens during shutdown is closed")
        #expect(machine.connectionClosed(slotID: 0, error: nil, now: now).finished == false)
        #expect(machine.connectionClosed(slotID: 2, error: nil, now: now).finished)
    }

    @Test func keepAliveInFlightDelaysShutdownUntilItEnds() {
        var machine = makeMachine()
        _ = machine.start(now: now)
        let armed = machine.open(0, at: now)
        _ = machine.timerFired(armed.timers[0], now: now.advanced(by: .seconds(30)))
        #expect(machine.shutdown(now: now).close.isEmpty)
        #expect(machine.keepAliveSucceeded(slotID: 0, now: now).closed == [0])
    }

    @Test func forcedShutdownClosesBusyConnectionsToo() {
        var machine = makeMachine { $0.connections.minimum = 3 }
        _ = machine.start(now: now)
        _ = machine.open(0, at: now)
        _ = machine.open(1, at: now)
        #expect(machine.sharedSlot(at: now) == 0)
        #expect(machine.exclusiveSlot(at: now) == 1)
        let forced = machine.forceShutdown()
        #expect(forced.closed.sorted() == [0, 1])
        #expect(forced.finished)
        #expect(machine.releaseShared(slotID: 0, now: now).isEmpty)
        #expect(machine.open(2, at: now).closed == [2], "the attempt in flight is closed when it lands")
        #expect(machine.forceShutdown().isEmpty)
    }
}
