// RedisClient: the pooled client most code uses: shared, pipelined connections plus exclusive leases.

import ConnectionPool
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

/// Configuration of a ``RedisClient``: how each connection connects, and how the pool manages them.
public struct RedisClientConfiguration: Sendable {
    /// How each connection reaches and prepares the server.
    public var connection: RedisConnectionConfiguration
    /// Pool sizing, lease timeout, keep-alive, back-off and circuit breaker (see ``ConnectionPoolConfiguration``).
    public var pool: ConnectionPoolConfiguration
    /// When set, every connection goes to the primary these sentinels name (``connection`` then describes how to
    /// reach it: credentials, database, TLS, timeouts; its endpoint is not used). See ``RedisClient`` for how the
    /// client follows a failover.
    public var sentinel: RedisSentinelConfiguration?
    /// When set, commands are routed over this Redis Cluster (``connection`` then describes how to reach every node;
    /// its endpoint is not used), with a pool of ``pool``'s settings per primary.
    public var cluster: RedisClusterConfiguration?

    /// Creates a configuration. A `pool` given here is used as it is (its metric labels included).
    public init(connection: RedisConnectionConfiguration = .init(), pool: ConnectionPoolConfiguration = Self.defaultPool) {
        self.connection = connection
        self.pool = pool
    }

    /// Creates a configuration for a deployment: one server, a primary found through Sentinel, or a Redis Cluster.
    public init(deployment: RedisDeployment, pool: ConnectionPoolConfiguration = Self.defaultPool) {
        switch deployment {
        case .standalone(let connection):
            self.init(connection: connection, pool: pool)
        case .sentinel(let sentinel):
            self.init(connection: sentinel.node, pool: pool)
            self.sentinel = sentinel
        case .cluster(let cluster):
            self.init(connection: cluster.node, pool: pool)
            self.cluster = cluster
        }
    }

    /// The pool defaults of a Redis client: ``ConnectionPoolConfiguration``'s, with metrics labelled `redis_pool_…`.
    public static var defaultPool: ConnectionPoolConfiguration {
        var pool = ConnectionPoolConfiguration()
        pool.metrics.labelPrefix = "redis_pool"
        return pool
    }

    /// Creates a configuration from a Redis URL (`redis://`, `rediss://`, `unix://`, `redis-sentinel://`,
    /// `redis-cluster://`; see ``RedisURL/parseDeployment(_:)``) with default pool settings.
    /// - Throws: ``RedisError`` `.invalidURL`.
    public init(url: String) throws(RedisError) {
        self.init(deployment: try RedisURL.parseDeployment(url))
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
    let factory: RedisConnectionFactory
    let logger: Logger
    private let shutDown = Atomic<Bool>(false)
    /// The connections of live subscriptions, closed by ``shutdown()``.
    let subscriptions = Mutex<[ObjectIdentifier: RedisConnection]>([:])
    /// Per event loop of the group: the shared use its tasks are on (see ``LoopLease``).
    let loopLeases: [ObjectIdentifier: NIOLoopBoundBox<LoopLease>]
    /// Routes over a Redis Cluster (then this client's own pool stays unused).
    let router: ClusterRouter?

    /// Creates a client; no connection is opened until ``run()`` starts.
    /// - Parameters:
    ///   - configuration: the connections and the pool.
    ///   - eventLoopGroup: where the connections' channels run: pass the application's (Hummingbird's
    ///     `app.eventLoopGroup`) so requests and Redis share event loops; default: NIO's shared group.
    ///   - logger: receives pool and connection events.
    public init(
        configuration: RedisClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "redis")
    ) {
        self.configuration = configuration
        self.factory = RedisConnectionFactory(
            configuration: configuration.connection, sentinel: configuration.sentinel, eventLoopGroup: eventLoopGroup, logger: logger)
        self.logger = logger
        var loopLeases: [ObjectIdentifier: NIOLoopBoundBox<LoopLease>] = [:]
        for loop in eventLoopGroup.makeIterator() {
            loopLeases[ObjectIdentifier(loop as AnyObject)] = .makeBoxSendingValue(LoopLease(), as: LoopLease.self, eventLoop: loop)
        }
        self.loopLeases = loopLeases
        self.pool = ConnectionPool(configuration: configuration.pool, factory: factory, logger: logger)
        self.router = configuration.cluster.map { cluster in
            var cluster = cluster
            cluster.node = configuration.connection  // as tuned by the caller after parsing a URL
            return ClusterRouter(cluster: cluster, pool: configuration.pool, eventLoopGroup: eventLoopGroup, logger: logger)
        }
    }

