// The public ways to use a pooled connection: shared (multiplexed) use and exclusive leases.

extension ConnectionPool {
    /// Runs `body` with a connection that other callers may be using at the same time.
    ///
    /// The pool picks the least-loaded connection that is not exclusively leased; it waits only
    /// when no connection is usable at all. Uncontended, this takes the lock twice and allocates nothing.
    /// - Parameters:
    ///   - timeout: Longest wait for a connection; `nil` uses `timeouts.leaseTimeout`.
    ///   - body: Uses the connection; it must not keep it after returning.
    /// - Throws: ``ConnectionPoolError`` (`.leaseTimeout`, `.circuitOpen`, `.shutdown`),
    ///   `CancellationError` when the task is cancelled while waiting, or what `body` throws.
    /// - Returns: What `body` returns.
    nonisolated(nonsending)
    public func withSharedConnection<R>(
        timeout: Duration? = nil,
        _ body: (Connection) async throws -> R
    ) async throws -> R {
        let lease = try await runner.acquire(.shared, timeout: timeout, local: Connection.currentAffinity)
        defer { runner.release(slotID: lease.slotID, kind: .shared) }
        return try await body(unsafeDowncast(lease.connection, to: Connection.self))
    }

    /// Runs `body` with a connection nobody else uses until `body` returns
    /// (for WATCH/MULTI, blocking commands, subscriptions).
    ///
    /// A connection that is no longer ``PooledConnection/isReusable`` when `body` returns is closed and replaced.
    ///
    /// - Parameters:
    ///   - timeout: Longest wait for a connection; `nil` uses `timeouts.leaseTimeout`.
    ///   - body: Uses the connection; it must not keep it after returning.
    /// - Throws: ``ConnectionPoolError`` (`.leaseTimeout`, `.circuitOpen`, `.shutdown`),
    ///   `CancellationError` when the task is cancelled while waiting, or what `body` throws.
    /// - Returns: What `body` returns.
    nonisolated(nonsending)
    public func withExclusiveConnection<R>(
        timeout: Duration? = nil,
        _ body: (Connection) async throws -> R
    ) async throws -> R {
        let lease = try await runner.acquire(.exclusive, timeout: timeout)
        defer { runner.release(slotID: lease.slotID, kind: .exclusive, reusable: lease.connection.isReusable) }
        return try await body(unsafeDowncast(lease.connection, to: Connection.self))
    }
}

/// A shared use of a pooled connection held across several calls (see ``ConnectionPool/leaseShared(timeout:)``).
package struct SharedLease<Connection: PooledConnection>: Sendable {
    let slotID: Int
    /// The connection.
    package let connection: Connection
}

extension ConnectionPool {
    /// Takes one shared use of a connection, to give back with ``releaseShared(_:)``: for a client that spreads one
    /// use over many commands (its callers on one event loop), where ``withSharedConnection(timeout:_:)`` would take
    /// the pool's lock twice per command.
    nonisolated(nonsending)
    package func leaseShared(timeout: Duration? = nil) async throws -> SharedLease<Connection> {
        let lease = try await runner.acquire(.shared, timeout: timeout, local: Connection.currentAffinity)
        return SharedLease(slotID: lease.slotID, connection: unsafeDowncast(lease.connection, to: Connection.self))
    }

    /// Gives back a use taken with ``leaseShared(timeout:)``.
    package func releaseShared(_ lease: SharedLease<Connection>) {
        runner.release(slotID: lease.slotID, kind: .shared)
    }
}
