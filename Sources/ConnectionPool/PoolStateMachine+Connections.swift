// Connection health: attempts succeeding or failing, back-off retries, eviction and the circuit breaker.

extension PoolStateMachine {
    /// The factory opened the connection of `slotID`.
    mutating func connectSucceeded(slotID: Int, connection: Connection, affinity: ObjectIdentifier? = nil, now: Instant) -> Actions {
        var actions = Actions()
        guard let i = index(of: slotID), slots[i].phase == .connecting else {
            // The pool was cancelled while connecting: nobody wants this connection.
            actions.close.append(Close(slotID: slotID, connection: connection, reason: .shutdown))
            return actions
        }
        actions.circuit = recordConnectSuccess()
        slots[i].phase = .open
        slots[i].connection = connection
        slots[i].affinity = affinity
        slots[i].idleSince = now
        slots[i].lastKeepAlive = now
        guard lifecycle == .running else {
            closeSlot(at: i, reason: .shutdown, into: &actions)
            return actions
        }
        serveWaiters(at: i, now: now, into: &actions)
        if slots[i].isIdle {
            armMaintenanceTimer(at: i, now: now, into: &actions)
        }
        // After an open circuit only one attempt was left: grow back to the minimum.
        ensureMinimum(now: now, into: &actions)
        requestCapacity(now: now, into: &actions)
        return actions
    }

    /// The factory failed to open the connection of `slotID`: back off and retry while needed.
    ///
    /// Once attempts have kept failing for `openAfter` with no connection open, the circuit opens: waiters fail
    /// with ``ConnectionPoolError/circuitOpen`` and only one trial attempt keeps retrying, every `probeInterval`
    /// at most.
    mutating func connectFailed(slotID: Int, error: any Error, now: Instant) -> Actions {
        var actions = Actions()
        guard let i = index(of: slotID), slots[i].phase == .connecting else { return actions }
        recordConnectFailure(error)
        if openCount == 0 {
            // The server has been unreachable since this attempt started, but not since before the last connection
            // was lost (an attempt that started while one was open proves nothing about the time before).
            let since = max(slots[i].attemptStarted, noConnectionSince ?? slots[i].attemptStarted)
            if failingSince == nil || since < failingSince! { failingSince = since }
        }
        guard lifecycle == .running else {
            slots.remove(at: i)
            finishShutdownIfDone(into: &actions)
            return actions
        }
        if !circuitOpen, openCount == 0, let since = failingSince,
           since.duration(to: now) >= configuration.circuitBreaker.openAfter {
            circuitOpen = true
            drainTargetID = nil
            actions.circuit = .opened(failures: consecutiveFailures)
            let failure = ConnectionPoolError.circuitOpen(errorContext(timeout: nil), lastConnectError: error)
            failAllWaiters(failure, into: &actions)
        }
        if stillNeeded(slotAt: i) {
            slots[i].phase = .backingOff
            var delay = backoff.delay(afterFailures: consecutiveFailures)
            // Nothing is open: the server is down for everyone, so probe often enough to notice its return.
            if openCount == 0 { delay = min(delay, configuration.circuitBreaker.probeInterval) }
            actions.timers.append(PoolTimer(kind: .backoff(slotID: slotID), deadline: now.advanced(by: delay)))
        } else {
            slots.remove(at: i)
        }
        return actions
    }

    /// The back-off delay of `slotID` is over: try again if the connection is still needed.
    mutating func backoffFired(slotID: Int, now: Instant) -> Actions {
        var actions = Actions()
        guard let i = index(of: slotID), slots[i].phase == .backingOff else { return actions }
        if lifecycle == .running && stillNeeded(slotAt: i) {
            slots[i].phase = .connecting
            slots[i].attemptStarted = now
            actions.create.append(slotID)
        } else {
            slots.remove(at: i)
            finishShutdownIfDone(into: &actions)
        }
        return actions
    }

    /// The connection of `slotID` has closed: evict it and replace it if the minimum or waiters need one.
    mutating func connectionClosed(slotID: Int, error: (any Error)?, now: Instant) -> Actions {
        var actions = Actions()
        guard let i = index(of: slotID) else { return actions }
        slots.remove(at: i)
        if drainTargetID == slotID { drainTargetID = nil }
        if openCount == 0 && noConnectionSince == nil { noConnectionSince = now }
        guard lifecycle == .running else {
            finishShutdownIfDone(into: &actions)
            return actions
        }
        // Replace what is missing: an evicted connection, or one closed as not reusable while others wait.
        ensureMinimum(now: now, into: &actions)
        requestCapacity(now: now, into: &actions)
        return actions
    }

    /// While the circuit is open, keeps exactly one attempt going (half-open trial).
    mutating func startTrialIfNeeded(now: Instant, into actions: inout Actions) {
        guard circuitOpen, lifecycle == .running, pendingCount == 0,
              slots.count < configuration.connections.maximum else { return }
        createConnection(now: now, into: &actions)
    }

    /// Whether the pending slot at `i` should keep trying: below minimum, waiters, or the circuit's one trial.
    private func stillNeeded(slotAt i: Int) -> Bool {
        let othersPending = pendingCount - (slots[i].isPending ? 1 : 0)
        if circuitOpen { return othersPending == 0 }
        return openCount + othersPending < configuration.connections.minimum || waiterDemand > othersPending
    }
}
