// State machine tests: minimum connections, shared packing and growth, exclusive leases.
import Testing
@testable import ConnectionPool

@Suite("State machine: leasing")
struct PoolStateMachineLeasingTests {
    let clock = TestClock()

    @Test func startOpensTheMinimum() {
        var machine = makeMachine { $0.connections.minimum = 3 }
        #expect(machine.start(now: clock.now).create == [0, 1, 2])
        #expect(machine.statistics == PoolStatistics(connecting: 3))
        #expect(machine.start(now: clock.now).create.isEmpty, "pending attempts already count")
        for id in 0..<3 { _ = machine.open(id, at: clock.now) }
        #expect(machine.statistics == PoolStatistics(idle: 3))
    }

    @Test func sharedPacksUsersUpToTheThresholdThenGoesToTheLeastLoaded() {
        var machine = makeMachine {
            $0.connections.minimum = 2
            $0.connections.maximum = 2
            $0.connections.sharedUsersBeforeGrowing = 2
        }
        _ = machine.start(now: clock.now)
        _ = machine.open(0, at: clock.now)
        _ = machine.open(1, at: clock.now)
        // Fill one connection up to the threshold before using the next.
        #expect(machine.sharedSlot(at: clock.now) == 0)
        #expect(machine.sharedSlot(at: clock.now) == 0)
        #expect(machine.sharedSlot(at: clock.now) == 1)
        #expect(machine.sharedSlot(at: clock.now) == 1)
        // Every connection is at the threshold: the least loaded takes the next user.
        #expect(machine.sharedSlot(at: clock.now) == 0)
        #expect(machine.sharedSlot(at: clock.now) == 1)
        // slot 0 has 3 users, slot 1 has 3; two leave slot 0: it is below the threshold again, so it packs there.
        _ = machine.releaseShared(slotID: 0, now: clock.now)
        _ = machine.releaseShared(slotID: 0, now: clock.now)
        #expect(machine.sharedSlot(at: clock.now) == 0)
        #expect(machine.statistics == PoolStatistics(shared: 2))
    }

    @Test func sharedGrowsWhenEveryConnectionIsCrowdedButServesAtOnce() {
        var machine = makeMachine {
            $0.connections.sharedUsersBeforeGrowing = 2
            $0.connections.maximum = 2
        }
        _ = machine.start(now: clock.now)
        _ = machine.open(0, at: clock.now)
        var creates: [[Int]] = []
        for _ in 0..<4 {
            guard case .leased(let lease, let actions) = machine.leaseShared(now: clock.now) else {
                Issue.record("expected a lease")
                return
            }
            #expect(lease.slotID == 0)
            creates.append(actions.create)
        }
        // the third user found every connection at the threshold; the fourth found one pending
        #expect(creates == [[], [], [1], []])
        _ = machine.open(1, at: clock.now)
        #expect(machine.sharedSlot(at: clock.now) == 1)
        // at maximum: no more growth
        for _ in 0..<5 {
            if case .leased(_, let actions) = machine.leaseShared(now: clock.now) {
                #expect(actions.create.isEmpty)
            }
        }
    }

    @Test func sharedWaitsOnlyWhenNoConnectionIsUsable() {
        var machine = makeMachine()
        guard case .mustWait = machine.leaseShared(now: clock.now) else {
            Issue.record("expected to wait")
            return
        }
        let first = machine.enqueue("r1", id: 1, kind: .shared, now: clock.now)
        #expect(first.create == [0])
        #expect(first.timers == [PoolTimer(kind: .waiterDeadline, deadline: clock.at(.seconds(5)))])
        let second = machine.enqueue("r2", id: 2, kind: .shared, now: clock.now)
        #expect(second.create.isEmpty, "one connection serves every shared waiter")
        #expect(machine.statistics == PoolStatistics(connecting: 1, waiting: 2))
        #expect(machine.open(0, at: clock.now).served == ["r1@0", "r2@0"])
        #expect(machine.statistics == PoolStatistics(shared: 1))
    }

