// The public pool type: a thin generic wrapper around the non-generic PoolRunner.
import Logging
import ServiceLifecycle

/// A generic async connection pool shared by many concurrent callers.
///
/// Callers either share a connection with others (``withSharedConnection(timeout:_:)``, for
/// pipelined or multiplexed commands) or lease one alone (``withExclusiveConnection(timeout:_:)``).
/// The pool keeps between `minimum` and `maximum` connections, retries failed attempts with
/// back-off, fails fast while the server is down (circuit breaker), checks idle connections and
/// closes surplus ones. Its background work runs inside ``run()``, so run it in a task or a
/// `ServiceGroup`; requests made before `run()` starts wait for it.
///
/// ```swift
/// let pool = ConnectionPool(
///     configuration: ConnectionPoolConfiguration(connections: .init(minimum: 2, maximum: 16)),
///     factory: RedisConnectionFactory(host: "127.0.0.1", port: 6379),
///     logger: Logger(label: "redis.pool")
/// )
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { try await pool.run() }
///     let value = try await pool.withSharedConnection { connection in
///         try await connection.get("session:42")
///     }
///     try await pool.withExclusiveConnection { connection in
///         try await connection.transaction(watching: "session:42") { ... }
///     }
///     pool.shutdown()  // graceful: in-flight uses finish, then run() returns
/// }
/// ```
public final class ConnectionPool<Factory: ConnectionFactory>: Service, Sendable {
    /// The kind of connection the pool hands out.
    public typealias Connection = Factory.Connection

    let runner: PoolRunner

    /// Creates a pool; it opens connections once ``run()`` runs.
    ///
    /// - Parameters:
    ///   - configuration: Sizes, timeouts, back-off, circuit breaker and metrics settings.
    ///   - factory: Opens and checks connections.
    ///   - logger: Receives connection lifecycle (debug) and failures (warning).
    public convenience init(configuration: ConnectionPoolConfiguration, factory: Factory, logger: Logger) {
        self.init(configuration: configuration, factory: factory, logger: logger) {
            Double.random(in: 0..<1)
        }
    }

    /// Creates a pool with an injected jitter source (values in `0..<1`), for deterministic tests.
    init(
        configuration: ConnectionPoolConfiguration,
        factory: Factory,
        logger: Logger,
        randomUnit: @escaping @Sendable () -> Double
    ) {
        runner = PoolRunner(
            configuration: configuration,
            logger: logger,
            randomUnit: randomUnit,
            makeConnection: { id, logger in
                try await factory.makeConnection(id: id, logger: logger)
            },
            keepAlive: { connection, logger in
                // The runner only holds connections this factory made.
                try await factory.keepAlive(unsafeDowncast(connection, to: Factory.Connection.self), logger: logger)
            }
        )
    }

    /// Runs the pool: opens the minimum connections and performs background work until shutdown.
    ///
    /// Returns after graceful shutdown (``shutdown()`` or the service group's) has closed every
    /// connection. Cancelling the calling task fails waiters and closes every connection at once.
    /// Call it once.
    /// - Throws: Nothing today; declared `throws` for `Service`.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await runner.run()
        } onGracefulShutdown: { [runner] in
            runner.shutdown()
        }
    }

    /// Starts graceful shutdown, like the service group's: new requests fail with
    /// ``ConnectionPoolError/shutdown``, waiting ones too, uses in flight finish, then every
    /// connection closes and ``run()`` returns. Calling it again does nothing.
    public func shutdown() {
        runner.shutdown()
    }

    /// How many connections are in each state right now (for tests and diagnostics).
    var statistics: PoolStatistics {
        runner.statistics
    }
}
