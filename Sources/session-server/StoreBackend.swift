// StoreBackend: opens the session store the server uses: in memory, a given Redis, or an embedded redis-server.

import Foundation
import HiredisClient
import Logging
import NIOCore
import NIOPosix
import RedisSessionStore
import EmbeddedRedis
import SessionStore
import SessionTokens
import Tracing

/// The store and the Redis pieces that must run (the client) or be stopped (the embedded server).
struct StoreBackend: Sendable {
    let store: any SessionStore
    let tokenStore: any TokenFamilyStore
    let client: RedisClient?
    let embedded: RedisServerProcess?
    let description: String

    /// Opens the store.
    /// - Parameters:
    ///   - memory: use the in-memory store (single instance).
    ///   - redisURL: a shared Redis; `nil` starts an embedded redis-server on a free loopback port.
    ///   - redisTLS: the TLS files for a rediss:// URL (its verification stays on).
    ///   - redisConnections: connections the pool keeps open (`nil`: the pool's default).
    ///   - durableRevocation: destroy and rotation wait up to 100 ms for one replica (`WAIT 1 100`).
    ///   - eventLoopGroup: where the Redis connections run (the HTTP server's).
    ///   - tracer: when set, the stores are wrapped in `TracedSessionStore` / `TracedTokenFamilyStore` and the Redis
    ///     connections make command spans with it (see `StoreBackend+Tracing`); `nil` (the default): no spans.
    static func open(
        memory: Bool,
        redisURL: String?,
        redisTLS: RedisTLSConfiguration? = nil,
        redisConnections: Int? = nil,
        durableRevocation: Bool = false,
        keyring: SessionKeyring,
        configuration: SessionConfiguration,
        tokenFamilies: TokenFamilyConfiguration = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        tracer: (any Tracer)? = nil,
        logger: Logger
    ) async throws -> StoreBackend {
        if memory {
            let store = try MemorySessionStore(keyring: keyring, configuration: configuration)
            let tokenStore = try MemoryTokenFamilyStore(configuration: tokenFamilies)
            return StoreBackend(store: store, tokenStore: tokenStore, client: nil, embedded: nil, description: "memory").traced(tracer)
        }
        var embedded: RedisServerProcess?
        if redisURL == nil {
            embedded = try await RedisServerProcess.start()
        }
        let url = redisURL ?? embedded!.url
        var clientConfiguration = try RedisClientConfiguration(url: url)
        if let redisTLS, clientConfiguration.connection.tls != nil { clientConfiguration.connection.tls = redisTLS }
        clientConfiguration.connection.tracer = tracer ?? NoOpTracer()  // no command spans unless the server traces
        // Fail closed quickly while Redis is down: a request waits at most a second for a connection.
        clientConfiguration.pool.timeouts.leaseTimeout = .seconds(1)
        if let redisConnections {
            clientConfiguration.pool.connections = .init(minimum: redisConnections, maximum: redisConnections)
        } else {
            // One connection per event loop from the start: every request handler finds a Redis connection on its
            // own loop (no thread hop), instead of half of them crossing to the loop of a single connection.
            let loops = eventLoopGroup.makeIterator().reduce(0) { count, _ in count + 1 }
            clientConfiguration.pool.connections.minimum = min(max(1, loops), clientConfiguration.pool.connections.maximum)
        }
        let client = RedisClient(configuration: clientConfiguration, eventLoopGroup: eventLoopGroup,
                                 logger: Logger(label: "session-server.redis"))
        let store = try RedisSessionStore(redis: client, keyring: keyring, configuration: .init(
            sessions: configuration, durableRevocation: durableRevocation ? .init(replicas: 1, timeout: .milliseconds(100)) : nil), logger: logger)
        let tokenStore = try RedisTokenFamilyStore(
            client: client, keyring: keyring, configuration: tokenFamilies,
            durableRevocation: durableRevocation ? .init(replicas: 1, timeout: .milliseconds(100)) : nil, logger: Logger(label: "session-server.tokens"))
        let description = embedded.map { "embedded redis-server \($0.url)" } ?? "redis \(Self.redacted(url))"
        return StoreBackend(store: store, tokenStore: tokenStore, client: client, embedded: embedded, description: description).traced(tracer)
    }

    /// `/healthz`: PING answered within a second (always `true` in memory).
    var healthCheck: @Sendable () async -> Bool {
        guard let client else { return { true } }
        return { await Self.ping(client) }
    }

    static func ping(_ client: RedisClient) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await client.send(RedisCommand("PING"), timeout: .seconds(1)).string) == "PONG" }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(1500))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// The URL without its password.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
