// The runner's side effects: performing state-machine actions and the background work run() owns.
import Logging

extension PoolRunner {
    /// Performs what the state machine decided; always called outside the lock.
    func execute(_ actions: Machine.Actions) {
        for serve in actions.serve {
            serve.request.resume(returning: serve.lease)
        }
        for fail in actions.fail {
            fail.request.resume(throwing: fail.error)
        }
        for close in actions.close {
            logger(forSlot: close.slotID).debug("closing connection", metadata: ["pool.close.reason": "\(close.reason)"])
            close.connection.close()
        }
        for slotID in actions.create {
            workContinuation.yield(.create(slotID: slotID))
        }
        for lease in actions.keepAlive {
            workContinuation.yield(.keepAlive(lease))
        }
        for timer in actions.timers {
            workContinuation.yield(.timer(timer))
        }
        switch actions.circuit {
        case .opened(let failures):
            metrics.circuitOpen.record(1)
            logger.warning("circuit opened: connection attempts keep failing, requests fail fast", metadata: [
                "pool.consecutive_failures": "\(failures)",
            ])
        case .closed:
            metrics.circuitOpen.record(0)
            logger.info("circuit closed: a connection attempt succeeded")
        case nil:
            break
        }
        if actions.finished {
            logger.debug("connection pool shut down: every connection closed")
            workContinuation.finish()
        }
    }

    /// Starts the background task for one work item.
    func schedule(_ item: WorkItem, in group: inout DiscardingTaskGroup) {
        switch item {
        case .create(let slotID):
            group.addTask { await self.openConnection(slotID: slotID) }
        case .keepAlive(let lease):
            group.addTask { await self.runKeepAlive(lease) }
        case .timer(let timer):
            group.addTask {
                do {
                    try await Task.sleep(until: timer.deadline, clock: .continuous)
                } catch {
                    return
                }
                self.timerFired(timer)
            }
        }
    }

    func openConnection(slotID: Int) async {
        let logger = logger(forSlot: slotID)
        logger.debug("opening connection")
        do {
            let connection = try await makeConnection(slotID, logger)
            let now = clock.now
            let affinity = connection.affinity
            let actions = withMachine { $0.connectSucceeded(slotID: slotID, connection: connection, affinity: affinity, now: now) }
            logger.debug("connection opened")
            connection.onClose { [weak self] error in
                self?.connectionClosed(slotID: slotID, error: error)
            }
            execute(actions)
        } catch {
            metrics.connectFailures.increment()
            let now = clock.now
            let (actions, failures) = withMachine { machine in
                (machine.connectFailed(slotID: slotID, error: error, now: now), machine.consecutiveFailures)
            }
            var metadata: Logger.Metadata = [
                "error": "\(error)",
                "pool.consecutive_failures": "\(failures)",
            ]
            for timer in actions.timers {
                if case .backoff = timer.kind {
                    metadata["pool.retry_in"] = "\(now.duration(to: timer.deadline).poolDescription)"
                }
            }
            logger.warning("connection attempt failed", metadata: metadata)
            execute(actions)
        }
    }

    func connectionClosed(slotID: Int, error: (any Error)?) {
        let now = clock.now
        let actions = withMachine { $0.connectionClosed(slotID: slotID, error: error, now: now) }
        let logger = logger(forSlot: slotID)
        if let error {
            logger.warning("connection closed with an error; evicted", metadata: ["error": "\(error)"])
        } else {
            logger.debug("connection closed")
        }
        execute(actions)
    }

    func runKeepAlive(_ lease: Lease<Connection>) async {
        let logger = logger(forSlot: lease.slotID)
        do {
            try await keepAlive(lease.connection, logger)
            let now = clock.now
            execute(withMachine { $0.keepAliveSucceeded(slotID: lease.slotID, now: now) })
        } catch {
            logger.warning("keep-alive check failed; closing connection", metadata: ["error": "\(error)"])
            let now = clock.now
            execute(withMachine { $0.keepAliveFailed(slotID: lease.slotID, now: now) })
        }
    }

    func timerFired(_ timer: PoolTimer<ContinuousClock.Instant>) {
        let now = clock.now
        execute(withMachine { $0.timerFired(timer, now: now) })
    }
}
