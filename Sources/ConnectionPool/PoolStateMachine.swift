// Pure value-type state machine of the pool: takes events and the current time, returns actions.

/// The pool's brain, free of I/O, locks and clocks.
///
/// Every method takes the current time when it needs one and returns ``Actions`` for the runner
/// to perform outside its lock, so tests drive it with hand-made instants and fake connections.
struct PoolStateMachine<Connection, Request, Instant: InstantProtocol> where Instant.Duration == Duration {
    /// The pool's life.
    enum Lifecycle: Hashable, Sendable {
        case running
        /// Graceful shutdown: no new work, in-flight uses finish, then everything closes.
        case shuttingDown
        case shutDown
    }

    let configuration: ConnectionPoolConfiguration
    let backoff: BackoffPolicy
    var lifecycle: Lifecycle = .running
    /// Every connection the pool has, being opened, open or closing; a handful, so scanned linearly.
    var slots: [ConnectionSlot<Connection, Instant>] = []
    var waiters = WaiterQueue<Request, Instant>()
    var nextSlotID = 0
    /// Failed connection attempts since the last success.
    var consecutiveFailures = 0
    var circuitOpen = false
    /// While no connection is open: since when the server has been unreachable (the start of the first failed
    /// attempt, not before ``noConnectionSince``); `nil` once a connection is open.
    var failingSince: Instant?
    /// Since when no connection has been open (the pool's start, or the loss of the last open connection).
    var noConnectionSince: Instant?
    var lastConnectError: (any Error)?
    /// A busy connection that takes no new shared users so that an exclusive waiter can get it.
    var drainTargetID: Int?
    /// Deadline of the earliest outstanding waiter-deadline timer.
    var scheduledSweep: Instant?
    /// Cleared by the shared fast paths when they changed nothing ``statistics`` counts (the runner sets it before
    /// every call and recomputes the gauges only when it is still set).
    var statisticsMayHaveChanged = true

    /// Creates a state machine.
    /// - Parameters:
    ///   - configuration: The pool's settings.
    ///   - randomUnit: Source of back-off jitter, returning values in `0..<1`.
    init(configuration: ConnectionPoolConfiguration, randomUnit: @escaping @Sendable () -> Double) {
        configuration.validate()
        self.configuration = configuration
        self.backoff = BackoffPolicy(configuration.backoff, randomUnit: randomUnit)
    }

    /// Opens the minimum number of connections; called when the runner starts.
    mutating func start(now: Instant) -> Actions {
        var actions = Actions()
        guard lifecycle == .running else { return actions }
        if openCount == 0 && noConnectionSince == nil { noConnectionSince = now }
        ensureMinimum(now: now, into: &actions)
        return actions
    }

    /// How many connections are in each state.
    var statistics: PoolStatistics {
        var stats = PoolStatistics()
        // By index: copying a slot would retain and release its connection.
        for i in slots.indices {
            switch slots[i].phase {
            case .connecting, .backingOff:
                stats.connecting += 1
            case .open:
                if slots[i].leased {
                    stats.leased += 1
                } else if slots[i].sharedUsers > 0 {
                    stats.shared += 1
                } else {
                    stats.idle += 1
                }
            case .closing:
                break
            }
        }
        stats.waiting = waiters.count
        return stats
    }

    // MARK: - Helpers shared by the extensions

    func index(of slotID: Int) -> Int? {
        slots.firstIndex { $0.id == slotID }
    }

    var pendingCount: Int {
        var count = 0
        for i in slots.indices where slots[i].isPending { count += 1 }
        return count
    }

    var openCount: Int {
        var count = 0
        for i in slots.indices where slots[i].phase == .open { count += 1 }
        return count
    }

    /// Connections that waiters need beyond those already being opened.
    var waiterDemand: Int {
        waiters.exclusiveCount + (waiters.sharedCount > 0 ? 1 : 0)
    }

    /// Starts opening one more connection.
    mutating func createConnection(now: Instant, into actions: inout Actions) {
        let id = nextSlotID
        nextSlotID += 1
        slots.append(ConnectionSlot(id: id, now: now))
        actions.create.append(id)
    }

    /// Opens connections until open plus pending reach the minimum.
    mutating func ensureMinimum(now: Instant, into actions: inout Actions) {
        guard lifecycle == .running else { return }
        if circuitOpen {
            startTrialIfNeeded(now: now, into: &actions)
            return
        }
        while slots.count < configuration.connections.maximum,
              openCount + pendingCount < configuration.connections.minimum {
            createConnection(now: now, into: &actions)
        }
    }

    /// Opens connections for waiters that no pending connection will serve, then picks a drain target.
    mutating func requestCapacity(now: Instant, into actions: inout Actions) {
        guard lifecycle == .running, !circuitOpen else { return }
        // A connection in a keep-alive check is free again in a moment: count it as on its way.
        var checking = 0
        for i in slots.indices where slots[i].keepAliveRunning { checking += 1 }
        var missing = waiterDemand - pendingCount - checking
        while missing > 0, slots.count < configuration.connections.maximum {
            createConnection(now: now, into: &actions)
            missing -= 1
        }
        updateDrainTarget()
    }

    /// Starts another connection when every usable one carries the growth threshold and none is pending.
    mutating func growIfCrowded(now: Instant, into actions: inout Actions) {
        guard lifecycle == .running, !circuitOpen,
              slots.count < configuration.connections.maximum, pendingCount == 0 else { return }
        let threshold = configuration.connections.sharedUsersBeforeGrowing
        for i in slots.indices where slots[i].acceptsShared && slots[i].sharedUsers < threshold {
            return
        }
        createConnection(now: now, into: &actions)
    }

    /// While exclusive waiters exist and the pool cannot grow, stops giving one busy connection new shared users.
    mutating func updateDrainTarget() {
        guard waiters.exclusiveCount > 0, lifecycle == .running,
              slots.count >= configuration.connections.maximum, pendingCount == 0 else {
            drainTargetID = nil
            return
        }
        if let target = drainTargetID, let i = index(of: target), slots[i].acceptsShared {
            return
        }
        var best: Int?
        for i in slots.indices where slots[i].acceptsShared {
            if best == nil || slots[i].sharedUsers < slots[best!].sharedUsers { best = i }
        }
        drainTargetID = best.map { slots[$0].id }
    }

    /// The pool's state for an error message.
    func errorContext(timeout: Duration?) -> ConnectionPoolError.Context {
        .init(
            timeout: timeout,
            statistics: statistics,
            maximum: configuration.connections.maximum,
            consecutiveFailures: consecutiveFailures
        )
    }

    mutating func recordConnectFailure(_ error: any Error) {
        consecutiveFailures += 1
        lastConnectError = error
    }

    mutating func recordConnectSuccess() -> CircuitTransition? {
        consecutiveFailures = 0
        failingSince = nil
        noConnectionSince = nil
        guard circuitOpen else { return nil }
        circuitOpen = false
        return .closed
    }
}

extension PoolStateMachine: Sendable where Connection: Sendable, Request: Sendable, Instant: Sendable {}
