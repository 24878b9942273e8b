// What the state machine asks the runner to do after each event.

extension PoolStateMachine {
    /// Why the pool closes a connection.
    enum CloseReason: Hashable, Sendable {
        /// Above the minimum and idle for `idleTimeout`.
        case idleTimeout
        /// The pool is shutting down.
        case shutdown
        /// The keep-alive check failed.
        case keepAliveFailed
        /// An exclusive user left the connection in a state that could not be undone.
        case notReusable
    }

    /// A change of the circuit breaker.
    enum CircuitTransition: Hashable, Sendable {
        /// The circuit opened after this many consecutive failures.
        case opened(failures: Int)
        /// A connection attempt succeeded and closed the circuit.
        case closed
    }

    /// A connection to close.
    struct Close {
        var slotID: Int
        var connection: Connection
        var reason: CloseReason
    }

    /// A request to hand a connection to.
    struct Serve {
        var request: Request
        var lease: Lease<Connection>
    }

    /// A request to fail.
    struct Fail {
        var request: Request
        var error: any Error
    }

    /// Everything the runner must do, outside the lock, after one event.
    ///
    /// Empty arrays do not allocate, so an event with nothing to do costs nothing.
    struct Actions {
        /// Hand connections to waiting requests.
        var serve: [Serve] = []
        /// Fail waiting requests.
        var fail: [Fail] = []
        /// Open connections for these slot ids.
        var create: [Int] = []
        /// Close these connections.
        var close: [Close] = []
        /// Run the factory's keep-alive check on these connections.
        var keepAlive: [Lease<Connection>] = []
        /// Schedule these timers.
        var timers: [PoolTimer<Instant>] = []
        /// The circuit breaker changed.
        var circuit: CircuitTransition?
        /// The pool has shut down: the runner's `run()` may return.
        var finished = false

        var isEmpty: Bool {
            serve.isEmpty && fail.isEmpty && create.isEmpty && close.isEmpty
                && keepAlive.isEmpty && timers.isEmpty && circuit == nil && !finished
        }
    }

    /// The outcome of trying to get a connection without waiting.
    enum LeaseAttempt {
        /// Got one; perform the actions too (e.g. growing the pool).
        case leased(Lease<Connection>, Actions)
        /// Nothing usable: the request must wait (call `enqueue`).
        case mustWait
        /// The request fails at once (circuit open, shut down); perform the actions too.
        case failed(ConnectionPoolError, Actions)
    }
}

extension PoolStateMachine.Close: Sendable where Connection: Sendable {}
extension PoolStateMachine.Serve: Sendable where Connection: Sendable, Request: Sendable {}
extension PoolStateMachine.Fail: Sendable where Request: Sendable {}
extension PoolStateMachine.Actions: Sendable where Connection: Sendable, Request: Sendable, Instant: Sendable {}
extension PoolStateMachine.LeaseAttempt: Sendable where Connection: Sendable, Request: Sendable, Instant: Sendable {}
