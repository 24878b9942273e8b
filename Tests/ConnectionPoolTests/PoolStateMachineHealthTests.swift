// State machine tests: eviction and replacement, back-off schedule with deterministic jitter, circuit breaker.
import Testing
@testable import ConnectionPool

@Suite("State machine: health")
struct PoolStateMachineHealthTests {
    @Test func brokenConnectionIsEvictedAndReplaced() {
        let now = TestInstant.origin
        var machine = makeMachine()
        _ = machine.start(now: now)
        _ = machine.open(0, at: now)
        #expect(machine.sharedSlot(at: now) == 0)
        let closed = machine.connectionClosed(slotID: 0, error: TestError(text: "reset by peer"), now: now)
        #expect(closed.create == [1], "below the minimum: replaced at once")
        #expect(machine.statistics == PoolStatistics(connecting: 1))
        #expect(machine.releaseShared(slotID: 0, now: now).isEmpty, "the user of the evicted connection is ignored")
        #expect(machine.sharedSlot(at: now) == nil)
    }

    @Test func backoffGrowsExponentiallyUpToTheMaximum() {
        var clock = TestClock()
        var machine = makeMachine { $0.circuitBreaker.openAfter = .seconds(3600) }
        _ = machine.start(now: clock.now)
        _ = machine.open(0, at: clock.now)
        // A second connection that keeps failing while the first is open: the back-off is not capped by the probe
        // interval (the server answers; this is not an outage).
        guard case .leased = machine.leaseExclusive(now: clock.now) else { Issue.record("expected a lease"); return }
        #expect(machine.enqueue("e", id: 1, kind: .exclusive, now: clock.now).create == [1])
        let expected: [Duration] = [
            .milliseconds(50), .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800),
            .milliseconds(1600), .milliseconds(3200), .seconds(5), .seconds(5),
        ]
        for delay in expected {
            let failed = machine.connectFailed(slotID: 1, error: TestError(), now: clock.now)
            #expect(failed.timers == [PoolTimer(kind: .backoff(slotID: 1), deadline: clock.now.advanced(by: delay))])
            clock.advance(by: delay)
            #expect(machine.timerFired(failed.timers[0], now: clock.now).create == [1])
        }
        // success resets the schedule
        _ = machine.open(1, at: clock.now)
        _ = machine.connectionClosed(slotID: 1, error: TestError(), now: clock.now)
        #expect(machine.enqueue("e2", id: 2, kind: .exclusive, now: clock.now).create == [2])
        let again = machine.connectFailed(slotID: 2, error: TestError(), now: clock.now)
        #expect(again.timers.map(\.deadline) == [clock.now.advanced(by: .milliseconds(50))])
    }

    @Test func jitterComesFromTheInjectedSource() {
        for (unit, delay) in [(0.0, Duration.milliseconds(40)), (0.5, .milliseconds(50)), (1.0, .milliseconds(60))] {
            var machine = makeMachine(jitter: unit)
            _ = machine.start(now: .origin)
            let failed = machine.connectFailed(slotID: 0, error: TestError(), now: .origin)
            #expect(failed.timers.map(\.deadline) == [TestInstant.origin.advanced(by: delay)])
        }
    }

    @Test func failedGrowthAttemptIsDroppedWhenNotNeeded() {
        let now = TestInstant.origin
        var machine = makeMachine { $0.connections.sharedUsersBeforeGrowing = 1 }
        _ = machine.start(now: now)
        _ = machine.open(0, at: now)
        _ = machine.leaseShared(now: now)
        guard case .leased(_, let grow) = machine.leaseShared(now: now) else {
            Issue.record("expected a lease")
            return
        }
        #expect(grow.create == [1])
        let failed = machine.connectFailed(slotID: 1, error: TestError(), now: now)
        #expect(failed.timers.isEmpty)
        #expect(machine.slots.map(\.id) == [0])
    }

    @Test func circuitOpensAfterFailingForOpenAfterFailsFastProbesOftenAndClosesOnSuccess() throws {
        var clock = TestClock()
        var machine = makeMachine { $0.timeouts.leaseTimeout = .seconds(30) }
        _ = machine.start(now: clock.now)
        #expect(machine.enqueue("w1", id: 1, kind: .shared, now: clock.now).create.isEmpty)

        // Refused at once, again and again: waiters keep waiting until the server has been unreachable for 500 ms.
        var failed = machine.connectFailed(slotID: 0, error: TestError(), now: clock.now)
        var delays: [Duration] = []
        while failed.circuit == nil {
            #expect(failed.failed.isEmpty, "waiters keep waiting while the circuit is closed")
            let deadline = failed.timers[0].deadline
            delays.append(clock.now.duration(to: deadline))
            clock.advance(to: deadline)
            #expect(machine.timerFired(failed.timers[0], now: clock.now).create == [0])
            failed = machine.connectFailed(slotID: 0, error: TestError(), now: clock.now)
        }
        #expect(delays == [.milliseconds(50)] + Array(repeating: .milliseconds(100), count: 5),
                "attempts are capped at the probe interval while nothing is open")
        #expect(failed.circuit == .opened(failures: 7), "550 ms after the first attempt started")
        #expect(failed.failed == ["w1"])
        let error = try #require(failed.failures.first)
        #expect(error == .circuitOpen)
        #expect(error.underlying as? TestError == TestError())
        #expect(error.description.contains("7 consecutive connection attempts failed"))
        #expect(error.description.contains("last connection error: connection refused"))
        #expect(failed.timers.map(\.kind) == [.backoff(slotID: 0)], "the trial attempt keeps retrying")

        // new requests fail at once instead of hanging; the trial is already pending
        guard case .failed(let shared, let sharedActions) = machine.leaseShared(now: clock.now) else {
            Issue.record("expected fail-fast")
            return
        }
        #expect(shared == .circuitOpen)
        #expect(sharedActions.create.isEmpty)
        guard case .failed(let exclusive, _) = machine.leaseExclusive(now: clock.now) else {
            Issue.record("expected fail-fast")
            return
        }
        #expect(exclusive == .circuitOpen)
        #expect(machine.enqueue("w2", id: 2, kind: .exclusive, now: clock.now).failed == ["w2"])

        // half-open: one trial every probe interval; it fails again, the circuit stays open
        clock.advance(to: failed.timers[0].deadline)
        #expect(machine.timerFired(failed.timers[0], now: clock.now).create == [0])
        failed = machine.connectFailed(slotID: 0, error: TestError(), now: clock.now)
        #expect(failed.circuit == nil)
        #expect(failed.timers.map(\.deadline) == [clock.now.advanced(by: .milliseconds(100))])
        clock.advance(to: failed.timers[0].deadline)
        #expect(machine.timerFired(failed.timers[0], now: clock.now).create == [0])

        // the first success closes the circuit
        #expect(machine.open(0, at: clock.now).circuit == .closed)
        #expect(machine.sharedSlot(at: clock.now) == 0)
    }

    @Test func anAttemptThatHangsOpensTheCircuitWhenItFails() {
        var clock = TestClock()
        var machine = makeMachine()
        _ = machine.start(now: clock.now)
        #expect(machine.enqueue("w1", id: 1, kind: .shared, now: clock.now).create.isEmpty)
        // A frozen server: the one attempt times out after 2 s; the server has been unreachable since it started.
        clock.advance(by: .seconds(2))
        let failed = machine.connectFailed(slotID: 0, error: TestError(text: "connect timeout"), now: clock.now)
        #expect(failed.circuit == .opened(failures: 1))
        #expect(failed.failed == ["w1"])
    }

    @Test func openCircuitKeepsExactlyOneTrialAttempt() {
        let now = TestInstant.origin
        var machine = makeMachine {
            $0.connections.minimum = 0
            $0.connections.maximum = 3
        }
        var creates: [Int] = []
        for id in 1...3 {
            creates += machine.enqueue("e\(id)", id: id, kind: .exclusive, now: now).create
        }
        #expect(creates == [0, 1, 2])
        let first = machine.connectFailed(slotID: 0, error: TestError(), now: now)
        let second = machine.connectFailed(slotID: 1, error: TestError(), now: now)
        let third = machine.connectFailed(slotID: 2, error: TestError(), now: now.advanced(by: .seconds(1)))
        #expect(third.circuit == .opened(failures: 3))
        #expect(third.failed == ["e1", "e2", "e3"])
        #expect(third.timers.isEmpty, "other attempts are pending: this one is dropped")
        #expect(machine.timerFired(first.timers[0], now: now).create.isEmpty, "dropped: slot 1 is still pending")
        #expect(machine.timerFired(second.timers[0], now: now).create == [1])
        #expect(machine.slots.map(\.id) == [1])
    }

    @Test func closingTheCircuitRestoresTheMinimum() {
        let now = TestInstant.origin
        var machine = makeMachine {
            $0.connections.minimum = 3
            $0.circuitBreaker.openAfter = .zero
        }
        #expect(machine.start(now: now).create == [0, 1, 2])
        let first = machine.connectFailed(slotID: 0, error: TestError(), now: now)
        #expect(first.circuit == .opened(failures: 1))
        #expect(first.timers.isEmpty, "other attempts are pending: this one is dropped")
        _ = machine.connectFailed(slotID: 1, error: TestError(), now: now)
        let third = machine.connectFailed(slotID: 2, error: TestError(), now: now)
        #expect(third.timers.map(\.kind) == [.backoff(slotID: 2)], "the one trial attempt")
        #expect(machine.timerFired(third.timers[0], now: now).create == [2])
        #expect(machine.slots.map(\.id) == [2])
        let recovered = machine.open(2, at: now)
        #expect(recovered.circuit == .closed)
        #expect(recovered.create.count == 2, "back to the minimum of 3")
    }

    @Test func circuitStaysClosedWhileAConnectionIsOpen() {
        let now = TestInstant.origin
        var machine = makeMachine {
            $0.connections.minimum = 2
            $0.circuitBreaker.openAfter = .zero
        }
        _ = machine.start(now: now)
        _ = machine.open(0, at: now)
        for _ in 0..<5 {
            let failed = machine.connectFailed(slotID: 1, error: TestError(), now: now)
            #expect(failed.circuit == nil)
            _ = machine.timerFired(failed.timers[0], now: now)
        }
        #expect(machine.circuitOpen == false)
        #expect(machine.sharedSlot(at: now) == 0)
    }
}

@Suite("State machine: breaker timing")
struct PoolStateMachineBreakerTimingTests {
    @Test func failuresWhileAConnectionIsOpenDoNotStartTheOutageClock() {
        var clock = TestClock()
        var machine = makeMachine { $0.connections.minimum = 2 }
        _ = machine.start(now: clock.now)
        _ = machine.open(0, at: clock.now)
        // A growth attempt fails while connection 0 is open (say, maxclients): no outage.
        _ = machine.connectFailed(slotID: 1, error: TestError(), now: clock.now)
        #expect(machine.failingSince == nil)
        // Hours later the last connection is lost and the first reconnect is refused: the circuit stays closed.
        clock.advance(by: .seconds(3 * 3600))
        let closed = machine.connectionClosed(slotID: 0, error: TestError(), now: clock.now)
        let slot = closed.create.first ?? 1
        let refused = machine.connectFailed(slotID: slot, error: TestError(), now: clock.now)
        #expect(refused.circuit == nil, "the server has been unreachable for 0 ms, not for hours")
    }
}
