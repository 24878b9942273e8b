// Waiting requests: enqueueing, serving in FIFO order, deadlines and O(1) cancellation.

extension PoolStateMachine {
    /// Queues a request that could not be served at once (rechecking first, since time passed).
    ///
    /// - Parameters:
    ///   - request: The runner's handle to resume later.
    ///   - id: Unique id, used to cancel.
    ///   - kind: Shared or exclusive.
    ///   - timeout: Overrides `leaseTimeout` for this request.
    ///   - now: The current time.
    mutating func enqueue(
        _ request: Request,
        id: Int,
        kind: LeaseKind,
        timeout: Duration? = nil,
        now: Instant
    ) -> Actions {
        let attempt = kind == .shared ? leaseShared(now: now) : leaseExclusive(now: now)
        switch attempt {
        case .leased(let lease, var actions):
            actions.serve.append(Serve(request: request, lease: lease))
            return actions
        case .failed(let error, var actions):
            actions.fail.append(Fail(request: request, error: error))
            return actions
        case .mustWait:
            break
        }
        let deadline = now.advanced(by: timeout ?? configuration.timeouts.leaseTimeout)
        waiters.append(.init(id: id, kind: kind, request: request, enqueuedAt: now, deadline: deadline))
        var actions = Actions()
        scheduleSweep(at: deadline, into: &actions)
        requestCapacity(now: now, into: &actions)
        return actions
    }

    /// Removes a waiting request in O(1); returns it so the runner can fail it, or `nil` if it is gone.
    mutating func cancelWaiter(id: Int) -> Request? {
        guard let waiter = waiters.remove(id: id) else { return nil }
        updateDrainTarget()
        return waiter.request
    }

    /// Hands the connection at `i` to waiters in FIFO order while it can take them.
    ///
    /// An exclusive waiter at the head that the connection cannot serve stops the queue (no overtaking).
    mutating func serveWaiters(at i: Int, now: Instant, into actions: inout Actions) {
        var servedShared = false
        serving: while slots[i].acceptsShared, let head = waiters.peek() {
            switch head.kind {
            case .exclusive:
                guard slots[i].sharedUsers == 0 else { break serving }
                _ = waiters.popFirst()
                slots[i].leased = true
                actions.serve.append(Serve(request: head.request, lease: lease(at: i)))
                break serving
            case .shared:
                guard slots[i].sharedUsers < configuration.connections.maximumSharedUsers else { break serving }
                _ = waiters.popFirst()
                slots[i].sharedUsers += 1
                servedShared = true
                actions.serve.append(Serve(request: head.request, lease: lease(at: i)))
            }
        }
        if servedShared {
            growIfCrowded(now: now, into: &actions)
        }
        updateDrainTarget()
    }

    /// Fails every waiter with `error`.
    mutating func failAllWaiters(_ error: any Error, into actions: inout Actions) {
        for waiter in waiters.removeAll() {
            actions.fail.append(Fail(request: waiter.request, error: error))
        }
    }

    /// Fails waiters whose deadline passed and schedules the next deadline timer.
    mutating func expireWaiters(timer: PoolTimer<Instant>, now: Instant) -> Actions {
        var actions = Actions()
        if scheduledSweep == timer.deadline { scheduledSweep = nil }
        let context = errorContext(timeout: nil)
        let expired = waiters.removeExpired(now: now)
        for waiter in expired {
            var own = context
            own.timeout = waiter.enqueuedAt.duration(to: waiter.deadline)
            let error = ConnectionPoolError.leaseTimeout(
                own, lastConnectError: consecutiveFailures > 0 ? lastConnectError : nil)
            actions.fail.append(Fail(request: waiter.request, error: error))
        }
        if let next = waiters.earliestDeadline {
            scheduleSweep(at: next, into: &actions)
        }
        if !expired.isEmpty { updateDrainTarget() }
        return actions
    }

    /// Schedules a deadline timer unless one at or before `deadline` is outstanding.
    private mutating func scheduleSweep(at deadline: Instant, into actions: inout Actions) {
        if let scheduled = scheduledSweep, scheduled <= deadline { return }
        scheduledSweep = deadline
        actions.timers.append(PoolTimer(kind: .waiterDeadline, deadline: deadline))
    }

    private func lease(at i: Int) -> Lease<Connection> {
        Lease(slotID: slots[i].id, connection: slots[i].connection!)
    }
}
