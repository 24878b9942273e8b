// Handing connections out at once (shared and exclusive) and taking them back.

extension PoolStateMachine {
    /// Tries to give a shared user a connection at once: the busiest usable connection that still carries fewer
    /// than `sharedUsersBeforeGrowing` users, else the least-loaded one below `maximumSharedUsers`; when every
    /// connection is at that cap, the user waits.
    ///
    /// Packing users onto few connections makes each pipelined batch bigger, which costs fewer round trips and
    /// fewer thread wake-ups than spreading them thinly. Allocates nothing when a connection is available and
    /// the pool need not grow.
    mutating func leaseShared(now: Instant) -> LeaseAttempt {
        guard lifecycle == .running else { return .failed(.shutdown, Actions()) }
        let threshold = configuration.connections.sharedUsersBeforeGrowing
        let cap = configuration.connections.maximumSharedUsers
        var best = -1
        var bestUsers = Int.max
        var packed = -1
        var packedUsers = -1
        for i in slots.indices where slots[i].acceptsShared && slots[i].id != drainTargetID && slots[i].sharedUsers < cap {
            let users = slots[i].sharedUsers
            if users < bestUsers {
                best = i
                bestUsers = users
            }
            if users < threshold && users > packedUsers {
                packed = i
                packedUsers = users
            }
        }
        guard best >= 0 else {
            return circuitOpen ? failFast(now: now) : .mustWait
        }
        let chosen = packed >= 0 ? packed : best
        slots[chosen].sharedUsers += 1
        let lease = Lease(slotID: slots[chosen].id, connection: slots[chosen].connection!)
        var actions = Actions()
        if bestUsers >= configuration.connections.sharedUsersBeforeGrowing {
            growIfCrowded(now: now, into: &actions)
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
        guard let i = index(of: slotID), slots[i].sharedUsers > 0 else { return Actions() }
        slots[i].sharedUsers -= 1
        let nowIdle = slots[i].sharedUsers == 0
        guard nowIdle || !waiters.isEmpty else { return Actions() }
        return connectionFreed(at: i, now: now, resetIdleClock: nowIdle)
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