    /// Runs the pool: opens the minimum connections, replaces broken ones, keeps idle ones alive. Returns after
    /// ``shutdown()`` (or the service group's graceful shutdown) once work in flight has finished.
    public func run() async throws {
        defer {
            shutDown.store(true, ordering: .relaxed)
            closeSubscriptions()
        }
        if let router {
            try await router.run()
            return
        }
        guard factory.resolver != nil else {
            try await pool.run()
            return
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.followSwitchMaster() }
            try await pool.run()
            group.cancelAll()
        }
    }

    /// Starts a graceful shutdown: new commands are refused, commands in flight finish, connections close, and
    /// subscriptions end.
    public func shutdown() {
        shutDown.store(true, ordering: .relaxed)
        pool.shutdown()
        router?.shutdown()
        closeSubscriptions()
    }

    private func closeSubscriptions() {
        for connection in subscriptions.withLock(annotatedBy: self, { Array($0.values) }) { connection.close() }
    }

    /// Keeps a subscription's connection for ``shutdown()``; `false` (and nothing kept) once the client shut down.
    func register(subscription connection: RedisConnection) -> Bool {
        subscriptions.withLock(annotatedBy: self) { connections in
            guard !isShutDown else { return false }
            connections[ObjectIdentifier(connection)] = connection
            return true
        }
    }

    func unregister(subscription connection: RedisConnection) {
        _ = subscriptions.withLock(annotatedBy: self) { $0.removeValue(forKey: ObjectIdentifier(connection)) }
    }

    var isShutDown: Bool { shutDown.load(ordering: .relaxed) }

    /// On a Redis Cluster, the client of each primary, by `host:port` (for per-node queries such as `INFO`),
    /// discovering the cluster first when needed; `nil` for one server or Sentinel.
    /// - Throws: ``RedisError`` `.noPrimary` when no node gives a slot map.
    public func clusterPrimaries() async throws -> [String: RedisClient]? {
        guard let router else { return nil }
        return Dictionary(uniqueKeysWithValues: try await router.primaryClients().map { ("\($0.key)", $0.value) })
    }

    /// On a Redis Cluster, how many commands went to each node so far, by `host:port` (a redirected command counts
    /// where it went each time); `nil` for one server or Sentinel.
    public var clusterCommandCounts: [String: Int]? {
        router.map { Dictionary(uniqueKeysWithValues: $0.commandCounts.map { ("\($0.key)", $0.value) }) }
    }

    /// On a Redis Cluster, how many redirections and retries were followed so far, by the reply that caused them
    /// (`MOVED`, `ASK`, `TRYAGAIN`, `CLUSTERDOWN`); `nil` for one server or Sentinel.
    public var clusterRedirectionCounts: [String: Int]? { router?.redirectionCounts }

    /// Listens to channels and patterns on a connection of its own (see ``RedisSubscription``).
    /// - Parameters:
    ///   - channels: channels to `SUBSCRIBE` to.
    ///   - patterns: patterns to `PSUBSCRIBE` to.
    public func subscribe(to channels: [String] = [], patterns: [String] = []) -> RedisSubscription {
        precondition(!channels.isEmpty || !patterns.isEmpty, "subscribe to at least one channel or pattern")
        guard let router else { return RedisSubscription(client: self, channels: channels, patterns: patterns) }
        // On a cluster any node delivers every message; the router picks one that answers, at each reconnect.
        return RedisSubscription(client: self, channels: channels, patterns: patterns) { [logger] in
            try await router.connectToAnyNode(logger: logger)
        }
    }

    /// Sends one command on a shared connection.
    ///
    /// Commands that change the connection's state or reply stream (`SUBSCRIBE`, `MONITOR`, `SELECT`, `WATCH`,
    /// `MULTI`, `CLIENT REPLY`…) or block (`BLPOP`, `WAIT`…) are refused before anything is sent: use
    /// ``withConnection(timeout:_:)``, ``transaction(_:timeout:)`` or ``subscribe(to:)``.
    /// - Throws: ``RedisError`` (server error replies, connection failures, deadline, `.notAllowedHere`), or
    ///   ``ConnectionPoolError`` when no connection could be had (lease timeout, circuit open, shut down).
    public func send(_ command: RedisCommand, timeout: Duration?) async throws -> RedisReply {
        if let refusal = command.refusalOnSharedConnection { throw Self.refused(refusal) }
        if let router { return try await router.send(command, timeout: timeout) }
        guard factory.resolver != nil else {
            return try await withSharedConnection { connection in try await connection.send(command, timeout: timeout) }
        }
        return try await followingPrimary {
            try await withSharedConnection { connection in
                do {
                    return try await connection.send(command, timeout: timeout)
                } catch let error as RedisError where error.serverError.map(Self.isNotServingPrimary) == true {
                    throw NotPrimary(connection: connection, error: error)
                }
            }
        }
    }

    /// Sends commands contiguously on one shared connection and returns every reply in order. A `MULTI … EXEC`
    /// inside the batch is allowed; other commands are refused as by ``send(_:timeout:)``.
    /// - Throws: like ``send(_:timeout:)``; error replies are returned, not thrown.
    public func pipeline(_ commands: [RedisCommand], timeout: Duration?) async throws -> [RedisReply] {
        if let refusal = commands.refusalOnSharedConnection { throw Self.refused(refusal) }
        if let router { return try await router.pipeline(commands, timeout: timeout) }
        return try await pipelineUnchecked(commands, timeout: timeout)
    }

    /// Runs the pipeline and then `WAIT` on the same shared connection, contiguously (see
    /// ``RedisCommandExecutor/pipeline(_:confirmedBy:within:)``). `WAIT` is the one blocking command allowed here: it
    /// holds the connection for at most `within`, which the caller keeps short; on a cluster it runs on the node of
    /// the commands' keys.
    public func pipeline(_ commands: [RedisCommand], confirmedBy replicas: Int, within: Duration) async throws -> (replies: [RedisReply], confirmed: Int) {
        if let refusal = commands.refusalOnSharedConnection { throw Self.refused(refusal) }
        let batch = commands + [Self.wait(replicas, within)]
        let timeout = configuration.connection.timeouts.command + within
        if let router { return try Self.splitConfirmation(try await router.pipeline(batch, timeout: timeout)) }
        return try Self.splitConfirmation(try await pipelineUnchecked(batch, timeout: timeout))
    }

    /// ``pipeline(_:timeout:)`` without the shared path's refusals: for a batch the client builds itself that is safe
    /// on a shared connection (`ASKING` then the one command it applies to, written contiguously).
    func pipelineUnchecked(_ commands: [RedisCommand], timeout: Duration?) async throws -> [RedisReply] {
        guard factory.resolver != nil else {
            return try await withSharedConnection { connection in try await connection.pipeline(commands, timeout: timeout) }
        }
        return try await followingPrimary {
            try await withSharedConnection { connection in
                let replies = try await connection.pipeline(commands, timeout: timeout)
                if let error = Self.metNonPrimary(replies) { throw NotPrimary(connection: connection, error: .server(error)) }
                return replies
            }
        }
    }

    /// Runs `body` on a shared connection: the caller's event loop's use when it runs on one (see ``LoopLease``),
    /// else one taken from the pool for this call.
    private func withSharedConnection<Result>(_ body: (RedisConnection) async throws -> Result) async throws -> Result {
        if let box = currentLoopLease { return try await withLoopConnection(box, body) }
        return try await pool.withSharedConnection(body)
    }

    /// Runs `body` with a connection nobody else uses until it returns (for WATCH/MULTI, blocking commands with
    /// their own `timeout:`).
    ///
    /// Whatever state `body` leaves behind (a `WATCH`, an unfinished `MULTI`, a `SELECT`, `CLIENT REPLY OFF`) does
    /// not reach the next user: on release the connection is `RESET` (Redis ≥ 6.2) and prepared again (AUTH, SELECT,
    /// CLIENT SETNAME) in one round trip, or closed when that fails or cannot be done.
    /// - Parameters:
    ///   - timeout: the longest wait for a free connection; default: the pool's lease timeout.
    ///   - body: uses the connection; must not keep it.
    /// - Throws: ``ConnectionPoolError`` when no connection was free in time, or what `body` throws.
    public func withConnection<Result: Sendable>(
        timeout: Duration? = nil,
        _ body: (RedisConnection) async throws -> Result
    ) async throws -> Result {
        if router != nil {
            throw RedisError(.notAllowedHere, "an exclusive connection on a Redis Cluster needs its node: not supported yet")
        }
        return try await pool.withExclusiveConnection(timeout: timeout) { connection in
            let placeholders = connection.placeholderCount
            do {
                let result = try await body(connection)
                await Self.reset(connection, placeholdersBefore: placeholders)
                return result
            } catch {
                await Self.reset(connection, placeholdersBefore: placeholders)
                throw error
            }
        }
    }

    /// Puts an exclusively used connection back in its initial state, or closes it on any doubt. Runs in a task of
    /// its own, so that a cancelled body still gets its connection reset rather than closed.
    static func reset(_ connection: RedisConnection, placeholdersBefore: Int) async {
        guard !connection.isClosed else { return }
        // A reply the body left owed (a command that timed out, perhaps after CLIENT REPLY OFF, which never
        // answers) could shift every reply of the reset by one: close instead. Replies owed from before the lease
        // come in order and are absorbed.
        guard connection.placeholderCount <= placeholdersBefore else {
            connection.close()
            return
        }
        await Task { await resetNow(connection) }.value
    }

    private static func resetNow(_ connection: RedisConnection) async {
        let handshake = ConnectionHandshake(configuration: connection.configuration).commands
        let commands = [RedisCommand("RESET")] + handshake.filter { $0.what != "PING" }.map(\.command)
        do {
            let replies = try await connection.submitBatch(commands, timeout: connection.configuration.timeouts.command)
            let clean = replies.first == .status("RESET")
                && !replies.contains(where: { if case .error = $0 { true } else { false } })
            if !clean { connection.close() }
        } catch {
            connection.close()
        }
    }

    private static func refused(_ reason: String) -> RedisError {
        RedisError(.notAllowedHere, "\(reason): it is refused on a shared connection; use withConnection (an "
            + "exclusive lease), transaction, or subscribe")
    }
}