    @Test func exclusiveLeaseAndReturn() {
        var machine = makeMachine { $0.connections.maximum = 2 }
        _ = machine.start(now: clock.now)
        _ = machine.open(0, at: clock.now)
        #expect(machine.exclusiveSlot(at: clock.now) == 0)
        #expect(machine.statistics == PoolStatistics(leased: 1))
        // a leased connection takes no shared user
        guard case .mustWait = machine.leaseShared(now: clock.now) else {
            Issue.record("expected to wait")
            return
        }
        #expect(machine.enqueue("s1", id: 1, kind: .shared, now: clock.now).create == [1])
        #expect(machine.releaseExclusive(slotID: 0, now: clock.now).served == ["s1@0"])
        // slot 0 now has a shared user: an exclusive request waits for the pending slot 1
        #expect(machine.exclusiveSlot(at: clock.now) == nil)
        #expect(machine.enqueue("e2", id: 2, kind: .exclusive, now: clock.now).create.isEmpty)
        #expect(machine.open(1, at: clock.now).served == ["e2@1"])
        #expect(machine.statistics == PoolStatistics(leased: 1, shared: 1))
        #expect(machine.releaseExclusive(slotID: 1, now: clock.now).isEmpty == false, "arms idle timer")
        #expect(machine.releaseExclusive(slotID: 1, now: clock.now).isEmpty, "a second return is ignored")
        #expect(machine.exclusiveSlot(at: clock.now) == 1)
    }

    @Test func exclusiveWaiterDrainsABusyConnectionAtMaximum() {
        var machine = makeMachine { $0.connections.maximum = 1 }
        _ = machine.start(now: clock.now)
        _ = machine.open(0, at: clock.now)
        #expect(machine.sharedSlot(at: clock.now) == 0)
        #expect(machine.exclusiveSlot(at: clock.now) == nil)
        #expect(machine.enqueue("e1", id: 1, kind: .exclusive, now: clock.now).create.isEmpty)
        #expect(machine.drainTargetID == 0)
        // new shared users queue behind the exclusive waiter instead of starving it
        #expect(machine.sharedSlot(at: clock.now) == nil)
        _ = machine.enqueue("s2", id: 2, kind: .shared, now: clock.now)
        #expect(machine.releaseShared(slotID: 0, now: clock.now).served == ["e1@0"])
        #expect(machine.drainTargetID == nil)
        #expect(machine.releaseExclusive(slotID: 0, now: clock.now).served == ["s2@0"])
    }
}

@Suite("State machine: back-pressure and reuse")
struct PoolStateMachineBackPressureTests {
    let clock = TestClock()

    @Test func sharedUsersBeyondTheHardCapWaitAndAreServedWhenOneLeaves() {
        var machine = makeMachine {
            $0.connections.maximum = 1
            $0.connections.sharedUsersBeforeGrowing = 2
            $0.connections.maximumSharedUsers = 2
        }
        _ = machine.start(now: clock.now)
        _ = machine.open(0, at: clock.now)
        #expect(machine.sharedSlot(at: clock.now) == 0)
        #expect(machine.sharedSlot(at: clock.now) == 0)
        guard case .mustWait = machine.leaseShared(now: clock.now) else {
            Issue.record("a third user must wait: the connection carries its hard cap")
            return
        }
        _ = machine.enqueue("s7", id: 7, kind: .shared, now: clock.now)
        let actions = machine.releaseShared(slotID: 0, now: clock.now)
        #expect(actions.served == ["s7@0"])
    }

    @Test func anExclusiveLeaseThatIsNotReusableIsClosedAndReplaced() {
        var machine = makeMachine { $0.connections.minimum = 1 }
        _ = machine.start(now: clock.now)
        _ = machine.open(0, at: clock.now)
        guard case .leased(let lease, _) = machine.leaseExclusive(now: clock.now) else {
            Issue.record("expected a lease")
            return
        }
        let released = machine.releaseExclusive(slotID: lease.slotID, reusable: false, now: clock.now)
        #expect(released.close.map(\.slotID) == [0])
        #expect(released.close.first?.reason == .notReusable)
        let closed = machine.connectionClosed(slotID: 0, error: nil, now: clock.now)
        #expect(closed.create.count == 1, "the minimum is restored")
    }
}

@Suite("State machine: thread affinity")
struct PoolStateMachineAffinityTests {
    let clock = TestClock()

    @Test func sharedUsersGetAConnectionOfTheirOwnThreadFirst() {
        var machine = makeMachine { $0.connections.minimum = 2 }
        _ = machine.start(now: clock.now)
        let (a, b) = (Flag(), Flag())   // two live objects: two distinct identities
        let (loopA, loopB) = (ObjectIdentifier(a), ObjectIdentifier(b))
        _ = machine.connectSucceeded(slotID: 0, connection: TestConnection(id: 0), affinity: loopA, now: clock.now)
        _ = machine.connectSucceeded(slotID: 1, connection: TestConnection(id: 1), affinity: loopB, now: clock.now)
        #expect(machine.sharedSlot(at: clock.now) == 0, "without affinity users pack onto the first connection")
        let local = machine.leaseShared(now: clock.now, local: loopB)
        guard case .leased(let lease, _) = local else {
            Issue.record("expected a lease")
            return
        }
        #expect(lease.slotID == 1, "the caller's own connection wins over packing")
        withExtendedLifetime((a, b)) {}
    }
}
