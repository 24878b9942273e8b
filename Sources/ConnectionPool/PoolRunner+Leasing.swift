// Getting a connection (at once, or by waiting in the FIFO queue) and giving it back.
import Metrics

extension PoolRunner {
    /// Gets a connection at once if one is usable (for a shared user, one whose affinity is `local` first), else
    /// waits in the FIFO queue.
    nonisolated(nonsending)
    func acquire(_ kind: LeaseKind, timeout: Duration?, local: ObjectIdentifier? = nil) async throws -> Lease<Connection> {
        let clock = self.clock
        let attempt = withMachine { machine in
            kind == .shared
                ? machine.leaseShared(clock: { clock.now }, local: local)
                : machine.leaseExclusive(now: clock.now)
        }
        switch attempt {
        case .leased(let lease, let actions):
            if !actions.isEmpty { execute(actions) }
            metrics.waitTime.recordNanoseconds(0)
            return lease
        case .failed(let error, let actions):
            execute(actions)
            metrics.waitTime.recordNanoseconds(0)
            throw error
        case .mustWait:
            return try await wait(kind, timeout: timeout, since: clock.now)
        }
    }

    /// Queues the request and suspends until it is served, fails, times out or is cancelled.
    nonisolated(nonsending)
    func wait(_ kind: LeaseKind, timeout: Duration?, since start: ContinuousClock.Instant) async throws -> Lease<Connection> {
        let id = requestIDs.wrappingAdd(1, ordering: .relaxed).oldValue
        defer { metrics.waitTime.record(duration: start.duration(to: clock.now)) }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Request) in
                let now = clock.now
                let actions = withMachine { machine -> Machine.Actions in
                    // Checked under the lock: a cancellation handler that ran before found no waiter.
                    guard !Task.isCancelled else {
                        var actions = Machine.Actions()
                        actions.fail.append(.init(request: continuation, error: CancellationError()))
                        return actions
                    }
                    return machine.enqueue(continuation, id: id, kind: kind, timeout: timeout, now: now)
                }
                execute(actions)
            }
        } onCancel: {
            let request = self.withMachine { $0.cancelWaiter(id: id) }
            request?.resume(throwing: CancellationError())
        }
    }

    /// Gives a connection back; an exclusive one that is not `reusable` is closed and replaced.
    func release(slotID: Int, kind: LeaseKind, reusable: Bool = true) {
        let clock = self.clock
        let actions = withMachine { machine in
            kind == .shared
                ? machine.releaseShared(slotID: slotID, clock: { clock.now })
                : machine.releaseExclusive(slotID: slotID, reusable: reusable, now: clock.now)
        }
        if !actions.isEmpty { execute(actions) }
    }
}