/// Opens pool connections and checks idle ones with PING; builds the TLS context once for all of them. With Sentinel,
/// each connection goes to the primary the sentinels name now, and is checked with `ROLE` before the pool gets it.
struct RedisConnectionFactory: ConnectionFactory {
    let configuration: RedisConnectionConfiguration
    let eventLoopGroup: any EventLoopGroup
    /// Finds the primary, for a Sentinel deployment.
    let resolver: SentinelResolver?
    private let tlsContext = TLSContextCache()
    /// The connections open now, for ``retireAll()``, and the primary the last one went to (Sentinel).
    private let open = OpenConnections()

    /// Spreads connections evenly over the group's loops, so that every loop has one of its own to offer.
    private let loops: LoopBalancer

    init(configuration: RedisConnectionConfiguration, sentinel: RedisSentinelConfiguration? = nil, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.loops = LoopBalancer(eventLoopGroup)
        self.resolver = sentinel.map { sentinel in
            // The data nodes are reached as `configuration` says (the caller may have tuned it after parsing a URL).
            let watched = RedisSentinelConfiguration(
                sentinels: sentinel.sentinels, primaryName: sentinel.primaryName, node: configuration,
                sentinelAuthentication: sentinel.sentinelAuthentication)
            return SentinelResolver(configuration: watched, eventLoopGroup: eventLoopGroup, logger: logger)
        }
    }

