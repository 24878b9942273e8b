// Handing connections out at once (shared and exclusive) and taking them back.

extension PoolStateMachine {
    /// Tries to give a shared user a connection at once: the busiest usable connection that still carries fewer
    /// than `sharedUsersBeforeGrowing` users, else the least-loaded one below `maximumSharedUsers`; when every
    /// connection is at that cap, the user waits. A connection whose affinity is `local` (served by the caller's own
    /// thread) is chosen first while it carries fewer than `sharedUsersBeforeGrowing` users.
    ///
    /// Packing users onto few connections makes each pipelined batch bigger, which costs fewer round trips and
    /// fewer thread wake-ups than spreading them thinly. Allocates nothing when a connection is available and
    /// the pool need not grow.
    mutating func leaseShared(now: Instant, local: ObjectIdentifier? = nil) -> LeaseAttempt {
        leaseShared(clock: { now }, local: local)
    }

    /// ``leaseShared(now:local:)`` that reads the clock only when it needs the time (not on the fast path).
    mutating func leaseShared(clock now: () -> Instant, local: ObjectIdentifier?) -> LeaseAttempt {
        guard lifecycle == .running else { return .failed(.shutdown, Actions()) }
        var pick = SharedPick()
        var localPick = SharedPick()
        for i in slots.indices where slots[i].acceptsShared && slots[i].id != drainTargetID {
            pick.consider(i, users: slots[i].sharedUsers, configuration.connections)
            if let local, slots[i].affinity == local {
                localPick.consider(i, users: slots[i].sharedUsers, configuration.connections)
            }
        }
        // A connection of the caller's own thread wins while it is below the growth threshold; beyond it, the usual
        // rule spreads the load (and grows the pool) instead of piling everything onto one loop's connection.
        guard let chosen = localPick.packedChoice ?? pick.chosen else {
            return circuitOpen ? failFast(now: now()) : .mustWait
        }
        // Only a connection's first shared user moves it from idle to shared.
        if slots[chosen].sharedUsers > 0 { statisticsMayHaveChanged = false }
        slots[chosen].sharedUsers += 1
        let lease = Lease(slotID: slots[chosen].id, connection: slots[chosen].connection!)
        var actions = Actions()
        if pick.bestUsers >= configuration.connections.sharedUsersBeforeGrowing {
            growIfCrowded(now: now(), into: &actions)
            if !actions.create.isEmpty { statisticsMayHaveChanged = true }
        }
        return .leased(lease, actions)
    }

    /// Tries to give an exclusive holder a connection at once: one with no user at all.
    mutating func leaseExclusive(now: Instant) -> LeaseAttempt {
        guard lifecycle == .running else { return .failed(.shutdown, Actions()) }
        guard let i = slots.firstIndex(where: { $0.isIdle }) else {
            return circuitOpen ? failFast(now: now) : .mustWait
        }
        slots[i].leased = true
        return .leased(Lease(slotID: slots[i].id, connection: slots[i].connection!), Actions())
    }

    /// A shared user is done with the connection of `slotID`.
    mutating func releaseShared(slotID: Int, now: Instant) -> Actions {
        releaseShared(slotID: slotID, clock: { now })
    }

    /// ``releaseShared(slotID:now:)`` that reads the clock only when the connection became idle or waiters wait.
    mutating func releaseShared(slotID: Int, clock now: () -> Instant) -> Actions {
        guard let i = index(of: slotID), slots[i].sharedUsers > 0 else { return Actions() }
        slots[i].sharedUsers -= 1
        let nowIdle = slots[i].sharedUsers == 0
        guard nowIdle || !waiters.isEmpty else {
            statisticsMayHaveChanged = false
            return Actions()
        }
        return connectionFreed(at: i, now: now(), resetIdleClock: nowIdle)
    }

    /// The exclusive holder of the connection of `slotID` gives it back; one that is not `reusable` is closed (and
    /// replaced once it has closed).
    mutating func releaseExclusive(slotID: Int, reusable: Bool = true, now: Instant) -> Actions {
        guard let i = index(of: slotID), slots[i].leased else { return Actions() }
        slots[i].leased = false
        guard reusable || slots[i].phase != .open else {
            var actions = Actions()
            closeSlot(at: i, reason: .notReusable, into: &actions)
            return actions
        }
        return connectionFreed(at: i, now: now, resetIdleClock: true)
    }

    /// A connection has room again: serve waiters, or close it when shutting down, or start its idle clock.
    mutating func connectionFreed(at i: Int, now: Instant, resetIdleClock: Bool) -> Actions {
        var actions = Actions()
        guard slots[i].phase == .open else { return actions }
        guard lifecycle == .running else {
            if slots[i].isIdle {
                closeSlot(at: i, reason: .shutdown, into: &actions)
            }
            return actions
        }
        if !waiters.isEmpty {
            serveWaiters(at: i, now: now, into: &actions)
        }
        if slots[i].isIdle {
            if resetIdleClock { slots[i].idleSince = now }
            armMaintenanceTimer(at: i, now: now, into: &actions)
        }
        return actions
    }

    /// Marks a slot closing and asks the runner to close its connection.
    mutating func closeSlot(at i: Int, reason: CloseReason, into actions: inout Actions) {
        slots[i].phase = .closing
        if drainTargetID == slots[i].id { drainTargetID = nil }
        actions.close.append(Close(slotID: slots[i].id, connection: slots[i].connection!, reason: reason))
    }

    /// Fails a request at once because the circuit is open, starting a trial attempt if none runs.
    private mutating func failFast(now: Instant) -> LeaseAttempt {
        var actions = Actions()
        startTrialIfNeeded(now: now, into: &actions)
        let error = ConnectionPoolError.circuitOpen(errorContext(timeout: nil), lastConnectError: lastConnectError)
        return .failed(error, actions)
    }
}

/// The shared-lease choice among some connections: the busiest below the growth threshold, else the least loaded
/// below the hard cap.
struct SharedPick {
    private var best = -1
    private(set) var bestUsers = Int.max
    private var packed = -1
    private var packedUsers = -1

    mutating func consider(_ index: Int, users: Int, _ connections: ConnectionPoolConfiguration.Connections) {
        guard users < connections.maximumSharedUsers else { return }
        if users < bestUsers {
            best = index
            bestUsers = users
        }
        if users < connections.sharedUsersBeforeGrowing && users > packedUsers {
            packed = index
            packedUsers = users
        }
    }

    var chosen: Int? {
        if packed >= 0 { return packed }
        return best >= 0 ? best : nil
    }

    /// The busiest connection below the growth threshold, if any.
    var packedChoice: Int? { packed >= 0 ? packed : nil }
}
