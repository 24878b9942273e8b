// Idle connections: keep-alive checks, closing above the minimum after the idle timeout, timer dispatch.

extension PoolStateMachine {
    /// A timer the runner scheduled has fired.
    mutating func timerFired(_ timer: PoolTimer<Instant>, now: Instant) -> Actions {
        switch timer.kind {
        case .waiterDeadline:
            return expireWaiters(timer: timer, now: now)
        case .backoff(let slotID):
            return backoffFired(slotID: slotID, now: now)
        case .maintenance(let slotID):
            return maintenanceFired(slotID: slotID, now: now)
        }
    }

    /// The keep-alive check of `slotID` succeeded: the connection may be handed out again.
    mutating func keepAliveSucceeded(slotID: Int, now: Instant) -> Actions {
        guard let i = index(of: slotID), slots[i].keepAliveRunning else { return Actions() }
        slots[i].keepAliveRunning = false
        slots[i].lastKeepAlive = now
        return connectionFreed(at: i, now: now, resetIdleClock: false)
    }

    /// The keep-alive check of `slotID` failed: evict and close the connection, replace it if needed.
    mutating func keepAliveFailed(slotID: Int, now: Instant) -> Actions {
        var actions = Actions()
        guard let i = index(of: slotID), slots[i].keepAliveRunning else { return actions }
        let slot = slots.remove(at: i)
        if drainTargetID == slotID { drainTargetID = nil }
        actions.close.append(Close(slotID: slotID, connection: slot.connection!, reason: .keepAliveFailed))
        guard lifecycle == .running else {
            finishShutdownIfDone(into: &actions)
            return actions
        }
        ensureMinimum(now: now, into: &actions)
        requestCapacity(now: now, into: &actions)
        return actions
    }

    /// Schedules the next check of an idle connection, unless one is outstanding.
    ///
    /// One timer per connection at most, armed when it becomes idle; use in between does not touch it,
    /// so the hot path schedules nothing.
    mutating func armMaintenanceTimer(at i: Int, now: Instant, into actions: inout Actions) {
        guard !slots[i].timerArmed else { return }
        var deadline: Instant?
        if let interval = configuration.timeouts.keepAliveInterval {
            deadline = keepAliveDue(at: i, interval: interval)
        }
        let idleDue = slots[i].idleSince.advanced(by: configuration.timeouts.idleTimeout)
        if idleDue > now {
            deadline = deadline.map { min($0, idleDue) } ?? idleDue
        }
        guard let deadline else { return }
        slots[i].timerArmed = true
        actions.timers.append(PoolTimer(kind: .maintenance(slotID: slots[i].id), deadline: deadline))
    }

    private mutating func maintenanceFired(slotID: Int, now: Instant) -> Actions {
        var actions = Actions()
        guard let i = index(of: slotID), slots[i].timerArmed else { return actions }
        slots[i].timerArmed = false
        // A busy connection re-arms its timer when it becomes idle again.
        guard lifecycle == .running, slots[i].isIdle else { return actions }
        let idleFor = slots[i].idleSince.duration(to: now)
        if idleFor >= configuration.timeouts.idleTimeout, openCount > configuration.connections.minimum {
            closeSlot(at: i, reason: .idleTimeout, into: &actions)
            return actions
        }
        if let interval = configuration.timeouts.keepAliveInterval, keepAliveDue(at: i, interval: interval) <= now {
            slots[i].keepAliveRunning = true
            actions.keepAlive.append(Lease(slotID: slotID, connection: slots[i].connection!))
            return actions
        }
        armMaintenanceTimer(at: i, now: now, into: &actions)
        return actions
    }

    private func keepAliveDue(at i: Int, interval: Duration) -> Instant {
        max(slots[i].idleSince, slots[i].lastKeepAlive).advanced(by: interval)
    }
}