    func makeConnection(id: Int, logger: Logger) async throws -> RedisConnection {
        guard let resolver else { return try await connect(to: configuration.endpoint, namedBy: nil, logger: logger) }
        // The address the first sentinel that answers gives; when it does not answer as a primary, the address the
        // sentinel with the newest configuration gives (after a failover, the one that led it knows first).
        let first = try await resolver.primaryAddress(sslContext: try sslContext())
        do {
            return try await connect(to: first.0, namedBy: first.1, logger: logger)
        } catch {
            guard let newest = await resolver.newestAddress(sslContext: try sslContext()), newest.address != first.0 else { throw error }
            let connection = try await connect(to: newest.address, namedBy: newest.sentinel, logger: logger)
            resolver.prefer(newest.sentinel)
            return connection
        }
    }

    /// A connection to `endpoint`; with Sentinel (`namedBy` the sentinel that named it), checked to be the primary.
    private func connect(
        to endpoint: RedisConnectionConfiguration.Endpoint, namedBy: RedisConnectionConfiguration.Endpoint?, logger: Logger
    ) async throws -> RedisConnection {
        var target = configuration
        target.endpoint = endpoint
        let (index, eventLoop) = loops.leastUsed()
        let connection: RedisConnection
        do {
            connection = try await RedisConnection.connect(
                configuration: target, sslContext: try sslContext(), eventLoopGroup: eventLoopGroup,
                eventLoop: eventLoop, logger: logger)
        } catch {
            loops.release(index)
            throw error
        }
        connection.onClose { [loops, open] _ in
            loops.release(index)
            open.remove(connection)
        }
        if let resolver, let namedBy {
            // A sentinel may still name a primary that was just demoted, or one not yet promoted: ask the node.
            do {
                try await SentinelResolver.checkIsPrimary(
                    connection, at: endpoint, primaryName: resolver.configuration.primaryName, namedBy: namedBy)
            } catch {
                connection.close()
                throw error
            }
            open.primary.withLock(annotatedBy: open) { $0 = endpoint }
        }
        open.add(connection)
        return connection
    }

