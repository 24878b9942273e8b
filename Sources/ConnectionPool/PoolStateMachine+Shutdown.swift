// Shutting the pool down: gracefully (drain in-flight uses, then close) or at once (cancellation).

extension PoolStateMachine {
    /// Starts graceful shutdown: refuse new work, fail waiters, close idle connections now
    /// and busy ones when their users are done; `finished` is set when the last one has closed.
    mutating func shutdown(now: Instant) -> Actions {
        var actions = Actions()
        guard lifecycle == .running else { return actions }
        lifecycle = .shuttingDown
        drainTargetID = nil
        failAllWaiters(ConnectionPoolError.shutdown, into: &actions)
        for i in slots.indices.reversed() {
            switch slots[i].phase {
            case .backingOff:
                slots.remove(at: i)
            case .open where slots[i].isIdle:
                closeSlot(at: i, reason: .shutdown, into: &actions)
            case .open, .connecting, .closing:
                break
            }
        }
        finishShutdownIfDone(into: &actions)
        return actions
    }

    /// Shuts down at once (the runner was cancelled): fail waiters and close every connection, busy or not.
    mutating func forceShutdown() -> Actions {
        var actions = Actions()
        guard lifecycle != .shutDown else { return actions }
        lifecycle = .shutDown
        drainTargetID = nil
        failAllWaiters(ConnectionPoolError.shutdown, into: &actions)
        for slot in slots where slot.phase == .open {
            actions.close.append(Close(slotID: slot.id, connection: slot.connection!, reason: .shutdown))
        }
        slots.removeAll()
        actions.finished = true
        return actions
    }

    /// Completes graceful shutdown once no connection is left.
    mutating func finishShutdownIfDone(into actions: inout Actions) {
        guard lifecycle == .shuttingDown, slots.isEmpty else { return }
        lifecycle = .shutDown
        actions.finished = true
    }
}
