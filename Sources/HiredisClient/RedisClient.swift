// RedisClient: the pooled client most code uses: shared, pipelined connections plus exclusive leases.

import ConnectionPool
import Logging
import ServiceLifecycle

/// Configuration of a ``RedisClient``: how each connection connects, and how the pool manages them.
public struct RedisClientConfiguration: Sendable {
    /// How each connection reaches and prepares the server.
    public var connection: RedisConnectionConfiguration
    /// Pool sizing, lease timeout, keep-alive, back-off and circuit breaker (see ``ConnectionPoolConfiguration``).
    public var pool: ConnectionPoolConfiguration

    /// Creates a configuration. A `pool` given here is used as it is (its metric labels included).
    public init(connection: RedisConnectionConfiguration = .init(), pool: ConnectionPoolConfiguration = Self.defaultPool) {
        self.connection = connection
        self.pool = pool
    }

    /// The pool defaults of a Redis client: ``ConnectionPoolConfiguration``'s, with metrics labelled `redis_pool_…`.
    public static var defaultPool: ConnectionPoolConfiguration {
        var pool = ConnectionPoolConfiguration()
        pool.metrics.labelPrefix = "redis_pool"
        return pool
    }

    /// Creates a configuration from a Redis URL with default pool settings.
    /// - Throws: ``RedisError`` `.invalidURL`.
    public init(url: String) throws(RedisError) {
        self.init(connection: try RedisConnectionConfiguration(url: url))
    }
}

/// A Redis client over a pool of connections, safe to share across every request handler.
///
/// Single commands, pipelines and scripts go to the least-loaded shared connection and are auto-pipelined with
/// other callers' commands; use ``withConnection(timeout:_:)`` for an exclusive connection (WATCH, blocking
/// commands). `run()` owns the pool's background work: run it in a task group or a ServiceGroup.
///
/// ```swift
/// let redis = RedisClient(configuration: try .init(url: "redis://127.0.0.1:6379"), logger: logger)
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { try await redis.run() }
///     try await redis.send("SET", "greeting", "hello")
///     print(try await redis.send("GET", "greeting").string ?? "-")
///     redis.shutdown()
/// }
/// ```
public final class RedisClient: Service, RedisCommandExecutor {
    /// The configuration the client was created with.
    public let configuration: RedisClientConfiguration
    let pool: ConnectionPool<RedisConnectionFactory>

    /// Creates a client; no connection is opened until ``run()`` starts.
    public init(configuration: RedisClientConfiguration, logger: Logger = Logger(label: "redis")) {
        self.configuration = configuration
        self.pool = ConnectionPool(
            configuration: configuration.pool,
            factory: RedisConnectionFactory(configuration: configuration.connection),
            logger: logger
        )
    }

    /// Runs the pool: opens the minimum connections, replaces broken ones, keeps idle ones alive. Returns after
    /// ``shutdown()`` (or the service group's graceful shutdown) once work in flight has finished.
    public func run() async throws {
        try await pool.run()
    }

    /// Starts a graceful shutdown: new commands are refused, commands in flight finish, connections close.
    public func shutdown() {
        pool.shutdown()
    }

    /// Sends one command on a shared connection.
    /// - Throws: ``RedisError`` (server error replies, connection failures, deadline), or ``ConnectionPoolError``
    ///   when no connection could be had (lease timeout, circuit open, shut down).
    public func send(_ command: RedisCommand, timeout: Duration?) async throws -> RedisReply {
        try await pool.withSharedConnection { connection in
            try await connection.send(command, timeout: timeout)
        }
    }

    /// Sends commands contiguously on one shared connection and returns every reply in order.
    /// - Throws: like ``send(_:timeout:)``; error replies are returned, not thrown.
    public func pipeline(_ commands: [RedisCommand], timeout: Duration?) async throws -> [RedisReply] {
        try await pool.withSharedConnection { connection in
            try await connection.pipeline(commands, timeout: timeout)
        }
    }

    /// Runs `body` with a connection nobody else uses until it returns (for WATCH/MULTI, blocking commands).
    /// - Parameters:
    ///   - timeout: the longest wait for a free connection; default: the pool's lease timeout.
    ///   - body: uses the connection; must not keep it.
    /// - Throws: ``ConnectionPoolError`` when no connection was free in time, or what `body` throws.
    public func withConnection<Result: Sendable>(
        timeout: Duration? = nil,
        _ body: (RedisConnection) async throws -> Result
    ) async throws -> Result {
        try await pool.withExclusiveConnection(timeout: timeout, body)
    }
}

/// Opens pool connections and checks idle ones with PING.
struct RedisConnectionFactory: ConnectionFactory {
    let configuration: RedisConnectionConfiguration

    func makeConnection(id: Int, logger: Logger) async throws -> RedisConnection {
        try await RedisConnection.connect(configuration: configuration, logger: logger)
    }

    func keepAlive(_ connection: RedisConnection, logger: Logger) async throws {
        _ = try await connection.send(RedisCommand("PING"), timeout: configuration.timeouts.command)
    }
}

extension RedisConnection: PooledConnection {}