    /// Asks the sentinels for the primary again and retires every connection when it is not the one they went to
    /// (a `+switch-master` missed while the sentinel link was down).
    func retireIfPrimaryMoved() async {
        guard let resolver, let (address, _) = try? await resolver.primaryAddress(sslContext: try sslContext()) else { return }
        if open.primary.withLock(annotatedBy: open, { $0.map { $0 != address } ?? false }) { retireAll() }
    }

    /// Closes every open connection gracefully (commands already sent complete); the pool opens new ones, to the
    /// primary the sentinels name by then.
    func retireAll() {
        for connection in open.all { connection.close() }
    }

    /// A connection to a sentinel (the one that answered last first), for following its `+switch-master` events.
    func makeSentinelConnection(logger: Logger) async throws -> RedisConnection {
        guard let resolver else { throw RedisError(.invalidConfiguration, "not a Sentinel deployment") }
        var lastError: (any Error)?
        for sentinel in resolver.sentinels {
            do {
                return try await RedisConnection.connect(
                    configuration: resolver.configuration.sentinelConnection(sentinel), sslContext: try sslContext(),
                    eventLoopGroup: eventLoopGroup, logger: logger)
            } catch {
                lastError = error
            }
        }
        throw lastError ?? RedisError(.noPrimary, "no sentinel to ask")
    }

    private func sslContext() throws(RedisError) -> NIOSSLContext? {
        guard let tls = configuration.tls else { return nil }
        let result = tlsContext.cached.withLock(annotatedBy: tlsContext) { cached in
            if let cached { return cached }
            let made = Result { () throws(RedisError) in try tls.makeContext() }
            cached = made
            return made
        }
        return try result.get()
    }

    func keepAlive(_ connection: RedisConnection, logger: Logger) async throws {
        _ = try await connection.send(RedisCommand("PING"), timeout: configuration.timeouts.command)
    }
}

extension RedisConnection: PooledConnection {}

/// The TLS context a factory builds on first use and shares with every connection it opens.
private final class TLSContextCache: Sendable {
    let cached = Mutex<Result<NIOSSLContext, RedisError>?>(nil)
}

/// The connections a factory opened that have not closed yet, and (Sentinel) the primary the last one went to.
private final class OpenConnections: Sendable {
    private let connections = Mutex<[ObjectIdentifier: RedisConnection]>([:])
    let primary = Mutex<RedisConnectionConfiguration.Endpoint?>(nil)

    func add(_ connection: RedisConnection) {
        connections.withLock(annotatedBy: self) { $0[ObjectIdentifier(connection)] = connection }
    }

    func remove(_ connection: RedisConnection) {
        _ = connections.withLock(annotatedBy: self) { $0.removeValue(forKey: ObjectIdentifier(connection)) }
    }

    var all: [RedisConnection] { connections.withLock(annotatedBy: self) { Array($0.values) } }
}

/// Counts the open connections per event loop and hands out the loop with the fewest.
private final class LoopBalancer: Sendable {
    private let loops: [any EventLoop]
    private let counts: Mutex<[Int]>

    init(_ group: any EventLoopGroup) {
        loops = Array(group.makeIterator())
        counts = Mutex(Array(repeating: 0, count: loops.count))
    }

    /// The least used loop (and its index, for ``release(_:)``), counted as used from now on.
    func leastUsed() -> (Int, any EventLoop) {
        let index = counts.withLock(annotatedBy: self) { counts in
            // A group has at least one loop.
            let index = counts.indices.min { counts[$0] < counts[$1] }!
            counts[index] += 1
            return index
        }
        return (index, loops[index])
    }

    func release(_ index: Int) {
        counts.withLock(annotatedBy: self) { counts in
            if counts.indices.contains(index) { counts[index] -= 1 }
        }
    }
}
